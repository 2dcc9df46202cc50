import ArgumentParser
import PerfDBKit

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
        @OptionGroup var output: OutputOptions

        @Argument(help: ArgumentHelp("A run id, or 'latest'.", valueName: "run"))
        var runReference: String = "latest"

        @Flag(name: .customLong("no-store"), help: "Do not store the evaluation.")
        var noStore = false

        func run() throws {
            let service = SLOService(
                warehouse: try Warehouse(path: global.databasePath), config: try settings.load())
            let result = try service.check(try RunReference(parsing: runReference), store: !noStore)
            try output.emit(SLORenderer.check(result.run, result.evaluation, format: output.format))
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
            let warehouse = try Warehouse(path: global.databasePath, access: .readOnly)
            let config = try settings.load()
            let resolved = try scope.resolve(warehouse, config)
            let trend = try SLOService(warehouse: warehouse, config: config)
                .trend(scope: resolved, last: last)
            try output.emit(SLORenderer.trend(trend, format: output.format))
        }
    }
}
