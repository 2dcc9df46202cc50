import ArgumentParser
import PerfDBModel
import PerfDBReport

extension PerfDB {
    /// `perfdb chaos impact`: what a fault did to the load runs made under it.
    struct ChaosImpactCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "impact",
            abstract:
                "Show what each fault did to the load runs made under it, against the normal baseline.",
            discussion: """
                Per chaos experiment run (newest first; CHAOS_RUN for one) with load runs linked \
                to it (ingest --chaos-run, or by time): their p95 and p99 against the normal \
                baseline of their scenario and environment on the base branch, the error rate \
                in percentage points, the throughput change, the SLOs under the fault, and for \
                raw streams when p95 and errors left the baseline's band and came back, beside \
                the experiment's MTTR and availability.

                --trend EXPERIMENT follows the load under the same fault across the experiment's \
                runs: p95 and p99 as multiples of normal, the error rate, the throughput drop and \
                the seconds degraded, each run judged against the earlier ones (robust z-score, \
                a regressed run never joining the baseline) and the newest held to the budgets \
                of chaos.budgets in perfdb.yml (error rate ≤ 5 % unless set). Exit 2 when the \
                newest run is over a budget or its degradation regressed.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var filter: ChaosFilterOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "The newest N chaos runs that have load runs under them.")
        var last: Int = 10

        @Option(
            help: ArgumentHelp(
                "Judge the load under this experiment's fault across its runs.",
                valueName: "experiment"))
        var trend: String?

        @Argument(
            help: ArgumentHelp(
                "A chaos experiment run id (default: every one).", valueName: "chaos-run"))
        var chaosRun: Int64?

        func validate() throws {
            if trend != nil, chaosRun != nil {
                throw ValidationError("--trend judges every run of an experiment: drop CHAOS_RUN")
            }
        }

        func run() throws {
            if let trend {
                var chosen = filter.filter()
                chosen.name = trend
                let view = ChaosImpactTrendView(
                    try Pipeline(warehouse: try global.open(.readOnly), config: try settings.load())
                        .chaosImpactTrend(chosen))
                try output.emit(view)
                if view.exitCode != 0 { throw ExitCode(view.exitCode) }
                return
            }
            let reports = try Pipeline(
                warehouse: try global.open(.readOnly), config: try settings.load()
            ).chaosImpact(filter.filter(limit: max(last, 1)), chaosRun: chaosRun)
            try output.emit(ChaosImpactView(reports))
        }
    }
}
