import ArgumentParser
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb chaos`: chaos experiments and their resilience over time.
    struct Chaos: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "chaos",
            abstract:
                "List chaos experiments, or show MTTR, availability and error rate over time.",
            subcommands: [ChaosList.self, ChaosTrend.self, ChaosImpactCommand.self],
            defaultSubcommand: ChaosList.self)
    }

    /// Filters shared by the chaos commands.
    struct ChaosFilterOptions: ParsableArguments {
        @Option(help: "Only this family: network, service, database, pms, resource.")
        var family: String?

        @Option(
            name: .customLong("fault-type"),
            help: "Only this fault type: LATENCY, EXCEPTION, TIMEOUT, …")
        var faultType: String?

        @Option(help: "Only the experiment with this name.")
        var experiment: String?

        @Option(help: "Only runs in this environment (default: $PERFDB_ENVIRONMENT).")
        var environment: String?

        @Option(help: "Only runs on this branch.")
        var branch: String?

        /// The filter of the store, at most `limit` experiments.
        func filter(limit: Int? = nil) -> ChaosFilter {
            ChaosFilter(
                family: family, faultType: faultType, name: experiment,
                environment: environment ?? Job.ci.environment, branch: branch, limit: limit)
        }
    }

    /// `perfdb chaos list`.
    struct ChaosList: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List stored chaos experiments, newest first.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var filter: ChaosFilterOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "The newest N experiments.")
        var last: Int?

        /// The earlier name of --last.
        @Option(help: .hidden)
        var limit: Int?

        func run() throws {
            let warehouse = try global.open(.readOnly)
            let entries = try warehouse.reading {
                try $0.chaosEntries(filter.filter(limit: last ?? limit))
            }
            try output.emit(ChaosListView(entries))
        }
    }

    /// `perfdb chaos trend`.
    struct ChaosTrend: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trend",
            abstract: "Show each experiment's MTTR, availability and error rate against targets.",
            discussion: """
                Targets: the experiment's own, else MTTR < 90 s for PMS failures and < 120 s for \
                network latency, availability > 95 %, error rate < 5 %. The newest run of each \
                experiment is judged against the runs before it with the regression gate's robust \
                z-score. Exit 2 when a newest run regressed or missed a target.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var filter: ChaosFilterOptions
        @OptionGroup var outputs: JudgementOutputOptions

        func run() throws {
            let reports = try Pipeline(
                warehouse: try global.open(.readOnly),
                config: try settings.load()
            ).chaosTrends(filter.filter())
            try outputs.emit(ChaosTrendView(reports), global: global)
            if reports.exitCode != 0 { throw ExitCode(reports.exitCode) }
        }
    }
}
