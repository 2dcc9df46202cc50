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
                // An aborted experiment measured no recovery: no figures.
                let measured = experiment.outcome != .aborted
                return [
                    entry.run.id.map(String.init) ?? "?", entry.run.startedAt, experiment.name,
                    experiment.family?.rawValue ?? "-", experiment.faultType?.rawValue ?? "-",
                    ChaosTrendView.outcome(experiment),
                    measured
                        ? experiment.availabilityPct.map { Figure.format($0) + " %" } ?? "-" : "-",
                    measured
                        ? experiment.errorRatePct.map { Figure.format($0) + " %" } ?? "-" : "-",
                    measured ? experiment.mttrS.map { Figure.format($0) + " s" } ?? "-" : "-",
                    experiment.mttrTargetS.map { "< " + Figure.format($0) + " s" } ?? "-",
                ]
            })
    }
}

/// `perfdb chaos trend`: each experiment's figures over time against their targets and their
/// own history (reports/chaos-trend.schema.json).
public struct ChaosTrendView: JudgementView {
    public var reports: [ChaosTrendReport]

    /// The view of the trends.
    public init(_ reports: [ChaosTrendReport]) { self.reports = reports }

    public var marker: String { "perfdb:chaos-trend" }

    public var alertSet: AlertSet {
        AlertSet(
            chaos: reports, headline: headline, exitCode: reports.exitCode)
    }

    public var annotations: [Annotation] {
        reports.flatMap { report in
            report.figures.compactMap { figure -> Annotation? in
                let latest = Figure.format(figure.values.last?.value)
                if figure.meetsTarget == false, let target = figure.target {
                    return Annotation(
                        .error, title: "perfdb chaos target missed: \(report.name)",
                        message: "\(figure.figure) \(latest), target \(Self.comparator(figure)) "
                            + Figure.format(target))
                }
                if figure.verdict?.verdict == .regression {
                    return Annotation(
                        .error, title: "perfdb chaos regression: \(report.name)",
                        message: "\(figure.figure) \(latest) "
                            + "(\(Figure.percent(figure.verdict?.changePct))): "
                            + (figure.verdict?.reason ?? ""))
                }
                return nil
            }
        }
    }

    /// The first line: the verdict and its cause.
    var headline: String {
        let missed = reports.reduce(0) { $0 + $1.missedTargets.count }
        let regressed = reports.reduce(0) { $0 + $1.regressions.count }
        var causes: [String] = []
        if missed > 0 { causes.append("\(missed) \(missed == 1 ? "target" : "targets") missed") }
        if regressed > 0 { causes.append("\(regressed) regressed") }
        let word = causes.isEmpty ? "PASS" : "FAIL (" + causes.joined(separator: ", ") + ")"
        return "perfdb chaos trend: \(word) — \(reports.count) experiments"
    }

    /// One test case per experiment and figure; a missed target or a regression fails.
    public func junit() throws -> String {
        let figures = reports.flatMap { report in
            report.figures.filter { !$0.values.isEmpty }.map { (report, $0) }
        }
        let failures = figures.filter { _, figure in
            figure.meetsTarget == false || figure.verdict?.verdict == .regression
        }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out +=
            "<testsuites name=\"perfdb chaos trend\" tests=\"\(figures.count)\" failures=\"\(failures.count)\">\n"
        for report in reports {
            let mine = figures.filter { $0.0.name == report.name }.map(\.1)
            let failed = mine.filter {
                $0.meetsTarget == false || $0.verdict?.verdict == .regression
            }
            out +=
                "  <testsuite name=\"\(CheckView.attribute(report.name))\" tests=\"\(mine.count)\" failures=\"\(failed.count)\">\n"
            for figure in mine {
                out +=
                    "    <testcase classname=\"\(CheckView.attribute(report.name))\" name=\"\(figure.figure)\">"
                let latest = Figure.format(figure.values.last?.value)
                if figure.meetsTarget == false, let target = figure.target {
                    out +=
                        "\n      <failure type=\"missed-target\" message=\"\(CheckView.attribute("\(latest), target \(Self.comparator(figure)) \(Figure.format(target))"))\"/>\n    "
                } else if figure.verdict?.verdict == .regression {
                    out +=
                        "\n      <failure type=\"regression\" message=\"\(CheckView.attribute(figure.verdict?.reason ?? ""))\"/>\n    "
                }
                out += "</testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    /// `<`, `>` or `≤`: the side of its target a figure must stay on.
    static func comparator(_ figure: ChaosFigureTrend) -> String {
        figure.comparator
    }

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
            /// The first run of the streak of regressed runs the newest one ends.
            public var regressedSinceRun: Int64?
            public var comparator: String
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
                    regressedSinceRun: figure.regressedSince?.id, comparator: figure.comparator,
                    slopePctPerWeek: figure.slopePctPerWeek)
            }
        }
    }

    public var document: Versioned<Document> {
        Versioned(Document(experiments: reports.map(Experiment.init)))
    }

    public var csv: TextTable { summary }

    public var blocks: [Block] {
        [.heading(3, ["Chaos resilience"]), .line(.strong(headline))] + body
    }

    /// The summary and each experiment's runs, without a title (inside `report`).
    var body: [Block] {
        [.table(summary)]
            + reports.flatMap { report in
                [.heading(4, [.text(report.name)])]
                    + report.figures.filter { Self.charted.keys.contains($0.figure) }
                    .filter { !$0.values.isEmpty }.map { .figure(Self.figure(report, $0)) }
                    + [.table(runs(report))]
            }
    }

    /// The figures the HTML report draws, and what their axis says.
    static let charted = [
        "mttr_s": "MTTR (s)", "availability_pct": "availability (%)",
        "load_degraded_s": "load out of its normal band (s)",
    ]

    /// One figure of an experiment run by run against its target, with the newest value marked
    /// when it missed the target or regressed.
    static func figure(_ report: ChaosTrendReport, _ figure: ChaosFigureTrend) -> SVGChart {
        let axis = charted[figure.figure] ?? figure.figure
        let labels = figure.values.map { $0.run.id.map(String.init) ?? "?" }
        var summary =
            "\(axis) of \(report.name) over \(figure.values.count) runs, newest "
            + Figure.format(figure.values.last?.value)
        if let target = figure.target {
            summary +=
                "; target \(comparator(figure)) \(Figure.format(target))"
                + (figure.meetsTarget == false ? ", missed" : "")
        }
        var chart = SVGChart(
            title: "\(report.name): \(axis) run by run", summary: summary + ".", xTitle: "run",
            yTitle: axis, xLabels: labels,
            series: [SVGChart.Series(axis, values: figure.values.map(\.value), dots: true)],
            table: TextTable(
                columns: [
                    .init("run", alignRight: true), .init("commit"),
                    .init(axis, alignRight: true),
                ],
                rows: figure.values.map { run, value in
                    [
                        run.id.map(String.init) ?? "?", RunsListView.shortCommit(run.commitId),
                        Figure.format(value),
                    ]
                }))
        chart.pointNotes = figure.values.map { run, value in
            "run \(run.id.map(String.init) ?? "?") · commit \(RunsListView.shortCommit(run.commitId))"
                + " · \(axis) \(Figure.format(value))"
        }
        if let target = figure.target {
            chart.rules.append(
                SVGChart.Rule(
                    target, label: "target \(comparator(figure)) \(Figure.format(target))"))
        }
        if let last = figure.values.last {
            let note = chart.pointNotes[figure.values.count - 1]
            if figure.meetsTarget == false {
                chart.markers.append(
                    SVGChart.Marker(
                        index: figure.values.count - 1, value: last.value, kind: .failed,
                        note: "missed its target: " + note))
            } else if figure.verdict?.verdict == .regression {
                chart.markers.append(
                    SVGChart.Marker(
                        index: figure.values.count - 1, value: last.value, kind: .regression,
                        note: "regression: " + note))
            }
        }
        return chart
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
                            Self.comparator(figure) + " " + Figure.format(target)
                                + (figure.meetsTarget == false ? " MISSED" : "")
                        } ?? "-",
                        Figure.format(figure.verdict?.baseline),
                        Figure.percent(figure.verdict?.changePct),
                        Sparkline.of(figure.values.map(\.value)),
                        Self.verdict(figure),
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
                // An aborted experiment measured no recovery: no figures.
                let measured = entry.experiment.outcome != .aborted
                return [
                    entry.run.id.map(String.init) ?? "?", entry.run.startedAt,
                    Self.outcome(entry.experiment),
                    measured ? Figure.format(entry.experiment.mttrS) : "-",
                    measured ? Figure.format(entry.experiment.availabilityPct) : "-",
                    measured ? Figure.format(entry.experiment.errorRatePct) : "-",
                ]
            })
    }

    /// A figure's verdict as tables show it: a missed target first, then a regression with the
    /// run it started at when that is older than the newest run.
    static func verdict(_ figure: ChaosFigureTrend) -> String {
        var words: [String] = []
        if figure.meetsTarget == false { words.append("missed-target") }
        if let verdict = figure.verdict?.verdict, verdict != .ok || words.isEmpty {
            if verdict == .regression, let since = figure.regressedSince?.id,
                since != figure.values.last?.run.id
            {
                words.append("regression since run \(since)")
            } else if verdict != .insufficientData || words.isEmpty {
                words.append(verdict.rawValue)
            }
        }
        return words.isEmpty ? "-" : words.joined(separator: ", ")
    }

    /// An experiment's outcome as tables show it.
    static func outcome(_ experiment: ChaosExperimentRecord) -> String {
        experiment.outcome.rawValue + (experiment.rolledBack ? " (rolled back)" : "")
    }
}
