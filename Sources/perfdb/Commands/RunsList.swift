import ArgumentParser
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb runs list`: the stored runs, newest first.
    struct RunsList: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List stored runs, newest first.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "Only runs of this kind: load, slo or chaos.")
        var kind: RunKind?

        @Option(help: "Only runs of this scenario.")
        var scenario: String?

        @Option(help: "Only runs in this environment.")
        var environment: String?

        @Option(help: "Only runs on this branch.")
        var branch: String?

        @Option(help: "Only runs started at or after this time (ISO 8601 date or time).")
        var since: String?

        @Option(help: "The newest N runs.")
        var last: Int?

        /// The earlier name of --last.
        @Option(help: .hidden)
        var limit: Int?

        func validate() throws {
            if let last = last ?? limit, last < 1 {
                throw ValidationError("--last must be at least 1")
            }
            if let since, Timestamp.parse(since) == nil {
                throw ValidationError("--since \"\(since)\" is not an ISO 8601 date or time")
            }
        }

        func run() throws {
            var filter = RunFilter()
            filter.kind = kind
            filter.scenario = scenario
            filter.environment = environment
            filter.branch = branch
            filter.since = since.flatMap(Timestamp.parse)
            filter.limit = last ?? limit
            let warehouse = try global.open(.readOnly)
            try output.emit(RunsListView(try warehouse.reading { try $0.runs(matching: filter) }))
        }
    }
}
