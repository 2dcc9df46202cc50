import ArgumentParser
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb baseline set`: pin a run or a window of runs as the baseline.
    struct BaselineSet: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract:
                "Pin a run (or, with --window, the last N valid runs up to it) as the baseline.",
            discussion: """
                The pin applies to the run's scenario and environment on the base branch, \
                supersedes the pin in force (kept in the history), and accepts every regression \
                up to the run.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var scope: ScopeOptions

        @Argument(
            help: ArgumentHelp(
                "A run id, or 'latest' (the newest valid run of the scope).", valueName: "run"))
        var runReference: String = "latest"

        @Option(
            help: "Pin the median of the last N valid runs up to the run instead of the run alone.")
        var window: Int?

        @Option(help: "Why (kept in the baseline history).")
        var reason: String

        @Option(help: "Who sets it (default: the CI actor or $USER).")
        var by: String?

        func validate() throws {
            if let window, window < 1 { throw ValidationError("--window must be at least 1") }
        }

        func run() throws {
            let warehouse = try global.open(.existing)
            let config = try settings.load()
            let reference = runReference == "latest" ? nil : try RunReference(parsing: runReference)
            let run = try warehouse.reading { reader in
                if let reference { return try reader.run(reference) }
                let resolved = try scope.resolve(reader, config.gatherSettings)
                guard
                    let newest = try reader.history(
                        scope: resolved, before: nil, including: false, limit: 1
                    ).last
                else {
                    throw PerfDBError(.inputNotFound, "no valid load runs in \(resolved)")
                }
                return newest
            }
            let pinned = Scope(
                scenario: run.scenario, environment: run.environment,
                branch: scope.branch ?? config.baseBranch)
            let entry = try warehouse.recordBaseline(
                kind: window == nil ? .run : .window, run: run, scope: pinned, windowSize: window,
                reason: reason, setBy: baselineActor(by))
            global.note(
                "baseline \(entry.id.map(String.init) ?? "?") of \(pinned): "
                    + (window.map { "window of \($0) runs up to run \(entry.runId)" }
                        ?? "run \(entry.runId)"))
        }
    }

    /// `perfdb accept`: accept a run's level after a regression.
    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "accept",
            abstract:
                "Accept a run's level: regressions up to it no longer hold the baseline back.",
            discussion: """
                A regression stays red until accepted: the automatic baseline stops before the \
                first unaccepted regression. After acceptance it restarts from the accepted run.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions

        @Argument(help: ArgumentHelp("A run id, or 'latest'.", valueName: "run"))
        var runReference: String

        @Option(help: "Why (kept in the baseline history).")
        var reason: String

        @Option(help: "Who accepts it (default: the CI actor or $USER).")
        var by: String?

        func run() throws {
            let warehouse = try global.open(.existing)
            let config = try settings.load()
            let reference = try RunReference(parsing: runReference)
            let run = try warehouse.reading { try $0.run(reference) }
            let scope = Scope(
                scenario: run.scenario, environment: run.environment, branch: config.baseBranch)
            let entry = try warehouse.recordBaseline(
                kind: .accept, run: run, scope: scope, windowSize: nil, reason: reason,
                setBy: baselineActor(by))
            global.note("accepted the level of run \(entry.runId) in \(scope)")
        }
    }
}
