import ArgumentParser
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb report`: the whole picture for a scope.
    struct ReportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract:
                "One Markdown, HTML or JSON document: latest run, gate, SLOs, trends, drift, chaos.",
            discussion:
                "Nothing is stored; the gate section is what 'perfdb check latest' would say.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var scope: JobScopeOptions

        @Option(
            help:
                "Output format: markdown, json, or html (one self-contained page with SVG charts).")
        var format: DocumentFormat = .markdown

        @Option(help: "Write the report to this file instead of standard output (- for stdout).")
        var output: String = "-"

        @Option(help: "The newest N runs in the trends.")
        var last: Int = 50

        func run() throws {
            var config = try settings.load()
            let selection = scope.resolve(&config)
            let report = try Pipeline(
                warehouse: try global.open(.readOnly), config: config
            ).report(selection, last: last)
            try Report.write(try ScopeReportView(report).render(format.output), to: output)
        }
    }

    /// The formats of a document to read.
    enum DocumentFormat: String, ExpressibleByArgument, CaseIterable {
        case markdown
        case json
        case html

        /// The renderer's format.
        var output: OutputFormat {
            switch self {
            case .markdown: .markdown
            case .json: .json
            case .html: .html
            }
        }
    }
}
