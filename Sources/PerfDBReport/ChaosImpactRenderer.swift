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
