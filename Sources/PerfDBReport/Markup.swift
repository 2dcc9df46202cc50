import Foundation
import PerfDBModel

/// Inline text: plain words, code and strong emphasis.
///
/// Markdown escapes the words and marks the rest; plain text prints them as they are.
public enum Inline: Sendable, ExpressibleByStringLiteral {
    case text(String)
    case code(String)
    case strong([Inline])

    public init(stringLiteral value: String) { self = .text(value) }

    /// Strong text.
    public static func strong(_ text: String) -> Inline { .strong([.text(text)]) }
}

/// One block of a report as people read it; ``Markup`` renders a list of them as Markdown or
/// aligned plain text, so a report is written once for both.
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

    /// A one-line paragraph.
    public static func line(_ inlines: Inline...) -> Block { .lines([inlines]) }
}

/// Renders blocks: GitHub-flavoured Markdown, or aligned plain text.
///
/// Blocks are separated by a blank line.
public enum Markup {
    /// The blocks as Markdown.
    public static func markdown(_ blocks: [Block]) -> String {
        blocks.map(markdown).joined(separator: "\n")
    }

    /// The blocks as plain text.
    public static func plain(_ blocks: [Block]) -> String {
        blocks.compactMap(plain).joined(separator: "\n")
    }

    private static func markdown(_ block: Block) -> String {
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
        }
    }

    private static func plain(_ block: Block) -> String? {
        switch block {
        case .heading(_, let text):
            return plain(text) + "\n"
        case .lines(let lines):
            return lines.map(plain).joined(separator: "\n") + "\n"
        case .table(let table):
            return table.plain()
        case .list(let items):
            return items.map { "- " + plain($0) }.joined(separator: "\n") + "\n"
        case .details(let summary, let blocks):
            return ([summary + "\n"] + blocks.compactMap(plain)).joined(separator: "\n")
        case .chart:
            return nil
        }
    }

    private static func markdown(_ inlines: [Inline]) -> String {
        inlines.map { inline in
            switch inline {
            case .text(let text): TextTable.markdownText(bounded(text))
            case .code(let text):
                "`" + TextTable.flat(bounded(text)).replacingOccurrences(of: "`", with: "'") + "`"
            case .strong(let inner): "**" + markdown(inner) + "**"
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
            case .text(let text), .code(let text): TextTable.flat(bounded(text))
            case .strong(let inner): plain(inner)
            }
        }.joined()
    }
}
