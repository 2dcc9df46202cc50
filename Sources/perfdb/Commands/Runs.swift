import ArgumentParser

extension PerfDB {
    /// `perfdb runs`: browse and curate the stored runs.
    struct Runs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "runs",
            abstract: "Browse and curate stored runs.",
            subcommands: [
                RunsList.self, RunsShow.self, RunsInvalidate.self, RunsUnlink.self, RunsDelete.self,
            ],
            defaultSubcommand: RunsList.self)
    }
}
