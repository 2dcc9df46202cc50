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

    /// The rows; those of a table made row by row are made when asked for.
    public var rows: [[String]] {
        get {
            switch source {
            case .rows(let rows): rows
            case .made(let count, let row): (0..<count).map(row)
            }
        }
        set { source = .rows(newValue) }
    }

    /// How many rows there are, without making them.
    public var rowCount: Int {
        switch source {
        case .rows(let rows): rows.count
        case .made(let count, _): count
        }
    }

    private var source: Source

    /// Where the rows come from: held, or made one at a time by their index.
    private enum Source: Sendable {
        case rows([[String]])
        case made(count: Int, row: @Sendable (Int) -> [String])
    }

    /// Creates a table.
    public init(columns: [Column], rows: [[String]] = []) {
        self.columns = columns
        self.source = .rows(rows)
    }

    /// Creates a table whose `count` rows are made by `row` from their index each time they
    /// are written, so plain text of a hundred thousand rows never holds them all.
    public init(columns: [Column], count: Int, row: @escaping @Sendable (Int) -> [String]) {
        self.columns = columns
        self.source = .made(count: count, row: row)
    }

    /// The row at `index`.
    private func row(_ index: Int) -> [String] {
        switch source {
        case .rows(let rows): rows[index]
        case .made(_, let row): row(index)
        }
    }

    /// Longest cell text kept in Markdown and plain tables; longer text is cut with an ellipsis.
    public static let maximumCellLength = 200

    /// Aligned plain text with a rule under the header.
    public func plain() -> String {
        var text = ""
        writePlain { text += $0 }
        return text
    }

    /// ``plain()`` handed to `write` a line at a time: the widths are measured in a first pass
    /// over the rows and each line is made in a second, so no more than one row is held.
    public func writePlain(to write: (String) throws -> Void) rethrows {
        var widths = columns.map(\.title.count)
        for index in 0..<rowCount {
            let cells = row(index)
            for column in widths.indices where cells.indices.contains(column) {
                widths[column] = max(widths[column], Self.plainCell(cells[column]).count)
            }
        }
        try write(line(columns.map(\.title), widths: widths))
        try write(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n")
        for index in 0..<rowCount {
            try write(line(row(index).map(Self.plainCell), widths: widths))
        }
    }

    /// One aligned line of plain text, without trailing spaces, ending in a newline.
    private func line(_ cells: [String], widths: [Int]) -> String {
        var line = ""
        for index in columns.indices {
            let text = cells.indices.contains(index) ? cells[index] : ""
            let padding = String(repeating: " ", count: widths[index] - text.count)
            if index > 0 { line += "  " }
            line += columns[index].alignRight ? padding + text : text + padding
        }
        return trimTrailing(line) + "\n"
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
