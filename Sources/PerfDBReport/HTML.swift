import Foundation
import PerfDBModel

/// Renders blocks as one self-contained HTML page.
///
/// Inline CSS, inline SVG charts, no script and nothing fetched, so it opens offline and under
/// the strict Content-Security-Policy it carries. Light and dark follow `prefers-color-scheme`; every chart has a title, a description and its
/// numbers in a table.
public enum HTML {
    /// What the page allows itself: inline styles and data images, nothing else.
    public static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

    /// The blocks as a whole HTML document; its title is the first heading's text.
    public static func document(_ blocks: [Block]) -> String {
        var title = "perfdb report"
        for block in blocks {
            if case .heading(_, let text) = block {
                title = plain(text)
                break
            }
        }
        var renderer = Renderer()
        let body = blocks.map { renderer.render($0) }.joined()
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(escape(contentSecurityPolicy))">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="color-scheme" content="light dark">
            <meta name="generator" content="perfdb">
            <title>\(escape(title))</title>
            <style>
            \(stylesheet)</style>
            </head>
            <body>
            <main>
            \(body)</main>
            </body>
            </html>

            """
    }

    /// Text with `&`, `<`, `>`, `"` and `'` escaped (control characters dropped), safe in
    /// content and attribute values alike: the escaping of JUnit's XML.
    public static func escape(_ text: String) -> String { CheckView.xml(text) }

    /// Numbers a page's charts so their ids are unique.
    private struct Renderer {
        var charts = 0

        mutating func render(_ block: Block) -> String {
            switch block {
            case .heading(let level, let text):
                let tag = "h\(min(max(level, 1), 6))"
                return "<\(tag)>\(inline(text))</\(tag)>\n"
            case .lines(let lines):
                return "<p>" + lines.map(inline).joined(separator: "<br>\n") + "</p>\n"
            case .table(let table):
                return HTML.table(table)
            case .list(let items):
                return "<ul>\n" + items.map { "<li>\(inline($0))</li>\n" }.joined() + "</ul>\n"
            case .details(let summary, let blocks):
                return "<details><summary>\(escape(summary))</summary>\n"
                    + blocks.map { render($0) }.joined() + "</details>\n"
            case .chart:
                return ""
            case .figure(let chart):
                charts += 1
                let id = "chart-\(charts)"
                return "<figure id=\"\(id)\">\n" + chart.svg(id: id) + "\n"
                    + "<figcaption>\(escape(chart.title))</figcaption>\n"
                    + "<details class=\"numbers\"><summary>The numbers of this chart</summary>\n"
                    + HTML.table(chart.table) + "</details>\n</figure>\n"
            case .comment(let text):
                return "<!-- " + escape(text).replacingOccurrences(of: "--", with: "- -")
                    + " -->\n"
            }
        }
    }

    /// A table; numeric columns align right, and verdict words are coloured.
    static func table(_ table: TextTable) -> String {
        var out = "<div class=\"table\"><table>\n<thead><tr>"
        for column in table.columns {
            out += column.alignRight ? "<th class=\"num\">" : "<th>"
            out += escape(column.title) + "</th>"
        }
        out += "</tr></thead>\n<tbody>\n"
        for row in table.rows {
            out += "<tr>"
            for (index, column) in table.columns.enumerated() {
                let text = row.indices.contains(index) ? row[index] : ""
                var classes: [String] = []
                if column.alignRight { classes.append("num") }
                if let tone = tone(text) { classes.append(tone) }
                out += classes.isEmpty ? "<td>" : "<td class=\"\(classes.joined(separator: " "))\">"
                out += escape(TextTable.truncated(text, to: Markup.maximumInlineLength)) + "</td>"
            }
            out += "</tr>\n"
        }
        return out + "</tbody>\n</table></div>\n"
    }

    /// The colour a verdict word in a cell takes.
    private static func tone(_ text: String) -> String? {
        switch text.lowercased() {
        case "regression", "fail", "failed", "error", "breach", "breached", "yes (drift)":
            "bad"
        case "warning", "warn", "degraded", "unstable":
            "warn"
        case "ok", "pass", "passed", "improvement", "met":
            "good"
        default: nil
        }
    }

    private static func inline(_ inlines: [Inline]) -> String {
        inlines.map { inline in
            switch inline {
            case .text(let text):
                escape(TextTable.truncated(text, to: Markup.maximumInlineLength))
            case .code(let text):
                "<code>" + escape(TextTable.truncated(text, to: Markup.maximumInlineLength))
                    + "</code>"
            case .strong(let inner): "<strong>" + self.inline(inner) + "</strong>"
            case .link(let text, let href):
                "<a href=\"" + escape(href) + "\">"
                    + escape(TextTable.truncated(text, to: Markup.maximumInlineLength)) + "</a>"
            }
        }.joined()
    }

    private static func plain(_ inlines: [Inline]) -> String {
        inlines.map { inline in
            switch inline {
            case .text(let text), .code(let text), .link(let text, _): text
            case .strong(let inner): plain(inner)
            }
        }.joined()
    }

    /// Colours as custom properties, swapped for dark mode; charts take theirs from classes.
    static let stylesheet = """
        :root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2328; --muted: #59636e;
          --rule: #d1d9e0; --panel: #f6f8fa; --s1: #0969da; --s2: #8250df; --s3: #1a7f37;
          --s4: #bc4c00; --band: rgba(9, 105, 218, 0.13); --bad: #cf222e; --warn: #9a6700;
          --good: #1a7f37; --event: #8250df; --target: #cf222e; }
        @media (prefers-color-scheme: dark) {
          :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --rule: #3d444d;
            --panel: #151b23; --s1: #4493f8; --s2: #ab7df8; --s3: #3fb950; --s4: #f0883e;
            --band: rgba(68, 147, 248, 0.2); --bad: #f85149; --warn: #d29922; --good: #3fb950;
            --event: #ab7df8; --target: #f85149; }
        }
        body { margin: 0; background: var(--bg); color: var(--fg);
          font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
        main { max-width: 1100px; margin: 0 auto; padding: 24px; }
        h1 { font-size: 1.6em; margin: 0 0 8px; }
        h2 { font-size: 1.3em; border-bottom: 1px solid var(--rule); padding-bottom: 4px;
          margin-top: 32px; }
        h3 { font-size: 1.1em; margin-top: 24px; }
        a { color: var(--s1); }
        nav { margin-bottom: 16px; }
        code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em;
          background: var(--panel); padding: 1px 4px; border-radius: 4px; }
        .table { overflow-x: auto; }
        table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.9em; }
        th, td { border: 1px solid var(--rule); padding: 4px 8px; text-align: left;
          vertical-align: top; }
        th { background: var(--panel); }
        .num { text-align: right; font-variant-numeric: tabular-nums; }
        td.bad { color: var(--bad); font-weight: 600; }
        td.warn { color: var(--warn); font-weight: 600; }
        td.good { color: var(--good); }
        details { margin: 8px 0; }
        summary { cursor: pointer; color: var(--muted); }
        figure { margin: 16px 0; padding: 12px; background: var(--panel);
          border: 1px solid var(--rule); border-radius: 6px; }
        figcaption { color: var(--muted); font-size: 0.9em; }
        svg.chart { display: block; width: 100%; max-width: 760px; height: auto; }
        svg .grid { stroke: var(--rule); stroke-width: 1; }
        svg .axis { stroke: var(--muted); stroke-width: 1; }
        svg text { fill: var(--muted); font-size: 11px; font-family: inherit; }
        svg .axis-title { font-size: 12px; }
        svg .band { fill: var(--band); }
        svg .rule { stroke: var(--target); stroke-width: 1.5; stroke-dasharray: 6 4; }
        svg .rule-label { fill: var(--target); }
        svg .event { stroke: var(--event); stroke-width: 1.5; stroke-dasharray: 3 3; }
        svg .line { fill: none; stroke-width: 2; stroke-linejoin: round; }
        svg .line.s1 { stroke: var(--s1); } svg .line.s2 { stroke: var(--s2); }
        svg .line.s3 { stroke: var(--s3); } svg .line.s4 { stroke: var(--s4); }
        svg .dot { stroke: var(--bg); stroke-width: 1; }
        svg .dot.s1 { fill: var(--s1); } svg .dot.s2 { fill: var(--s2); }
        svg .dot.s3 { fill: var(--s3); } svg .dot.s4 { fill: var(--s4); }
        svg .marker { stroke: var(--bg); stroke-width: 1; }
        svg .marker.regression, svg .marker.failed { fill: var(--bad); }
        svg .marker.warning { fill: var(--warn); }
        svg .marker.improvement { fill: var(--good); }

        """
}
