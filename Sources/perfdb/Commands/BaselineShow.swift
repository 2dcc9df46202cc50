import ArgumentParser
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb baseline show`: the baseline in force.
    struct BaselineShow: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show the baseline in force for a scope's newest run.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var scope: ScopeOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let baseline = try Pipeline(
                warehouse: try global.open(.readOnly),
                config: try settings.load()
            ).baseline(scope)
            try output.emit(BaselineView(baseline.choice, scope: baseline.scope))
        }
    }

    /// `perfdb baseline history`: the audit log.
    struct BaselineHistory: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history",
            abstract: "List every baseline pin and acceptance, newest first (nothing is deleted).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let warehouse = try global.open(.readOnly)
            try output.emit(BaselineHistoryView(try warehouse.reading { try $0.baselineLog(nil) }))
        }
    }

    /// `perfdb baseline drift`: how far the scope has moved from its baseline.
    struct BaselineDrift: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drift",
            abstract: "Compare the baseline with the recent runs' median and their slope per week.",
            discussion: """
                Per gated series: the pinned (or automatic) baseline against the median of the \
                last K runs, and the Theil–Sen slope over the last N runs in % per week — the \
                slow regressions a per-run gate never sees. With --fail-on drift, a series past \
                its tolerance exits 2.
                """)

        enum FailOn: String, ExpressibleByArgument, CaseIterable {
            case drift
            case never
        }

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var scope: ScopeOptions
        @OptionGroup var output: OutputOptions

        @Option(
            name: .customLong("fail-on"),
            help: "drift: exit 2 when a series is past its tolerance; never (default).")
        var failOn: FailOn = .never

        func run() throws {
            let report = try Pipeline(
                warehouse: try global.open(.readOnly),
                config: try settings.load()
            ).drift(scope)
            try output.emit(DriftView(report))
            if failOn == .drift && report.flagged { throw ExitCode(2) }
        }
    }
}
