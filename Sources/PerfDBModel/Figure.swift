import Foundation

/// Formats figures for people: whole numbers plainly, others with up to 3 decimals.
public enum Figure {
    /// A figure as text for tables.
    public static func format(_ value: Double?) -> String {
        guard let value else { return "-" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        let magnitude = abs(value)
        let decimals = magnitude >= 100 ? 2 : magnitude >= 1 ? 3 : magnitude >= 0.001 ? 4 : 6
        var text = fixed(value, decimals: decimals)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// `value` with `decimals` decimals (0–9), as printf's `%.Nf` writes it: C's own
    /// formatting, which `String(format:)` reaches through ten times the work (a check of a
    /// raw stream formats ten thousand figures).
    public static func fixed(_ value: Double, decimals: Int) -> String {
        let decimals = min(max(decimals, 0), 9)
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 48) { buffer in
            let written = fixedFormats[decimals].withCString { format in
                withVaList([value]) { vsnprintf(buffer.baseAddress, 48, format, $0) }
            }
            guard written >= 0, written < 48 else {
                return String(format: "%.\(decimals)f", value)
            }
            return String(
                decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: Int(written)),
                as: UTF8.self)
        }
    }

    private static let fixedFormats = (0...9).map { "%.\($0)f" }
}

extension Figure {
    /// A signed percentage with one decimal: `+146.1 %`.
    public static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        return (value >= 0 ? "+" : "") + fixed(value, decimals: 1) + " %"
    }
}
