import ArgumentParser
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb slo`: SLO evaluation and compliance.
    struct SLO: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "slo", abstract: "Evaluate SLOs on a run, or show compliance over time.",
            subcommands: [SLOCheck.self, SLOTrend.self])
    }

    /// `perfdb slo check`: evaluate and store.
    struct SLOCheck: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Evaluate the SLOs (perfdb.yml, else the six defaults) on a load run.",
            discussion: """
                PASS within the warning threshold, WARNING between warning and target, FAIL past \
                the target, CRITICAL a failed P0 SLO. Exit 2 when any is CRITICAL, else 1 when \
                any fails or warns, else 0. The evaluation is stored.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var scope: JobScopeOptions
        @OptionGroup var outputs: JudgementOutputOptions

        @Argument(
            help: ArgumentHelp(
                "A run id, or 'latest': the newest load run of the scope and commit.",
                valueName: "run"))
        var runReference: String = "latest"

        @Flag(name: .customLong("no-store"), help: "Do not store the evaluation.")
        var noStore = false

        func run() throws {
            var config = try settings.load()
            let selection = scope.resolve(&config)
            let pipeline = Pipeline(
                warehouse: try global.open(noStore ? .readOnly : .existing), config: config)
            let result = try pipeline.sloCheck(
                try RunReference(parsing: runReference), selection: selection)
            // Print first: an evaluation that cannot be stored is still shown.
            try outputs.emit(
                SLOCheckView(run: result.run, evaluation: result.evaluation, source: config.source),
                global: global)
            if !noStore { try pipeline.record(result.evaluation, of: result.run) }
            if result.evaluation.exitCode != 0 { throw ExitCode(Int32(result.evaluation.exitCode)) }
        }
    }

    /// `perfdb slo trend`: compliance per SLO over time.
    struct SLOTrend: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trend", abstract: "Show each SLO's status run by run and its compliance.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var scope: ScopeOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "The newest N runs.")
        var last: Int = 50

        func run() throws {
            let trend = try Pipeline(
                warehouse: try global.open(.readOnly),
                config: try settings.load()
            ).sloTrend(scope, last: last)
            try output.emit(SLOTrendView(trend))
        }
    }
}
