import ArgumentParser
import PerfDBKit

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
            let warehouse = try Warehouse(path: global.databasePath, access: .readOnly)
            if timeline {
                let record = try warehouse.run(reference)
                let timelines = try warehouse.timelines(run: record.id ?? 0)
                guard !timelines.isEmpty else {
                    throw PerfDBError(
                        .inputNotFound,
                        "run \(record.id ?? 0) has no timeline (only raw k6 streams, --out json or csv, have one)"
                    )
                }
                try output.emit(
                    TimelineRenderer.render(
                        run: record, timelines: timelines, format: output.format))
                return
            }
            try output.emit(
                RunsReport.show(try warehouse.runDetail(reference), format: output.format))
        }
    }
}
