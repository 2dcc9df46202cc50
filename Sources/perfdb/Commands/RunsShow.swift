import ArgumentParser
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb runs show`: one run with everything stored with it.
    struct RunsShow: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one run: context, metrics, thresholds, checks, SLOs or chaos results.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: ArgumentHelp("A run id, or 'latest'.", valueName: "run"))
        var runReference: String = "latest"

        @Flag(help: "Show the run's in-run timelines (raw streams) and the leak detector instead.")
        var timeline = false

        func run() throws {
            let reference = try RunReference(parsing: runReference)
            let warehouse = try global.open(.readOnly)
            if timeline {
                let (record, timelines) = try warehouse.reading { reader in
                    let record = try reader.run(reference)
                    return (record, try reader.timelines(run: record.id ?? 0))
                }
                guard !timelines.isEmpty else {
                    throw PerfDBError(
                        .inputNotFound,
                        "run \(record.id ?? 0) has no timeline (only raw k6 streams, --out json or csv, have one)"
                    )
                }
                try output.emit(TimelineReport(run: record, timelines: timelines))
                return
            }
            try output.emit(RunShowView(try warehouse.reading { try $0.runDetail(reference) }))
        }
    }
}
