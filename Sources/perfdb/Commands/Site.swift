import ArgumentParser
import Foundation
import PerfDBModel
import PerfDBReport

extension PerfDB {
    /// `perfdb site`: the warehouse as a static site.
    struct Site: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "site",
            abstract: "Write the whole warehouse as static HTML pages into a folder.",
            discussion:
                "An index of the scopes; per scope its report, gate history and SLOs; per key "
                + "series its chart; the runs; the chaos experiments. Relative links only, no "
                + "script, nothing fetched: the folder opens offline. Nothing is stored.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions

        @Argument(
            help: ArgumentHelp("The folder to write (made when missing).", valueName: "outdir"),
            completion: .directory)
        var outdir: String

        @Option(help: "The newest N runs of each scope in its trends and gate history.")
        var last: Int = 50

        func run() throws {
            let site = try Pipeline(
                warehouse: try global.open(.readOnly), config: try settings.load()
            ).site(last: last)
            let folder = URL(fileURLWithPath: outdir)
            do {
                try FileManager.default.createDirectory(
                    at: folder, withIntermediateDirectories: true)
            } catch {
                throw PerfDBError(
                    .io, "\(outdir): cannot make the folder: \(error.localizedDescription)")
            }
            let pages = site.pages
            for page in pages {
                try Report.write(page.html, to: folder.appending(path: page.path).path)
            }
            global.note("\(outdir): \(pages.count) pages, open \(outdir)/index.html")
        }
    }
}
