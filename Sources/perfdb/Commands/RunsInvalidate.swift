import ArgumentParser
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb runs invalidate`: mark a run as not to be trusted.
    struct RunsInvalidate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "invalidate",
            abstract: "Mark a run invalid: it stays, marked, and never enters a baseline.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("A run id, or 'latest'.", valueName: "run"))
        var runReference: String

        @Option(help: "Why the run is invalid (kept with the run).")
        var reason: String

        func run() throws {
            let reference = try RunReference(parsing: runReference)
            let warehouse = try global.open(.existing)
            let record = try warehouse.invalidate(reference, reason: reason)
            global.note("invalidated run \(record.id.map(String.init) ?? "?"): \(reason)")
        }
    }
}
