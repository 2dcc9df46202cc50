import ArgumentParser
import Foundation
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport

extension PerfDB {
    /// `perfdb gate`: ingest, then check the stored run, in one command.
    struct Gate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gate",
            abstract: "Store result files, then judge the load run among them (ingest + check).",
            discussion: """
                The files are stored as 'perfdb ingest' stores them (one of them a load run: a \
                k6 summary or stream), then that very run is judged as 'perfdb check RUN' \
                judges it, with the same outputs and exit codes: 0 pass, 1 warning, 2 \
                regression or a CRITICAL SLO, 3 not enough data (--on-missing).
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var input: IngestOptions
        @OptionGroup var outputs: JudgementOutputOptions
        @OptionGroup var gate: GateOptions

        @OptionGroup var base: BaseBranchOption

        func run() throws {
            var config = try settings.load()
            base.apply(&config)
            let results = try input.ingest(global: global, config: config) { submissions in
                let load = submissions.filter { $0.batch.kind == .load }
                guard load.count == 1 else {
                    throw PerfDBError(
                        .usage,
                        "gate judges one load run: the files hold \(load.count) "
                            + "(nothing was stored; use ingest, then check RUN)")
                }
            }
            guard let judged = results.first(where: { $0.batch.kind == .load }) else { return }
            var selection = RunSelection()
            selection.mergeBase = CIContext.mergeBase(
                of: judged.context.commit, on: judged.context.branch, with: config.baseBranch,
                in: FileManager.default.currentDirectoryPath)
            let store = try global.open(gate.noStore ? .readOnly : .existing)
            try gate.judge(
                Pipeline(warehouse: store, config: config), .id(judged.runID),
                selection: selection, outputs: outputs, global: global)
        }
    }
}
