import PerfDBAnalysis
import PerfDBModel

/// A table rendered as aligned text, GitHub Markdown or CSV; the one place cells are aligned
/// and escaped.
public struct TextTable: Sendable {
    /// A column: its title and alignment.
    public struct Column: Sendable {
        public var title: String
        public var alignRight: Bool

        /// Creates a column; numbers align right.
        public init(_ title: String, alignRight: Bool = false) {
            self.title = title
            self.alignRight = alignRight
        }
    }

    public var columns: [Column]
    public var rows: [[String]]

    /// Creates a table.
    public init(columns: [Column], rows: [[String]] = []) {
        self.columns = columns
        self.rows = rows
    }

    /// Longest cell text kept in Markdown and plain tables; longer text is cut with an ellipsis.
    public static let maximumCellLength = 200

    /// Aligned plain text with a rule under the header.
    public func plain() -> String {
        let cells = [columns.map(\.title)] + rows.map { $0.map(Self.plainCell) }
        // Characters, counted once: a table may have a hundred thousand rows.
        let lengths = cells.map { $0.map(\.count) }
        let widths = columns.indices.map { index in
            lengths.map { $0.indices.contains(index) ? $0[index] : 0 }.max() ?? 0
        }
        var lines: [String] = []
        lines.reserveCapacity(cells.count + 1)
        for (rowIndex, row) in cells.enumerated() {
            var line = ""
            for index in columns.indices {
                let text = row.indices.contains(index) ? row[index] : ""
                let length =
                    lengths[rowIndex].indices.contains(index) ? lengths[rowIndex][index] : 0
                let padding = String(repeating: " ", count: widths[index] - length)
                if index > 0 { line += "  " }
                line += columns[index].alignRight ? padding + text : text + padding
            }
            lines.append(trimTrailing(line))
            if rowIndex == 0 {
                lines.append(
                    widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A GitHub-flavoured Markdown table; `|`, backticks, HTML and newlines are escaped.
    public func markdown() -> String {
        var lines: [String] = []
        lines.append(
            "| " + columns.map { Self.markdownCell($0.title) }.joined(separator: " | ") + " |")
        lines.append(
            "|" + columns.map { $0.alignRight ? " ---: " : " --- " }.joined(separator: "|") + "|")
        for row in rows {
            let cells = columns.indices.map { index in
                Self.markdownCell(row.indices.contains(index) ? row[index] : "")
            }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 CSV with a header row.
    public func csv() -> String {
        let lines = [columns.map(\.title)] + rows
        return lines.map { $0.map(Self.csvCell).joined(separator: ",") }.joined(separator: "\n")
            + "\n"
    }

    static func plainCell(_ text: String) -> String {
        bounded(flat(text))
    }

    /// Text on one line: line breaks and tabs become spaces.
    static func flat(_ text: String) -> String {
        // Plain ASCII without line breaks or tabs, as almost every cell is, stays as it is.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        let flat = text.replacingOccurrences(of: "\r\n", with: " ")
        return flat.map { $0.isNewline || $0 == "\t" ? " " : String($0) }.joined()
    }

    /// Escapes text for a Markdown table cell.
    public static func markdownCell(_ text: String) -> String {
        markdownText(bounded(flat(text)))
    }

    /// Escapes one line of text for Markdown: `|`, backticks, emphasis and HTML.
    static func markdownText(_ text: String) -> String {
        var out = ""
        for character in flat(text) {
            switch character {
            case "|": out += "\\|"
            case "`": out += "\\`"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "*", "\\": out += "\\" + String(character)
            default: out.append(character)
            }
        }
        return out
    }

    static func csvCell(_ text: String) -> String {
        if text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }

    private static func bounded(_ text: String) -> String {
        truncated(text, to: maximumCellLength)
    }

    /// `text` cut to `limit` characters, the last being "…" when anything was cut.
    static func truncated(_ text: String, to limit: Int) -> String {
        text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    }

    private func trimTrailing(_ line: String) -> String {
        let bytes = line.utf8
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[bytes.index(before: end)] == UInt8(ascii: " ") {
            end = bytes.index(before: end)
        }
        return String(line[..<end])
    }
}
