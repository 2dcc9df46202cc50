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
        while text.utf8.last == UInt8(ascii: "0") { text.removeLast() }
        if text.utf8.last == UInt8(ascii: ".") { text.removeLast() }
        return text
    }

    /// `value` with `decimals` decimals (0–9), as printf's `%.Nf` writes it: C's own
    /// formatting, which `String(format:)` reaches through ten times the work (a check of a
    /// raw stream formats ten thousand figures).
    public static func fixed(_ value: Double, decimals: Int) -> String {
        let decimals = min(max(decimals, 0), 9)
        if let text = roundedFixed(value, decimals: decimals) { return text }
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
    private static let scales = (0...9).map { pow(10, Double($0)) }

    /// ``fixed(_:decimals:)`` by rounding `value` × 10^decimals to a whole number.
    ///
    /// That gives C's answer where it is not near a halfway point: the product is off the exact
    /// one by half a unit in its last place, so it rounds to the same number. Near one, or too
    /// large, nil.
    static func roundedFixed(_ value: Double, decimals: Int) -> String? {
        guard value.isFinite else { return nil }
        let scaled = abs(value) * scales[decimals]
        guard scaled < 1e15 else { return nil }
        let whole = scaled.rounded(.toNearestOrEven)
        guard abs(abs(scaled - whole) - 0.5) > 4 * scaled.ulp else { return nil }
        var digits = String(Int64(whole))
        if digits.count <= decimals {
            digits = String(repeating: "0", count: decimals + 1 - digits.count) + digits
        }
        if decimals > 0 {
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
        }
        return value.sign == .minus ? "-" + digits : digits
    }
}

extension Figure {
    /// A signed percentage with one decimal: `+146.1 %`.
    public static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        return (value >= 0 ? "+" : "") + fixed(value, decimals: 1) + " %"
    }
}
