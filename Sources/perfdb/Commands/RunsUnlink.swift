import ArgumentParser
import PerfDBModel

extension PerfDB {
    /// `perfdb runs unlink`: a load run linked to a chaos run is a normal run again.
    struct RunsUnlink: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unlink",
            abstract:
                "Untie a load run from the chaos run it ran under: it joins the normal baseline.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("A run id, or 'latest'.", valueName: "run"))
        var runReference: String

        func run() throws {
            let link = try global.open(.existing).unlink(try RunReference(parsing: runReference))
            global.note(
                "unlinked run \(link.runId) from chaos run \(link.chaosRunId) (\(link.experiment))")
        }
    }
}
