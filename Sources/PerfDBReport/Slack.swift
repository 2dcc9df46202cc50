import Foundation
import PerfDBModel

/// A judgement as a Slack Block Kit message (`--format slack`), for a webhook:
/// `perfdb check --format slack | curl -H 'Content-Type: application/json' --data @- "$URL"`.
///
/// The same blocks as the Markdown, within Slack's limits: a header, sections in Slack's
/// `mrkdwn` (escaped), tables as preformatted text of at most 3,000 characters, folded parts
/// reduced to their summary, at most 50 blocks; `text` is the headline, which notifications show.
public enum SlackMessage {
    /// Slack's limits: characters in a section's text, blocks in a message, a header's text.
    static let sectionLimit = 3_000
    static let blockLimit = 50
    static let headerLimit = 150

    /// The message of `blocks`, with `headline` as its notification text.
    public static func render(headline: String, blocks: [Block]) -> String {
        var out: [JSONValue] = []
        for block in blocks {
            out += render(block)
        }
        if out.count > blockLimit {
            out =
                Array(out.prefix(blockLimit - 1))
                + [context("… \(out.count - blockLimit + 1) more parts: see the job's report")]
        }
        return JSONWriter.render(
            .object(JSONObject([("text", .string(headline)), ("blocks", .array(out))])))
    }

    private static func render(_ block: Block) -> [JSONValue] {
        switch block {
        case .heading(_, let text):
            return [
                .object(
                    JSONObject([
                        ("type", .string("header")),
                        (
                            "text",
                            .object(
                                JSONObject([
                                    ("type", .string("plain_text")),
                                    (
                                        "text",
                                        .string(TextTable.truncated(plain(text), to: headerLimit))
                                    ),
                                ]))
                        ),
                    ]))
            ]
        case .lines(let lines):
            return [section(lines.map(mrkdwn).joined(separator: "\n"))]
        case .table(let table):
            return [section("```\n" + escaped(table.plain()) + "```")]
        case .list(let items):
            return [section(items.map { "• " + mrkdwn($0) }.joined(separator: "\n"))]
        case .details(let summary, _):
            return [context(escaped(summary) + ": see the job's report")]
        case .chart, .figure, .comment:
            return []
        }
    }

    private static func section(_ text: String) -> JSONValue {
        .object(
            JSONObject([
                ("type", .string("section")),
                (
                    "text",
                    .object(
                        JSONObject([
                            ("type", .string("mrkdwn")),
                            ("text", .string(bounded(text))),
                        ]))
                ),
            ]))
    }

    private static func context(_ text: String) -> JSONValue {
        .object(
            JSONObject([
                ("type", .string("context")),
                (
                    "elements",
                    .array([
                        .object(
                            JSONObject([
                                ("type", .string("mrkdwn")), ("text", .string(bounded(text))),
                            ]))
                    ])
                ),
            ]))
    }

    /// Text cut to a section's limit; a cut preformatted block is closed again.
    private static func bounded(_ text: String) -> String {
        guard text.count > sectionLimit else { return text }
        let closing = text.hasPrefix("```") ? "\n…```" : "…"
        return String(text.prefix(sectionLimit - closing.count)) + closing
    }

    /// Slack's `mrkdwn`: `*strong*`, `` `code` ``, and `&`, `<`, `>` escaped.
    private static func mrkdwn(_ inlines: [Inline]) -> String {
        inlines.map { inline in
            switch inline {
            case .text(let text), .link(let text, _): escaped(TextTable.flat(text))
            case .code(let text):
                "`" + escaped(TextTable.flat(text)).replacingOccurrences(of: "`", with: "'") + "`"
            case .strong(let inner): "*" + mrkdwn(inner) + "*"
            }
        }.joined()
    }

    private static func plain(_ inlines: [Inline]) -> String {
        inlines.map { inline in
            switch inline {
            case .text(let text), .code(let text), .link(let text, _): TextTable.flat(text)
            case .strong(let inner): plain(inner)
            }
        }.joined()
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(
            of: "<", with: "&lt;"
        )
        .replacingOccurrences(of: ">", with: "&gt;")
    }
}
