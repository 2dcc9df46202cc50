import ArgumentParser
import Foundation
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore
import Synchronization

extension PerfDB {
    /// `perfdb check`: the CI gate.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Judge a run against its baseline: regressions, SLOs, change points.",
            discussion: """
                Every gated series and statistic of the run is compared with its baseline (a \
                pinned run or window, else the median of the last valid runs of the same \
                scenario and environment on the base branch). The whole report is printed, \
                then the exit code gives the verdict: 0 pass, 1 warning, 2 regression or a \
                CRITICAL SLO, 3 not enough data. Verdicts are stored.
                'latest' is the newest load run of the job's scope: --scenario, --environment, \
                --branch and --commit default as ingest's do (the CI system's variables; git's \
                commit when a run of it is stored), so a job judges the run it stored. On a pull \
                request the baseline is the target branch's, up to the merge-base commit's run \
                when one is stored.
                --markdown, --junit and --json write the same judgement to files at once; on \
                GitHub Actions the Markdown is appended to the job summary and each regression \
                becomes an annotation.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var scope: JobScopeOptions
        @OptionGroup var outputs: JudgementOutputOptions
        @OptionGroup var gate: GateOptions

        @Argument(
            help: ArgumentHelp(
                "A run id, or 'latest': the newest load run of the scope and commit.",
                valueName: "run"))
        var runReference: String = "latest"

        func run() throws {
            let reference = try RunReference(parsing: runReference)
            var config = try settings.load()
            let selection = scope.resolve(&config)
            let store = try global.open(gate.noStore ? .readOnly : .existing)
            try gate.judge(
                Pipeline(warehouse: store, config: config), reference, selection: selection,
                outputs: outputs, global: global)
        }
    }
}

/// How a gate decides and whether it records: `check` and `gate` share them.
struct GateOptions: ParsableArguments {
    @Option(
        name: .customLong("fail-on"),
        help: "The verdict that fails the gate (exit 2): warning or regression.")
    var failOn: FailOn = .regression

    @Option(
        name: .customLong("on-missing"),
        help:
            "When the data is not enough to judge: pass (0), warn (1) or fail (2); default exit 3."
    )
    var onMissing: MissingPolicy?

    @Flag(name: .customLong("no-store"), help: "Do not store the verdicts.")
    var noStore = false

    /// The verdicts that can fail a gate.
    enum FailOn: String, ExpressibleByArgument, CaseIterable {
        case warning
        case regression
    }

    /// Judges the run, writes every output, records the verdicts, and exits with the verdict.
    func judge(
        _ pipeline: Pipeline, _ reference: RunReference, selection: RunSelection,
        outputs: JudgementOutputOptions, global: GlobalOptions
    ) throws {
        let report = try pipeline.check(
            reference, selection: selection,
            failOn: failOn == .warning ? .warning : .regression, onMissing: onMissing)
        // Stored while it is printed (a raw stream's report and verdicts are a thousand
        // series each); a verdict that cannot be stored is still shown, and the exit waits
        // for both.
        let stored = noStore ? nil : Background { try pipeline.record(report) }
        do {
            try outputs.emit(CheckView(report), global: global)
        } catch {
            _ = try? stored?.wait()
            throw error
        }
        try stored?.wait()
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

/// Work done on another thread while this one goes on; `wait` returns its outcome.
final class Background: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let outcome = Mutex<Result<Void, any Error>?>(nil)
    private let work: Mutex<(@Sendable () throws -> Void)?>

    /// Starts `work`.
    init(_ work: @escaping @Sendable () throws -> Void) {
        self.work = Mutex(work)
        DispatchQueue.global().async { self.run() }
    }

    /// Runs the work and lets go of it before `wait` returns: what it holds (the warehouse) is
    /// then released by its owner, which closes the database before perfdb exits, rather than
    /// by this thread while perfdb is exiting (the file's write-ahead log would stay behind).
    private func run() {
        let result: Result<Void, any Error>
        do {
            let job = work.withLock { $0.take() }
            result = Result { try job?() }
        }
        outcome.withLock { $0 = result }
        done.signal()
    }

    /// Waits for the work to end and rethrows what it threw.
    func wait() throws {
        done.wait()
        done.signal()
        try outcome.withLock { $0 }?.get()
    }
}
