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
                "One Markdown (or JSON) document: latest run, gate, SLOs, trends, drift, chaos.",
            discussion:
                "Nothing is stored; the gate section is what 'perfdb check latest' would say.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var scope: ScopeOptions

        @Option(help: "Output format: markdown or json.")
        var format: OutputFormat = .markdown

        @Option(help: "Write the report to this file instead of standard output (- for stdout).")
        var output: String = "-"

        @Option(help: "The newest N runs in the trends.")
        var last: Int = 50

        func run() throws {
            let report = try Pipeline(
                warehouse: try global.open(.readOnly),
                config: try settings.load()
            ).report(scope, last: last)
            // Table and CSV print the Markdown: the report is a document to read.
            try Report.write(
                try ScopeReportView(report).render(format == .json ? .json : .markdown),
                to: output)
        }
    }
}
