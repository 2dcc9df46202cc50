import Foundation
import PerfDBModel

/// Inline text: plain words, code, strong emphasis and links.
///
/// Markdown escapes the words and marks the rest; plain text prints them as they are.
public enum Inline: Sendable, ExpressibleByStringLiteral {
    case text(String)
    case code(String)
    case strong([Inline])
    /// Text that links to a relative address (a page of a static site).
    case link(String, href: String)

    public init(stringLiteral value: String) { self = .text(value) }

    /// Strong text.
    public static func strong(_ text: String) -> Inline { .strong([.text(text)]) }
}

/// One block of a report as people read it; ``Markup`` renders a list of them as Markdown,
/// aligned plain text or HTML, so a report is written once for all three.
public enum Block: Sendable {
    /// A title: `### text` in Markdown, the line alone in plain text.
    case heading(Int, [Inline])
    /// One or more lines of text (a hard line break between them in Markdown).
    case lines([[Inline]])
    /// A table, aligned in plain text.
    case table(TextTable)
    /// A bullet list.
    case list([[Inline]])
    /// A part Markdown folds away under `summary` (PR comments stay short); plain text shows
    /// the summary as a title and everything under it.
    case details(summary: String, [Block])
    /// A Mermaid chart; only Markdown shows it.
    case chart(String)
    /// A chart drawn as SVG with its numbers in a table; only HTML shows it.
    case figure(SVGChart)
    /// A hidden comment (`<!-- text -->`) only Markdown carries: a marker for tools.
    case comment(String)

    /// A one-line paragraph.
    public static func line(_ inlines: Inline...) -> Block { .lines([inlines]) }
}

/// Renders blocks: GitHub-flavoured Markdown, aligned plain text, or HTML (HTML.swift).
///
/// Blocks are separated by a blank line.
public enum Markup {
    /// The blocks as Markdown.
    public static func markdown(_ blocks: [Block]) -> String {
        blocks.compactMap(markdown).joined(separator: "\n")
    }

    /// The blocks as plain text.
    public static func plain(_ blocks: [Block]) -> String {
        var text = ""
        writePlain(blocks) { text += $0 }
        return text
    }

    /// ``plain(_:)`` handed to `write` in pieces: a table a line at a time
    /// (``TextTable/writePlain(to:)``), every other block whole.
    public static func writePlain(_ blocks: [Block], to write: (String) throws -> Void) rethrows {
        var first = true
        for block in blocks where showsInPlain(block) {
            if !first { try write("\n") }
            first = false
            switch block {
            case .heading(_, let text):
                try write(plain(text) + "\n")
            case .lines(let lines):
                try write(lines.map(plain).joined(separator: "\n") + "\n")
            case .table(let table):
                try table.writePlain(to: write)
            case .list(let items):
                try write(items.map { "- " + plain($0) }.joined(separator: "\n") + "\n")
            case .details(let summary, let inner):
                try write(summary + "\n")
                for child in inner where showsInPlain(child) {
                    try write("\n")
                    try writePlain([child], to: write)
                }
            case .chart, .figure, .comment:
                break
            }
        }
    }

    /// Whether plain text shows the block: charts, figures and comments are for Markdown and
    /// HTML only.
    private static func showsInPlain(_ block: Block) -> Bool {
        switch block {
        case .chart, .figure, .comment: false
        default: true
        }
    }

    private static func markdown(_ block: Block) -> String? {
        switch block {
        case .heading(let level, let text):
            return String(repeating: "#", count: level) + " " + markdown(text) + "\n"
        case .lines(let lines):
            return lines.map(markdown).joined(separator: "  \n") + "\n"
        case .table(let table):
            return table.markdown()
        case .list(let items):
            return items.map { "- " + markdown($0) }.joined(separator: "\n") + "\n"
        case .details(let summary, let blocks):
            return "<details><summary>\(TextTable.markdownText(summary))</summary>\n\n"
                + markdown(blocks) + "\n</details>\n"
        case .chart(let source):
            return "```mermaid\n" + source + "```\n"
        case .figure:
            return nil
        case .comment(let text):
            return "<!-- " + text.replacingOccurrences(of: "--", with: "- -") + " -->\n"
        }
    }

    private static func markdown(_ inlines: [Inline]) -> String {
        inlines.map { inline in
            switch inline {
            case .text(let text): TextTable.markdownText(bounded(text))
            case .code(let text):
                "`" + TextTable.flat(bounded(text)).replacingOccurrences(of: "`", with: "'") + "`"
            case .strong(let inner): "**" + markdown(inner) + "**"
            case .link(let text, let href):
                "[" + TextTable.markdownText(bounded(text)) + "]("
                    + href.replacingOccurrences(of: ")", with: "%29").replacingOccurrences(
                        of: " ", with: "%20") + ")"
            }
        }.joined()
    }

    /// The longest text one inline keeps; longer text is cut with an ellipsis.
    static let maximumInlineLength = 1000

    private static func bounded(_ text: String) -> String {
        TextTable.truncated(text, to: maximumInlineLength)
    }

    private static func plain(_ inlines: [Inline]) -> String {
        inlines.map { inline in
            switch inline {
            case .text(let text), .code(let text), .link(let text, _):
                TextTable.flat(bounded(text))
            case .strong(let inner): plain(inner)
            }
        }.joined()
    }
}

// MARK: Fitting a size limit

extension Markup {
    /// How a size limit counts: characters (a GitHub comment) or UTF-8 bytes (a step summary).
    public enum SizeUnit: Sendable {
        case characters
        case utf8Bytes

        func size(_ text: String) -> Int {
            switch self {
            case .characters: text.count
            case .utf8Bytes: text.utf8.count
            }
        }
    }

    /// The blocks as Markdown of at most `limit` characters (or bytes).
    ///
    /// Headings, lines, lists and charts stay whole. The rows of the tables folded under
    /// `details` go first, from the end, then the rows of the other tables; a table keeps its
    /// header and whole rows, and says how many rows it left out. Only when nothing but text is
    /// left is the text cut, at a line.
    public static func markdown(_ blocks: [Block], limit: Int, unit: SizeUnit = .characters)
        -> String
    {
        let full = markdown(blocks)
        if unit.size(full) <= limit { return full }
        // Tables in order of what goes first: those under details, then the others, each from
        // the last.
        var paths: [[Int]] = []
        var folded: [[Int]] = []
        for (index, block) in blocks.enumerated() {
            switch block {
            case .table: paths.append([index])
            case .details(_, let inner):
                for (innerIndex, child) in inner.enumerated() {
                    if case .table = child { folded.append([index, innerIndex]) }
                }
            default: break
            }
        }
        var fitted = blocks
        for path in folded.reversed() + paths.reversed() {
            guard let found = table(at: path, in: fitted) else { continue }
            // Rows made one at a time are made once here, not at every trial.
            let table = TextTable(columns: found.columns, rows: found.rows)
            // The most rows of this table that fit, by bisection (none at all when even the
            // header and note do not).
            var low = 0
            var high = table.rows.count
            while low < high {
                let middle = (low + high + 1) / 2
                let trial = replacing(path, in: fitted, with: shortened(table, to: middle))
                if unit.size(markdown(trial)) <= limit { low = middle } else { high = middle - 1 }
            }
            fitted = replacing(path, in: fitted, with: shortened(table, to: low))
            let text = markdown(fitted)
            if unit.size(text) <= limit { return text }
        }
        return cut(markdown(fitted), limit: limit, unit: unit)
    }

    private static func table(at path: [Int], in blocks: [Block]) -> TextTable? {
        switch blocks[path[0]] {
        case .table(let table) where path.count == 1: return table
        case .details(_, let inner) where path.count == 2:
            if case .table(let table) = inner[path[1]] { return table }
            return nil
        default: return nil
        }
    }

    /// `table` with only its first `count` rows, and a line saying how many were left out.
    private static func shortened(_ table: TextTable, to count: Int) -> [Block] {
        let left = table.rows.count - count
        guard left > 0 else { return [.table(table)] }
        var kept = table
        kept.rows = Array(table.rows.prefix(count))
        let note = Block.line(
            .text(
                "… \(left) more \(left == 1 ? "row" : "rows") not shown here (size limit); "
                    + "the JSON report has every row."))
        return count == 0 ? [note] : [.table(kept), note]
    }

    private static func replacing(_ path: [Int], in blocks: [Block], with replacement: [Block])
        -> [Block]
    {
        var result = blocks
        if path.count == 1 {
            result.replaceSubrange(path[0]...path[0], with: replacement)
            // Later paths of the top level keep their indexes: fold from the end first.
        } else if case .details(let summary, var inner) = blocks[path[0]] {
            inner.replaceSubrange(path[1]...path[1], with: replacement)
            result[path[0]] = .details(summary: summary, inner)
        }
        return result
    }

    /// The text cut at the last line that fits, with a closing note.
    private static func cut(_ text: String, limit: Int, unit: SizeUnit) -> String {
        let note = "\n… cut at the size limit; the JSON report has everything.\n"
        var kept = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let next = kept + line + "\n"
            if unit.size(next) + unit.size(note) > limit { break }
            kept = next
        }
        return kept + note
    }
}
