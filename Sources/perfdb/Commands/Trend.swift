import ArgumentParser
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb trend`: a series' history.
    struct Trend: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trend",
            abstract: "Show a series' history run by run, with its baseline and change points.",
            discussion: """
                Valid runs (not invalidated, not aborted) of one scenario and environment on one \
                branch, oldest first. Markdown adds a sparkline and a Mermaid chart with the \
                baseline drawn and change-point runs marked ▲.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var selection: SeriesOptions
        @OptionGroup var scope: ScopeOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "The newest N runs.")
        var last: Int = 50

        @Option(help: "Only runs started at or after this time (ISO 8601 date or time).")
        var since: String?

        @Flag(name: .customLong("change-points"), help: "List the change points after the table.")
        var changePoints = false

        func validate() throws {
            if last < 1 { throw ValidationError("--last must be at least 1") }
            if let since, Timestamp.parse(since) == nil {
                throw ValidationError("--since \"\(since)\" is not an ISO 8601 date or time")
            }
        }

        func run() throws {
            let report = try Pipeline(
                warehouse: try global.open(.readOnly),
                config: try settings.load()
            ).trend(
                try selection.selector(), statistic: selection.stat, scope: scope, last: last,
                since: since.flatMap(Timestamp.parse))
            try output.emit(TrendView(report))
        }
    }
}
