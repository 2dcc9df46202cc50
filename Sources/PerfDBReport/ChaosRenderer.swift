import Foundation
import PerfDBAnalysis
import PerfDBModel

/// One stored chaos experiment as JSON shows it.
public struct ChaosEntryDocument: Encodable {
    public var runId: Int64?
    public var startedAt: String
    public var commit: String?
    public var name: String
    public var family: ChaosFamily?
    public var faultType: FaultType?
    public var blastRadius: BlastRadius?
    public var outcome: RunStatus
    public var rolledBack: Bool
    public var availabilityPct: Double?
    public var errorRatePct: Double?
    public var mttrS: Double?
    public var mttrTargetS: Double?

    /// The document of an entry.
    public init(_ entry: ChaosEntry) {
        let experiment = entry.experiment
        runId = entry.run.id
        startedAt = entry.run.startedAt
        commit = entry.run.commitId
        name = experiment.name
        family = experiment.family
        faultType = experiment.faultType
        blastRadius = experiment.blastRadius
        outcome = experiment.outcome
        rolledBack = experiment.rolledBack
        availabilityPct = experiment.availabilityPct
        errorRatePct = experiment.errorRatePct
        mttrS = experiment.mttrS
        mttrTargetS = experiment.mttrTargetS
    }
}

/// `perfdb chaos list`: stored experiments, newest first.
public struct ChaosListView: Renderable {
    public var entries: [ChaosEntry]

    /// The view of the entries.
    public init(_ entries: [ChaosEntry]) { self.entries = entries }

    public var document: [ChaosEntryDocument] { entries.map(ChaosEntryDocument.init) }

    public var csv: TextTable { table }

    public var blocks: [Block] {
        entries.isEmpty ? [.line("no chaos experiments")] : [.table(table)]
    }

    private var table: TextTable {
        TextTable(
            columns: [
                .init("run", alignRight: true), .init("started_at"), .init("experiment"),
                .init("family"), .init("fault"), .init("outcome"),
                .init("availability", alignRight: true), .init("error rate", alignRight: true),
                .init("MTTR", alignRight: true), .init("MTTR target", alignRight: true),
            ],
            rows: entries.map { entry in
                let experiment = entry.experiment
                return [
                    entry.run.id.map(String.init) ?? "?", entry.run.startedAt, experiment.name,
                    experiment.family?.rawValue ?? "-", experiment.faultType?.rawValue ?? "-",
                    ChaosTrendView.outcome(experiment),
                    experiment.availabilityPct.map { Figure.format($0) + " %" } ?? "-",
                    experiment.errorRatePct.map { Figure.format($0) + " %" } ?? "-",
                    experiment.mttrS.map { Figure.format($0) + " s" } ?? "-",
                    experiment.mttrTargetS.map { "< " + Figure.format($0) + " s" } ?? "-",
                ]
            })
    }
}

/// `perfdb chaos trend`: each experiment's figures over time against their targets and their
/// own history (reports/chaos-trend.schema.json).
public struct ChaosTrendView: Renderable {
    public var reports: [ChaosTrendReport]

    /// The view of the trends.
    public init(_ reports: [ChaosTrendReport]) { self.reports = reports }

    public struct Document: Encodable {
        public var experiments: [Experiment]
    }

    public struct Experiment: Encodable {
        public var name: String
        public var family: ChaosFamily?
        public var faultType: FaultType?
        public var runs: [ChaosEntryDocument]
        public var figures: [Figure]

        public struct Figure: Encodable {
            public var figure: String
            public var latest: Double?
            public var target: Double?
            public var meetsTarget: Bool?
            public var baseline: Double?
            public var changePct: Double?
            public var verdict: Verdict?
            public var reason: String?
            public var slopePctPerWeek: Double?
        }

        /// The document of one experiment's trend.
        public init(_ report: ChaosTrendReport) {
            name = report.name
            family = report.family
            faultType = report.faultType
            runs = report.entries.map(ChaosEntryDocument.init)
            figures = report.figures.map { figure in
                Figure(
                    figure: figure.figure, latest: figure.values.last?.value,
                    target: figure.target, meetsTarget: figure.meetsTarget,
                    baseline: figure.verdict?.baseline, changePct: figure.verdict?.changePct,
                    verdict: figure.verdict?.verdict, reason: figure.verdict?.reason,
                    slopePctPerWeek: figure.slopePctPerWeek)
            }
        }
    }

    public var document: Versioned<Document> {
        Versioned(Document(experiments: reports.map(Experiment.init)))
    }

    public var csv: TextTable { summary }

    public var blocks: [Block] {
        [.heading(3, ["Chaos resilience"])] + body
    }

    /// The summary and each experiment's runs, without a title (inside `report`).
    var body: [Block] {
        [.table(summary)]
            + reports.flatMap { report in
                [.heading(4, [.text(report.name)]), .table(runs(report))]
            }
    }

    private var summary: TextTable {
        TextTable(
            columns: [
                .init("experiment"), .init("family"), .init("runs", alignRight: true),
                .init("figure"), .init("latest", alignRight: true), .init("target"),
                .init("baseline", alignRight: true), .init("change", alignRight: true),
                .init("trend"), .init("verdict"),
            ],
            rows: reports.flatMap { report in
                report.figures.filter { !$0.values.isEmpty }.map { figure in
                    [
                        report.name, report.family?.rawValue ?? "-", String(figure.values.count),
                        figure.figure,
                        figure.values.last.map { Figure.format($0.value) } ?? "-",
                        figure.target.map { target in
                            (figure.figure == "availability_pct" ? "> " : "< ")
                                + Figure.format(target)
                                + (figure.meetsTarget == false ? " MISSED" : "")
                        } ?? "-",
                        Figure.format(figure.verdict?.baseline),
                        Figure.percent(figure.verdict?.changePct),
                        Sparkline.of(figure.values.map(\.value)),
                        figure.verdict?.verdict.rawValue ?? "-",
                    ]
                }
            })
    }

    private func runs(_ report: ChaosTrendReport) -> TextTable {
        TextTable(
            columns: [
                .init("run", alignRight: true), .init("started_at"), .init("outcome"),
                .init("MTTR s", alignRight: true), .init("availability %", alignRight: true),
                .init("error rate %", alignRight: true),
            ],
            rows: report.entries.map { entry in
                [
                    entry.run.id.map(String.init) ?? "?", entry.run.startedAt,
                    Self.outcome(entry.experiment), Figure.format(entry.experiment.mttrS),
                    Figure.format(entry.experiment.availabilityPct),
                    Figure.format(entry.experiment.errorRatePct),
                ]
            })
    }

    /// An experiment's outcome as tables show it.
    static func outcome(_ experiment: ChaosExperimentRecord) -> String {
        experiment.outcome.rawValue + (experiment.rolledBack ? " (rolled back)" : "")
    }
}
