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

        func run() throws {
            let reference = try RunReference(parsing: runReference)
            let warehouse = try Warehouse(path: global.databasePath, access: .readOnly)
            try output.emit(
                RunsReport.show(try warehouse.runDetail(reference), format: output.format))
        }
    }
}
