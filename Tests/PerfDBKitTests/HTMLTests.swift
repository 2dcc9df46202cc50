import Foundation
import PerfDBModel
import Testing

@testable import PerfDBReport

/// The HTML renderer and its SVG charts: everything escaped, ids unique, scales round, gaps
/// left open; Markdown and plain text unchanged by a figure.
@Suite struct HTMLTests {
    static func chart(_ name: String, values: [Double?]) -> SVGChart {
        SVGChart(
            title: name, summary: "values of \(name)", xTitle: "run", yTitle: "ms",
            xLabels: values.indices.map { String($0 + 1) },
            series: [SVGChart.Series(name, values: values, dots: true)],
            table: TextTable(columns: [.init("run")], rows: [[name]]))
    }

    @Test func everyTextIsEscapedInContentAndAttributes() {
        let hostile = "<script>alert('x')</script> & \"quoted\""
        var chart = Self.chart(hostile, values: [1, 2, 3])
        chart.pointNotes = [hostile, hostile, hostile]
        chart.rules = [SVGChart.Rule(2, label: hostile)]
        let html = HTML.document([
            .heading(1, [.text(hostile)]), .line(.code(hostile), .strong(hostile)),
            .table(TextTable(columns: [.init(hostile)], rows: [[hostile]])),
            .list([[.text(hostile)]]), .details(summary: hostile, [.line(.text(hostile))]),
            .figure(chart), .comment("a -- comment <b>"),
        ])
        #expect(!html.contains("<script"))
        #expect(!html.contains("'x'"))
        #expect(!html.contains("\"quoted\""))
        #expect(
            html.contains(
                "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;quoted&quot;"))
        #expect(html.contains("<title>&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;"))
        #expect(html.contains("<!-- a - - comment &lt;b&gt; -->"))
        // The page's title is the first heading.
        #expect(html.contains("<title>&lt;script&gt;"))
    }

    @Test func aPageCarriesItsPolicyAndBothColourSchemes() {
        let html = HTML.document([.heading(1, ["Report"])])
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(
            html.contains(
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &apos;none&apos;; style-src &apos;unsafe-inline&apos;; img-src data:;"
            ))
        #expect(html.contains("<meta name=\"color-scheme\" content=\"light dark\">"))
        #expect(html.contains("@media (prefers-color-scheme: dark)"))
        #expect(html.contains("<title>Report</title>"))
    }

    @Test func chartsHaveUniqueIdsATextAlternativeAndTheirNumbers() {
        let html = HTML.document([
            .figure(Self.chart("one", values: [1, 2])), .figure(Self.chart("two", values: [3, 4])),
        ])
        for id in ["chart-1", "chart-2"] {
            #expect(html.contains("<figure id=\"\(id)\">"))
            #expect(html.contains("aria-labelledby=\"\(id)-title \(id)-desc\""))
            #expect(html.contains("<title id=\"\(id)-title\">"))
            #expect(html.contains("<desc id=\"\(id)-desc\">"))
        }
        #expect(html.components(separatedBy: "role=\"img\"").count == 3)
        #expect(html.components(separatedBy: "<table>").count == 3)
    }

    @Test func aGapBreaksTheLineAndGetsNoDot() {
        let svg = Self.chart("gaps", values: [1, 2, nil, 4, 5]).svg(id: "c")
        let path = svg.components(separatedBy: "class=\"line s1\" d=\"")[1]
            .prefix { $0 != "\"" }
        #expect(path.filter { $0 == "M" }.count == 2)
        #expect(path.filter { $0 == "L" }.count == 2)
        #expect(svg.components(separatedBy: "<circle").count == 5)
    }

    @Test func numbersThatAreNotFiniteAreLeftOut() {
        var chart = Self.chart("odd", values: [1, .nan, .infinity, 2, 3])
        chart.xLabels = ["1"]
        chart.markers = [SVGChart.Marker(index: 2, value: .infinity, kind: .regression, note: "")]
        chart.rules = [SVGChart.Rule(.nan, label: "target")]
        chart.band = (-.infinity, 1, "band")
        let svg = chart.svg(id: "c")
        #expect(
            svg.range(of: #"\b(nan|inf)\b"#, options: [.regularExpression, .caseInsensitive]) == nil
        )
        #expect(svg.components(separatedBy: "<circle").count == 4)
    }

    @Test func theScaleHasRoundTicksCoveringEveryValue() {
        let (low, high, ticks) = SVGChart.scale([43.2, 118.95])
        #expect(low <= 43.2 && high >= 118.95)
        #expect(ticks == [40, 60, 80, 100, 120])
        #expect(SVGChart.scale([99, 99.5, 100]).ticks.map { Figure.format($0) }.last == "100")
        #expect(
            SVGChart.scale([99, 99.5, 100]).ticks.allSatisfy { Figure.format($0).count <= 5 })
        #expect(SVGChart.scale([0, 3]).ticks.first == 0)
        let flat = SVGChart.scale([5, 5])
        #expect(flat.low < 5 || flat.high > 5)
        #expect(SVGChart.scale([]).ticks == [0, 1])
    }

    @Test func aLinkIsEscapedInEveryFormat() {
        let blocks: [Block] = [.line(.link("a<b", href: "x y\".html"))]
        #expect(HTML.document(blocks).contains("<p><a href=\"x y&quot;.html\">a&lt;b</a></p>"))
        #expect(Markup.markdown(blocks) == "[a&lt;b](x%20y\".html)\n")
        #expect(Markup.plain(blocks) == "a<b\n")
    }

    @Test func markdownAndPlainTextLeaveFiguresOut() {
        let blocks: [Block] = [
            .line("before"), .figure(Self.chart("c", values: [1])), .line("after"),
        ]
        #expect(Markup.markdown(blocks) == "before\n\nafter\n")
        #expect(Markup.plain(blocks) == "before\n\nafter\n")
    }
}
