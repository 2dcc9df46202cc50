import ArgumentParser
import PerfDBAnalysis
import PerfDBModel
import PerfDBReport

extension PerfDB {
    /// `perfdb calibrate`: the gate's settings against a scope's own history.
    struct Calibrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "calibrate",
            abstract: "Estimate each series' noise, false-alarm rate and detectable change.",
            discussion: """
                Resamples the scope's valid runs (taken as unchanged code): each resample draws \
                a baseline of baseline.window runs and one more run, with replacement, and \
                judges that run with the gate. Per series: its run-to-run noise, the smallest \
                change the gate can call a regression, the share of false alarms and warnings, \
                and the smallest min_z that keeps false alarms at or under 0.1 % of checks; \
                per family the min_z to set in perfdb.yml. Real changes in the history make \
                the rates pessimistic: --last keeps to the newest stretch, and an invalidated \
                run is left out. Nothing is stored.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var scope: ScopeOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "The newest N runs.")
        var last: Int = 50

        @Option(help: "Resampled checks per series.")
        var resamples: Int = 2000

        func validate() throws {
            if last < 2 { throw ValidationError("--last must be at least 2") }
            if resamples < 100 { throw ValidationError("--resamples must be at least 100") }
        }

        func run() throws {
            let report = try Pipeline(
                warehouse: try global.open(.readOnly), config: try settings.load()
            ).calibrate(scope, last: last, resamples: resamples)
            try output.emit(CalibrationView(report))
        }
    }
}
