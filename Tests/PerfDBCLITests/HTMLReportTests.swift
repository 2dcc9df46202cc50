import Foundation
import PerfDBTestSupport
import Testing

/// `perfdb report --format html` on the demo history: one self-contained page, its golden file
/// (Tests/Snapshots/report-demo.html), and the page as headless Chromium renders it — no
/// console message, no request, every chart drawn, and a screenshot that matches the reviewed
/// docs/images/report.png.
@Suite(.serialized) struct HTMLReportTests {
    /// A pixel differs when one of its channels is off by more than this (of 255).
    static let channelThreshold = 16
    /// The screenshot matches while at most this share of its pixels differ.
    ///
    /// 0.05 %, 1,280 of 2,560,000 pixels: room for anti-aliasing, none for a chart left out (0.35 % differ)
    /// or its line drawn in another colour (0.11 %). Two renders of one page on one machine
    /// differ in no pixel; a single marker left out (77 pixels) is below it, which the DOM
    /// checks catch instead.
    static let differingShare = 0.0005

    /// The reviewed screenshots, shown in docs/html-report.md.
    static let goldenScreenshot = TestPaths.root.appending(path: "docs/images/report.png")
    static let goldenDarkScreenshot = TestPaths.root.appending(path: "docs/images/report-dark.png")

    /// The demo's report as HTML, written by the binary with `--output`.
    static func demoReport() throws -> (cli: CLI, page: URL, html: String) {
        let cli = try CLI.demo()
        try cli.useDemoConfiguration()
        let page = cli.directory.appending(path: "report.html")
        let result = try cli.run(["report", "--format", "html", "--output", page.path])
        #expect(result.status == 0, "\(result.stderr)")
        return (cli, page, try String(contentsOf: page, encoding: .utf8))
    }

    /// The charts in a page: each `<svg>` element's text.
    static func charts(_ html: String) -> [String] {
        html.components(separatedBy: "<svg ").dropFirst().map {
            $0.components(separatedBy: "</svg>")[0]
        }
    }

    @Test func theDemoReportIsOneSelfContainedPageMatchingItsGoldenFile() throws {
        let (cli, _, html) = try Self.demoReport()
        #expect(Snapshot.mismatch(html, named: "report-demo.html") == nil)
        #expect(html.utf8.count < 1_000_000, "\(html.utf8.count) bytes")
        #expect(
            html.contains(
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &apos;none&apos;;"
            ))
        #expect(html.contains("@media (prefers-color-scheme: dark)"))
        // Nothing to run and nothing to fetch: the only URL is the SVG namespace.
        for banned in ["<script", " src=", " href=", "url(", "@import", "<link", "<iframe"] {
            #expect(!html.contains(banned), "the page contains \(banned)")
        }
        let urls = html.components(separatedBy: "://").count - 1
        let namespaces =
            html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"")
            .count - 1
        #expect(urls == namespaces)
        // The same headline as the Markdown report.
        let markdown = try cli.run(["report", "--format", "markdown"]).stdout
        let title = try #require(markdown.split(separator: "\n").first)
        #expect(title.hasPrefix("# Performance report"))
        #expect(html.contains("<h1>\(title.dropFirst(2))</h1>"))
        let lines = markdown.split(separator: "\n")
        let latest = try #require(lines.first { $0.hasPrefix("Latest run ") })
        #expect(html.contains("<p>\(latest)</p>"), "\(latest)")
        let verdict = try #require(lines.first { $0.hasPrefix("**perfdb check: ") })
        #expect(html.contains("<p><strong>\(verdict.dropFirst(2).dropLast(2))</strong></p>"))
        // Every chart has a text alternative: role, title, description, and its numbers.
        let charts = Self.charts(html)
        #expect(charts.count >= 8, "\(charts.count) charts")
        for chart in charts {
            #expect(chart.contains("role=\"img\""))
            #expect(chart.contains("aria-labelledby=\"chart-"))
            #expect(chart.contains("<title id=\"chart-"))
            #expect(chart.contains("<desc id=\"chart-"))
        }
        let figures = html.components(separatedBy: "<figure").dropFirst()
        #expect(figures.count == charts.count)
        #expect(figures.allSatisfy { $0.contains("<table>") })
        // The trend chart has its tolerance band, its change point and its regressions.
        #expect(html.contains("<rect class=\"band\""))
        #expect(html.contains("<line class=\"event\""))
        #expect(html.contains("<path class=\"marker regression\""))
        #expect(html.contains("change point at run 12"))
    }

    @Test func chromiumRendersEveryChartWithNoConsoleMessageAndNoRequest() throws {
        let (_, page, html) = try Self.demoReport()
        let output = try Chromium.run(page, ["--dump-dom"])
        #expect(output.consoleMessages.isEmpty, "\(output.consoleMessages)")
        #expect(output.failedRequests.isEmpty, "\(output.failedRequests)")
        let rendered = Self.charts(output.stdout)
        #expect(rendered.count == Self.charts(html).count)
        for chart in rendered {
            // A line with at least one segment, and a dot on its points.
            #expect(
                chart.range(
                    of: #"class="line s1" d="M[0-9.]+ [0-9.]+L"#, options: .regularExpression)
                    != nil)
            #expect(chart.contains("<circle class=\"dot s1\""))
        }
    }

    /// The policy is in force, and the log shows it: an image from a server added to the page
    /// is refused, and said so on the console.
    @Test func thePolicyRefusesAnythingFetched() throws {
        let (_, page, html) = try Self.demoReport()
        let fetching = html.replacingOccurrences(
            of: "<main>", with: "<main><img alt=\"\" src=\"http://127.0.0.1:9/pixel.png\">")
        try fetching.write(to: page, atomically: true, encoding: .utf8)
        let output = try Chromium.run(page, ["--dump-dom"])
        #expect(output.consoleMessages.contains { $0.contains("Content Security Policy") })
        #expect(!output.failedRequests.isEmpty)
    }

    @Test func theScreenshotMatchesTheReviewedImage() throws {
        let (cli, page, _) = try Self.demoReport()
        for (golden, extra) in [
            (Self.goldenScreenshot, [String]()), (Self.goldenDarkScreenshot, ["--force-dark-mode"]),
        ] {
            let shot = cli.directory.appending(path: "shot.png")
            let output = try Chromium.run(
                page, ["--window-size=1280,2000", "--screenshot=\(shot.path)"] + extra)
            #expect(output.consoleMessages.isEmpty, "\(output.consoleMessages)")
            let image = try PNGImage(contentsOf: shot)
            #expect(image.width == 1280 && image.height == 2000)
            if ProcessInfo.processInfo.environment["PERFDB_RECORD"] == "1" {
                _ = try? FileManager.default.removeItem(at: golden)
                try FileManager.default.copyItem(at: shot, to: golden)
                Issue.record("recorded \(golden.lastPathComponent); review it and run again")
                continue
            }
            let share = image.differingShare(
                from: try PNGImage(contentsOf: golden), threshold: Self.channelThreshold)
            #expect(
                share <= Self.differingShare,
                "\(golden.lastPathComponent): \(share * 100) % of the pixels differ")
            try FileManager.default.removeItem(at: shot)
        }
    }

    /// The tolerance is tight enough to see a real change: the first line drawn in another
    /// colour, or the first chart left out.
    @Test(arguments: ["colour", "missing chart"])
    func theScreenshotComparisonCatchesAChangedChart(change: String) throws {
        let (cli, page, html) = try Self.demoReport()
        let changed: String
        if change == "colour" {
            changed = html.replacingOccurrences(of: "--s1: #0969da", with: "--s1: #d1242f")
        } else {
            let start = try #require(html.range(of: "<figure id=\"chart-1\">"))
            let end = try #require(
                html.range(of: "</figure>", range: start.upperBound..<html.endIndex))
            changed = html.replacingCharacters(in: start.lowerBound..<end.upperBound, with: "")
        }
        #expect(changed != html)
        try changed.write(to: page, atomically: true, encoding: .utf8)
        let shot = cli.directory.appending(path: "changed.png")
        _ = try Chromium.run(page, ["--window-size=1280,2000", "--screenshot=\(shot.path)"])
        let share = try PNGImage(contentsOf: shot).differingShare(
            from: try PNGImage(contentsOf: Self.goldenScreenshot),
            threshold: Self.channelThreshold)
        #expect(share > Self.differingShare, "\(change): only \(share * 100) % of pixels differ")
    }
}
