import ArgumentParser
import Foundation
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb check`: the CI gate.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge a run against its baseline: regressions, SLOs, change points.",
            discussion: """
                Every gated series and statistic of the run is compared with its baseline (a \
                pinned run or window, else the median of the last valid runs of the same \
                scenario and environment on the base branch). The whole report is printed, \
                then the exit code gives the verdict: 0 pass, 1 warning, 2 regression or a \
                CRITICAL SLO, 3 not enough data. Verdicts are stored.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions

        @Argument(help: ArgumentHelp("A run id, or 'latest'.", valueName: "run"))
        var runReference: String = "latest"

        @Option(help: "Output format: table, markdown, json or junit.")
        var format: CheckFormat = .table

        @Option(help: "Write the report to this file instead of standard output (- for stdout).")
        var output: String = "-"

        @Option(
            name: .customLong("fail-on"),
            help: "The verdict that fails the gate (exit 2): warning or regression.")
        var failOn: Verdict = .regression

        @Option(
            name: .customLong("on-missing"),
            help:
                "When the data is not enough to judge: pass (0), warn (1) or fail (2); default exit 3."
        )
        var onMissing: MissingPolicy?

        @Flag(name: .customLong("no-store"), help: "Do not store the verdicts.")
        var noStore = false

        func validate() throws {
            guard failOn == .warning || failOn == .regression else {
                throw ValidationError("--fail-on takes warning or regression")
            }
        }

        func run() throws {
            let reference = try RunReference(parsing: runReference)
            let pipeline = Pipeline(
                warehouse: try global.open(noStore ? .readOnly : .existing),
                config: try settings.load())
            let report = try pipeline.check(reference, failOn: failOn, onMissing: onMissing)
            // Print first: a verdict that cannot be stored is still shown.
            try Report.write(try CheckView(report).render(format), to: output)
            if !noStore { try pipeline.record(report) }
            if report.exitCode != 0 { throw ExitCode(report.exitCode) }
        }
    }
}
