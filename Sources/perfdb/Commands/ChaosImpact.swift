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
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var filter: ChaosFilterOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "The newest N chaos runs that have load runs under them.")
        var last: Int = 10

        @Argument(
            help: ArgumentHelp(
                "A chaos experiment run id (default: every one).", valueName: "chaos-run"))
        var chaosRun: Int64?

        func run() throws {
            let reports = try Pipeline(
                warehouse: try global.open(.readOnly), config: try settings.load()
            ).chaosImpact(filter.filter(limit: max(last, 1)), chaosRun: chaosRun)
            try output.emit(ChaosImpactView(reports))
        }
    }
}
