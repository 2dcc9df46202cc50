import Foundation

/// Formats figures for people: whole numbers plainly, others with up to 3 decimals.
public enum Figure {
    /// A figure as text for tables.
    public static func format(_ value: Double?) -> String {
        guard let value else { return "-" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        let magnitude = abs(value)
        let decimals = magnitude >= 100 ? 2 : magnitude >= 1 ? 3 : magnitude >= 0.001 ? 4 : 6
        var text = String(format: "%.\(decimals)f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

extension Figure {
    /// A signed percentage with one decimal: `+146.1 %`.
    public static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        return (value >= 0 ? "+" : "") + String(format: "%.1f", value) + " %"
    }
}
