import Foundation
import PerfDBAnalysis
import PerfDBModel

/// `perfdb chaos impact`: per chaos experiment run, its load runs under the fault against the
/// normal baseline, beside the experiment's own figures (reports/chaos-impact.schema.json).
public struct ChaosImpactView: Renderable {
    public var reports: [ChaosImpactReport]

    /// The view of the reports.
    public init(_ reports: [ChaosImpactReport]) { self.reports = reports }

    /// The JSON of the impacts.
    public struct Document: Encodable {
        public var impacts: [Impact]

        /// One chaos run and its load runs.
        public struct Impact: Encodable {
            public var chaos: ChaosEntryDocument
            public var availabilityTargetPct: Double?
            public var loads: [Load]
        }

        /// One load run under the fault.
        public struct Load: Encodable {
            public var run: CheckView.RunDocument
            public var baselineRuns: [Int64]
            public var p95: Figure?
            public var p99: Figure?
            public var errorRatePct: Figure?
            public var throughput: Figure?
            public var slo: SLOSummary
            public var degradation: Degradation?
        }

        /// A figure under the fault and normally; `ratio`, and `change` in the figure's sense
        /// (percent for latency and throughput, percentage points for the error rate).
        public struct Figure: Encodable {
            public var value: Double
            public var baseline: Double
            public var ratio: Double?
            public var change: Double?
        }

        /// The SLOs on the run under the fault.
        public struct SLOSummary: Encodable {
            public var overallStatus: SLOStatus
            public var results: [Result]

            /// One SLO.
            public struct Result: Encodable {
                public var name: String
                public var status: SLOStatus
                public var actual: Double?
                public var target: Double
            }
        }

        /// Seconds from the run's start.
        public struct Degradation: Encodable {
            public var bucketS: Double
            public var p95BandMs: Double
            public var errorBandPct: Double
            public var startS: Double?
            public var endS: Double?
            public var windowS: Double?
            public var p95BackS: Double?
            public var errorsBackS: Double?
            public var recovered: Bool
            public var degradedBuckets: Int
            public var buckets: Int
        }
    }

    public var document: Versioned<Document> {
        Versioned(
            Document(
                impacts: reports.map { report in
                    Document.Impact(
                        chaos: ChaosEntryDocument(
                            ChaosEntry(run: report.chaosRun, experiment: report.experiment)),
                        availabilityTargetPct: report.experiment.availabilityTargetPct,
                        loads: report.loads.map(Self.load))
                }))
    }

    private static func load(_ load: LoadImpact) -> Document.Load {
        func figure(_ change: LoadImpact.Change?, points: Bool = false) -> Document.Figure? {
            change.map {
                Document.Figure(
                    value: $0.value, baseline: $0.baseline, ratio: $0.ratio,
                    change: points ? $0.difference : $0.changePct)
            }
        }
        return Document.Load(
            run: CheckView.RunDocument(load.run), baselineRuns: load.baselineRuns,
            p95: figure(load.p95), p99: figure(load.p99),
            errorRatePct: figure(load.errorRatePct, points: true),
            throughput: figure(load.throughput),
            slo: Document.SLOSummary(
                overallStatus: load.slo.overallStatus,
                results: load.slo.results.map {
                    Document.SLOSummary.Result(
                        name: $0.name, status: $0.status, actual: $0.actual, target: $0.target)
                }),
            degradation: load.degradation.map {
                Document.Degradation(
                    bucketS: $0.bucketSeconds, p95BandMs: $0.p95BandMs,
                    errorBandPct: $0.errorBandPct, startS: $0.startS, endS: $0.endS,
                    windowS: $0.windowS, p95BackS: $0.p95BackS, errorsBackS: $0.errorsBackS,
                    recovered: $0.recovered, degradedBuckets: $0.degradedBuckets,
                    buckets: $0.buckets)
            })
    }

    public var csv: TextTable {
        table(reports.flatMap { report in report.loads.map { (report, $0) } })
    }

    public var blocks: [Block] {
        let loads = reports.reduce(0) { $0 + $1.loads.count }
        var blocks: [Block] = [
            .line(
                .strong(
                    "perfdb chaos impact: \(reports.count) experiment "
                        + (reports.count == 1 ? "run" : "runs")
                        + " with \(loads) load \(loads == 1 ? "run" : "runs") under fault"))
        ]
        for report in reports {
            let experiment = report.experiment
            var facts = [
                "run \(report.chaosRun.id.map(String.init) ?? "?")", report.chaosRun.startedAt,
            ]
            if let mttr = experiment.mttrS {
                facts.append(
                    "MTTR \(Figure.format(mttr)) s"
                        + (experiment.mttrTargetS.map { " (target < \(Figure.format($0)) s)" } ?? "")
                )
            }
            if let availability = experiment.availabilityPct {
                facts.append(
                    "availability \(Figure.format(availability)) %"
                        + (experiment.availabilityTargetPct.map {
                            " (target > \(Figure.format($0)) %)"
                        }
                            ?? ""))
            }
            blocks.append(.heading(3, [.text(experiment.name)]))
            blocks.append(.line(.text(facts.joined(separator: " · "))))
            blocks.append(
                report.loads.isEmpty
                    ? .line("no load run under this fault")
                    : .table(table(report.loads.map { (report, $0) })))
        }
        return blocks
    }

    private func table(_ rows: [(ChaosImpactReport, LoadImpact)]) -> TextTable {
        func latency(_ change: LoadImpact.Change?) -> String {
            guard let change else { return "-" }
            return "\(Figure.format(change.value)) / \(Figure.format(change.baseline)) ms"
                + (change.ratio.map { " (×\(String(format: "%.2f", $0)))" } ?? "")
        }
        return TextTable(
            columns: [
                .init("chaos run", alignRight: true), .init("load run", alignRight: true),
                .init("p95 under / normal"), .init("p99 under / normal"),
                .init("errors", alignRight: true), .init("throughput", alignRight: true),
                .init("SLOs"), .init("degraded (s)"), .init("p95 back at"), .init("errors back at"),
            ],
            rows: rows.map { report, load in
                let degradation = load.degradation
                func seconds(_ value: Double?) -> String {
                    value.map { Figure.format($0) + " s" } ?? "-"
                }
                let window: String =
                    degradation.map { one in
                        guard let start = one.startS, let end = one.endS else { return "none" }
                        return "\(Figure.format(start))–\(Figure.format(end))"
                            + (one.recovered ? "" : " (not back)")
                    } ?? "-"
                let failing = load.slo.results.filter { $0.status != .pass }
                return [
                    report.chaosRun.id.map(String.init) ?? "?", load.run.id.map(String.init) ?? "?",
                    latency(load.p95), latency(load.p99),
                    load.errorRatePct.map {
                        "\(Figure.format($0.value)) % (\($0.difference >= 0 ? "+" : "")"
                            + "\(Figure.format($0.difference)) pt)"
                    } ?? "-",
                    load.throughput.map { Figure.percent($0.changePct) } ?? "-",
                    failing.isEmpty
                        ? load.slo.overallStatus.rawValue
                        : failing.map { "\($0.name) \($0.status.rawValue)" }.joined(
                            separator: ", "),
                    window,
                    degradation.map { seconds($0.p95BackS) } ?? "-",
                    degradation.map { seconds($0.errorsBackS) } ?? "-",
                ]
            })
    }
}

/// `perfdb chaos impact --trend EXPERIMENT`: the load under the same fault across the
/// experiment's runs, each figure judged against the earlier runs and held to its budget
/// (reports/chaos-impact-trend.schema.json).
public struct ChaosImpactTrendView: Renderable {
    public var report: ChaosTrendReport

    /// The view of one experiment's trend.
    public init(_ report: ChaosTrendReport) { self.report = report }

    /// The figures of the load runs under the fault.
    var figures: [ChaosFigureTrend] { report.figures.filter { $0.figure.hasPrefix("load_") } }

    /// 2 when the newest run exceeded a budget or its degradation regressed, else 0.
    public var exitCode: Int32 {
        figures.contains { $0.meetsTarget == false || $0.verdict?.verdict == .regression } ? 2 : 0
    }

    /// The JSON of the trend.
    public struct Document: Encodable {
        public var experiment: String
        public var family: ChaosFamily?
        public var faultType: FaultType?
        /// `pass`, or `fail` when the newest run exceeded a budget or regressed.
        public var verdict: String
        public var exitCode: Int32
        public var runs: [Run]
        public var figures: [ChaosTrendView.Experiment.Figure]

        /// One chaos run and the worst of the load runs under it.
        public struct Run: Encodable {
            public var chaos: ChaosEntryDocument
            public var loadRuns: [Int64]
            public var p95Ratio: Double?
            public var p99Ratio: Double?
            public var errorRatePct: Double?
            public var throughputDropPct: Double?
            public var degradedS: Double?
        }
    }

    public var document: Versioned<Document> {
        let judged = ChaosTrendView.Experiment(report).figures.filter {
            $0.figure.hasPrefix("load_")
        }
        return Versioned(
            Document(
                experiment: report.name, family: report.family, faultType: report.faultType,
                verdict: exitCode == 0 ? "pass" : "fail", exitCode: exitCode,
                runs: report.impacts.map { impact in
                    let row = impact.worst
                    return Document.Run(
                        chaos: ChaosEntryDocument(
                            ChaosEntry(run: impact.chaosRun, experiment: impact.experiment)),
                        loadRuns: impact.loads.compactMap(\.run.id), p95Ratio: row.p95Ratio,
                        p99Ratio: row.p99Ratio, errorRatePct: row.errorRatePct,
                        throughputDropPct: row.throughputDropPct, degradedS: row.degradedS)
                },
                figures: judged))
    }

    public var csv: TextTable { runsTable }

    /// The first line: the verdict and its cause.
    var headline: String {
        let over = figures.filter { $0.meetsTarget == false }.map(\.figure)
        let regressed = figures.filter { $0.verdict?.verdict == .regression }.map(\.figure)
        var causes: [String] = []
        if !over.isEmpty { causes.append("over budget: " + over.joined(separator: ", ")) }
        if !regressed.isEmpty { causes.append("regressed: " + regressed.joined(separator: ", ")) }
        let word = causes.isEmpty ? "PASS" : "FAIL (" + causes.joined(separator: "; ") + ")"
        let runs = report.impacts.count
        return "perfdb chaos impact --trend: \(word) — \(runs) \(runs == 1 ? "run" : "runs") "
            + "with load under the fault"
    }

    public var blocks: [Block] {
        var blocks: [Block] = [
            .heading(3, [.text(report.name)]), .line(.strong(headline)), .table(runsTable),
            .table(figuresTable),
        ]
        // HTML draws the figures a reader follows run by run.
        blocks += figures.filter { ChaosTrendView.charted.keys.contains($0.figure) }
            .map { .figure(ChaosTrendView.figure(report, $0)) }
        let findings = figures.flatMap { figure -> [[Inline]] in
            var found: [[Inline]] = []
            let latest = Figure.format(figure.values.last?.value)
            if figure.meetsTarget == false, let target = figure.target {
                found.append([
                    .code(figure.figure),
                    .text(" \(latest) is over its budget (≤ \(Figure.format(target)))"),
                ])
            }
            if figure.verdict?.verdict == .regression {
                let since =
                    figure.regressedSince.flatMap(\.id).map { " since chaos run \($0)" } ?? ""
                found.append([
                    .code(figure.figure),
                    .text(" regressed\(since): " + (figure.verdict?.reason ?? "")),
                ])
            }
            return found
        }
        if !findings.isEmpty { blocks.append(.list(findings)) }
        return blocks
    }

    private var runsTable: TextTable {
        func number(_ value: Double?, _ suffix: String = "") -> String {
            value.map { Figure.format($0) + suffix } ?? "-"
        }
        return TextTable(
            columns: [
                .init("chaos run", alignRight: true), .init("started_at"), .init("load runs"),
                .init("p95 ×", alignRight: true), .init("p99 ×", alignRight: true),
                .init("errors %", alignRight: true), .init("throughput drop %", alignRight: true),
                .init("degraded s", alignRight: true), .init("MTTR s", alignRight: true),
                .init("availability %", alignRight: true),
            ],
            rows: report.impacts.map { impact in
                let row = impact.worst
                return [
                    impact.chaosRun.id.map(String.init) ?? "?", impact.chaosRun.startedAt,
                    impact.loads.compactMap(\.run.id).map(String.init).joined(separator: ", "),
                    row.p95Ratio.map { String(format: "%.2f", $0) } ?? "-",
                    row.p99Ratio.map { String(format: "%.2f", $0) } ?? "-",
                    number(row.errorRatePct), number(row.throughputDropPct),
                    number(row.degradedS), number(impact.experiment.mttrS),
                    number(impact.experiment.availabilityPct),
                ]
            })
    }

    private var figuresTable: TextTable {
        TextTable(
            columns: [
                .init("figure"), .init("latest", alignRight: true), .init("budget"),
                .init("baseline", alignRight: true), .init("change", alignRight: true),
                .init("trend"), .init("verdict"),
            ],
            rows: figures.map { figure in
                [
                    figure.figure, figure.values.last.map { Figure.format($0.value) } ?? "-",
                    figure.target.map { target in
                        "≤ " + Figure.format(target) + (figure.meetsTarget == false ? " OVER" : "")
                    } ?? "-",
                    Figure.format(figure.verdict?.baseline),
                    Figure.percent(figure.verdict?.changePct),
                    Sparkline.of(figure.values.map(\.value)), ChaosTrendView.verdict(figure),
                ]
            })
    }
}
