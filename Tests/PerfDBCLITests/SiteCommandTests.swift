import Foundation
import PerfDBTestSupport
import Testing

/// `perfdb site` on the demo history: every page linked from the index, every link relative
/// and resolving to a page written, and every page opened in headless Chromium without a
/// console message or a request.
@Suite struct SiteCommandTests {
    /// The `href` values of a page.
    static func links(_ html: String) -> [String] {
        html.components(separatedBy: "href=\"").dropFirst().map {
            String($0.prefix { $0 != "\"" })
        }
    }

    @Test func theDemoSiteLinksEveryPageRelativelyAndOpensCleanInChromium() throws {
        let cli = try CLI.demo()
        try cli.useDemoConfiguration()
        let folder = cli.directory.appending(path: "site")
        let result = try cli.run(["site", folder.path])
        #expect(result.status == 0, "\(result.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files.contains("index.html"))
        #expect(files.contains("runs.html") && files.contains("chaos.html"))
        #expect(files.filter { $0.hasPrefix("scope-") && !$0.contains("series") }.count == 2)
        #expect(files.filter { $0.contains("-series-") }.count >= 7)
        // Every page is reached from the index by following links.
        var reached: Set<String> = ["index.html"]
        var queue = ["index.html"]
        while let page = queue.popLast() {
            let html = try String(contentsOf: folder.appending(path: page), encoding: .utf8)
            #expect(!html.contains("<script"), "\(page)")
            #expect(html.contains("http-equiv=\"Content-Security-Policy\""), "\(page)")
            for link in Self.links(html) {
                #expect(!link.contains("://") && !link.hasPrefix("/"), "\(page) links \(link)")
                #expect(files.contains(link), "\(page) links \(link), which was not written")
                if files.contains(link), reached.insert(link).inserted { queue.append(link) }
            }
        }
        #expect(reached == Set(files))
        for page in files {
            let output = try Chromium.run(folder.appending(path: page), ["--dump-dom"])
            #expect(output.consoleMessages.isEmpty, "\(page): \(output.consoleMessages)")
            #expect(output.failedRequests.isEmpty, "\(page): \(output.failedRequests)")
            #expect(output.stdout.contains("</main>"), "\(page) did not render")
        }
    }

    @Test func aFolderThatCannotBeMadeIsAnIOError() throws {
        let cli = try CLI.demo()
        let blocker = cli.directory.appending(path: "file")
        try Data("x".utf8).write(to: blocker)
        let result = try cli.run(["site", blocker.path])
        #expect(result.status == 74)
        #expect(result.stderr.contains("cannot make the folder"))
        #expect(try String(contentsOf: blocker, encoding: .utf8) == "x")
    }
}
