import ArgumentParser
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb runs delete`: remove a run and everything stored with it.
    struct RunsDelete: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete",
            abstract: "Delete a run and everything stored with it (prefer 'runs invalidate').")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("A run id.", valueName: "run"))
        var runReference: Int64

        func run() throws {
            let warehouse = try global.open(.existing)
            let record = try warehouse.delete(.id(runReference))
            global.note(
                "deleted run \(record.id.map(String.init) ?? "?") (\(record.sourceFile ?? "-"))")
        }
    }
}
