import Foundation
import PerfDBAnalysis
import PerfDBModel

/// The fields every run has in JSON (reports/runs-list.schema.json).
public struct RunSummaryDocument: Encodable {
    public var id: Int64?
    public var kind: RunKind
    public var tool: String
    public var sourceFormat: InputFormat
    public var sourceFile: String?
    public var scenario: String?
    public var environment: String?
    public var branch: String?
    public var commit: String?
    public var build: String?
    public var buildUrl: String?
    public var pullRequest: String?
    public var status: RunStatus
    public var exitCode: Int?
    public var startedAt: String
    public var endedAt: String?
    public var durationMs: Double?
    public var invalidated: Bool
    public var invalidatedReason: String?
    public var contentDigest: String

    /// The summary of a run.
    public init(_ run: RunRecord) {
        id = run.id
        kind = run.kind
        tool = run.tool
        sourceFormat = run.sourceFormat
        sourceFile = run.sourceFile
        scenario = run.scenario
        environment = run.environment
        branch = run.branch
        commit = run.commitId
        build = run.buildId
        buildUrl = run.buildUrl
        pullRequest = run.pullRequest
        status = run.status
        exitCode = run.exitCode
        startedAt = run.startedAt
        endedAt = run.endedAt
        durationMs = run.durationMs
        invalidated = run.invalidated
        invalidatedReason = run.invalidatedReason
        contentDigest = run.contentDigest
    }
}

/// `perfdb runs list`: the runs, newest first.
public struct RunsListView: Renderable {
    public var runs: [RunRecord]

    /// The list of `runs`.
    public init(_ runs: [RunRecord]) { self.runs = runs }

    public var document: [RunSummaryDocument] { runs.map(RunSummaryDocument.init) }

    public var blocks: [Block] {
        runs.isEmpty ? [.line("no runs")] : [.table(table(csv: false))]
    }

    public var csv: TextTable { table(csv: true) }

    private func table(csv: Bool) -> TextTable {
        TextTable(
            columns: [
                .init("id", alignRight: true), .init("kind"), .init("scenario"),
                .init("environment"), .init("branch"), .init("commit"), .init("build"),
                .init("status"), .init("started_at"),
            ],
            rows: runs.map { run in
                [
                    run.id.map(String.init) ?? "", run.kind.rawValue, run.scenario ?? "-",
                    run.environment ?? "-", run.branch ?? "-",
                    csv ? run.commitId ?? "" : Self.shortCommit(run.commitId),
                    run.buildId ?? "-", Self.status(run.status, invalidated: run.invalidated),
                    run.startedAt,
                ]
            })
    }

    /// A run's status as tables show it.
    static func status(_ status: RunStatus, invalidated: Bool) -> String {
        invalidated ? "\(status.rawValue) (invalidated)" : status.rawValue
    }

    /// The first 12 characters of a commit id.
    public static func shortCommit(_ commit: String?) -> String {
        guard let commit else { return "-" }
        return commit.count > 12 ? String(commit.prefix(12)) : commit
    }
}

/// `perfdb runs show`: one run with its metrics, thresholds, checks and SLO or chaos details.
public struct RunShowView: Renderable {
    public var detail: RunDetail

    /// The report of a run.
    public init(_ detail: RunDetail) { self.detail = detail }

    /// The JSON of a run (reports/run-show.schema.json).
    public struct Document: Encodable {
        public var summary: RunSummaryDocument
        public var labels: JSONValue
        public var metrics: JSONValue
        public var thresholds: [Threshold]
        public var checks: [Check]
        public var slo: SLODocument?
        public var chaos: Chaos?
        public var errors: [ErrorKind]
        public var underChaos: UnderChaos?

        public struct Threshold: Encodable {
            public var series: String
            public var expression: String
            public var passed: Bool?
            public var abortOnFail: Bool
        }

        /// A kind of error the run counted (Locust's failures and exceptions).
        public struct ErrorKind: Encodable {
            public var kind: ErrorKindValue.Kind
            public var method: String?
            public var name: String?
            public var message: String
            public var occurrences: Int
            public var firstSeen: String?
            public var lastSeen: String?
            public var detail: String?
        }

        public struct Check: Encodable {
            public var group: String
            public var name: String
            public var passes: Int
            public var fails: Int
        }

        public struct Chaos: Encodable {
            public var experimentId: String?
            public var name: String
            public var family: ChaosFamily?
            public var faultType: FaultType?
            public var blastRadius: BlastRadius?
            public var target: String?
            public var steadyStateBefore: Bool?
            public var steadyStateAfter: Bool?
            public var outcome: RunStatus
            public var rolledBack: Bool
            public var rollbackReason: String?
            public var availabilityPct: Double?
            public var availabilityTargetPct: Double?
            public var errorRatePct: Double?
            public var errorRateTargetPct: Double?
            public var mttrS: Double?
            public var mttrTargetS: Double?
            public var requestsTotal: Int?
            public var requestsFailed: Int?
            public var startedAt: String
            public var endedAt: String?
            public var durationS: Double?
            public var activities: [Activity]
        }

        public struct Activity: Encodable {
            public var phase: ChaosActivityValue.Phase
            public var type: ChaosActivityValue.Kind
            public var name: String
            public var status: String
            public var toleranceMet: Bool?
            public var startedAt: String?
            public var durationS: Double?
        }

        public func encode(to encoder: any Encoder) throws {
            try summary.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(labels, forKey: .labels)
            try container.encode(metrics, forKey: .metrics)
            try container.encode(thresholds, forKey: .thresholds)
            try container.encode(checks, forKey: .checks)
            if let slo { try container.encode(slo, forKey: .slo) }
            if let chaos { try container.encode(chaos, forKey: .chaos) }
            try container.encode(errors, forKey: .errors)
            if let underChaos { try container.encode(underChaos, forKey: .underChaos) }
        }

        private enum CodingKeys: String, CodingKey {
            case labels, metrics, thresholds, checks, slo, chaos, errors
            case underChaos = "under_chaos"
        }

        /// The chaos run a load run ran under.
        public struct UnderChaos: Encodable {
            public var chaosRunId: Int64
            public var experiment: String
            public var linkedBy: String
            public var linkedAt: String

            enum CodingKeys: String, CodingKey {
                case chaosRunId = "chaos_run_id"
                case experiment
                case linkedBy = "linked_by"
                case linkedAt = "linked_at"
            }
        }
    }

    public var document: Versioned<Document> {
        let run = detail.run
        return Versioned(
            Document(
                summary: RunSummaryDocument(run),
                labels: .object(JSONObject(detail.labels.map { ($0.key, .string($0.value)) })),
                metrics: .object(
                    JSONObject(
                        detail.metrics.map { metric in
                            (
                                metric.series.name,
                                .object(
                                    JSONObject(
                                        metric.statistics.map { ($0.name, .number($0.value)) }))
                            )
                        })),
                thresholds: detail.thresholds.map {
                    Document.Threshold(
                        series: $0.series, expression: $0.expression, passed: $0.passed,
                        abortOnFail: $0.abortOnFail)
                },
                checks: detail.checks.map {
                    Document.Check(
                        group: $0.groupPath, name: $0.name, passes: $0.passes, fails: $0.fails)
                },
                slo: detail.slo.map { SLODocument($0.evaluation, $0.results) },
                chaos: detail.chaos.map { chaos in
                    let experiment = chaos.experiment
                    return Document.Chaos(
                        experimentId: experiment.experimentId, name: experiment.name,
                        family: experiment.family, faultType: experiment.faultType,
                        blastRadius: experiment.blastRadius, target: experiment.target,
                        steadyStateBefore: experiment.steadyStateBefore,
                        steadyStateAfter: experiment.steadyStateAfter, outcome: experiment.outcome,
                        rolledBack: experiment.rolledBack,
                        rollbackReason: experiment.rollbackReason,
                        availabilityPct: experiment.availabilityPct,
                        availabilityTargetPct: experiment.availabilityTargetPct,
                        errorRatePct: experiment.errorRatePct,
                        errorRateTargetPct: experiment.errorRateTargetPct, mttrS: experiment.mttrS,
                        mttrTargetS: experiment.mttrTargetS,
                        requestsTotal: experiment.requestsTotal,
                        requestsFailed: experiment.requestsFailed,
                        startedAt: experiment.startedAt, endedAt: experiment.endedAt,
                        durationS: experiment.durationS,
                        activities: chaos.activities.map {
                            Document.Activity(
                                phase: $0.phase, type: $0.type, name: $0.name, status: $0.status,
                                toleranceMet: $0.toleranceMet, startedAt: $0.startedAt,
                                durationS: $0.durationS)
                        })
                },
                errors: detail.errors.map {
                    Document.ErrorKind(
                        kind: $0.kind, method: $0.method, name: $0.name, message: $0.message,
                        occurrences: $0.occurrences, firstSeen: $0.firstSeen.map(Timestamp.format),
                        lastSeen: $0.lastSeen.map(Timestamp.format), detail: $0.detail)
                },
                underChaos: detail.chaosLink.map {
                    Document.UnderChaos(
                        chaosRunId: $0.chaosRunId, experiment: $0.experiment,
                        linkedBy: $0.linkedBy.rawValue, linkedAt: $0.linkedAt)
                }))
    }

    public var csv: TextTable { metricsTable(includeEmpty: true) }

    /// Statistics shown as columns in the metrics table, in this order.
    private static let statisticColumns = [
        "avg", "min", "med", "max", "p90", "p95", "p99", "count", "rate", "value", "passes",
        "fails",
    ]

    private func metricsTable(includeEmpty: Bool) -> TextTable {
        let present = Set(detail.metrics.flatMap { $0.statistics.map(\.name) })
        var columns = Self.statisticColumns.filter { includeEmpty || present.contains($0) }
        columns += present.subtracting(Self.statisticColumns).sorted {
            Statistic.order($0) < Statistic.order($1)
        }
        return TextTable(
            columns: [.init("series"), .init("unit")] + columns.map { .init($0, alignRight: true) },
            rows: detail.metrics.map { metric in
                let values = Dictionary(
                    metric.statistics.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
                return [metric.series.name, metric.series.unit]
                    + columns.map { column in values[column].map(Figure.format) ?? "" }
            })
    }

    public var blocks: [Block] {
        let run = detail.run
        var facts: [(String, String)] = [
            ("tool", [run.tool, run.toolVersion].compactMap { $0 }.joined(separator: " ")),
            ("format", run.sourceFormat.rawValue), ("file", run.sourceFile ?? "-"),
            ("scenario", run.scenario ?? "-"), ("environment", run.environment ?? "-"),
            ("branch", run.branch ?? "-"), ("commit", run.commitId ?? "-"),
            ("build", [run.buildId, run.buildUrl].compactMap { $0 }.joined(separator: " ")),
            ("pull request", run.pullRequest ?? "-"), ("started", run.startedAt),
            ("ended", run.endedAt ?? "-"),
            ("duration", run.durationMs.map { Figure.format($0 / 1000) + " s" } ?? "-"),
            ("exit code", run.exitCode.map(String.init) ?? "-"),
        ]
        if run.invalidated { facts.append(("invalidated", run.invalidatedReason ?? "yes")) }
        if let link = detail.chaosLink {
            facts.append(
                (
                    "under chaos",
                    "chaos run \(link.chaosRunId) (\(link.experiment)), linked "
                        + (link.linkedBy == .explicit ? "by --chaos-run" : "by time")
                        + "; not in the normal baseline (perfdb runs unlink \(link.runId))"
                ))
        }
        if !detail.labels.isEmpty {
            facts.append(
                ("labels", detail.labels.map { "\($0.key)=\($0.value)" }.joined(separator: " ")))
        }
        var blocks: [Block] = [
            .heading(
                2,
                [
                    .text(
                        "Run \(run.id.map(String.init) ?? "?") · \(run.kind.rawValue) · \(run.status.rawValue)"
                    )
                ]),
            .table(
                TextTable(
                    columns: [.init("field"), .init("value")],
                    rows: facts.map { [$0.0, $0.1.isEmpty ? "-" : $0.1] })),
        ]
        if !detail.metrics.isEmpty {
            blocks += [.heading(3, ["Metrics"]), .table(metricsTable(includeEmpty: false))]
        }
        if !detail.thresholds.isEmpty {
            blocks += [
                .heading(3, ["Thresholds"]),
                .table(
                    TextTable(
                        columns: [.init("series"), .init("threshold"), .init("result")],
                        rows: detail.thresholds.map {
                            [
                                $0.series, $0.expression + ($0.abortOnFail ? " (abortOnFail)" : ""),
                                $0.passed.map { $0 ? "passed" : "FAILED" } ?? "not evaluated",
                            ]
                        })),
            ]
        }
        if !detail.errors.isEmpty {
            blocks += [
                .heading(3, ["Errors"]),
                .table(
                    TextTable(
                        columns: [
                            .init("kind"), .init("request"), .init("message"),
                            .init("count", alignRight: true), .init("first seen"),
                            .init("last seen"),
                        ],
                        rows: detail.errors.map {
                            [
                                $0.kind.rawValue,
                                [$0.method, $0.name].compactMap { $0 }.joined(separator: " "),
                                $0.message, String($0.occurrences),
                                $0.firstSeen.map(Timestamp.format) ?? "-",
                                $0.lastSeen.map(Timestamp.format) ?? "-",
                            ]
                        })),
            ]
        }
        if !detail.checks.isEmpty {
            blocks += [
                .heading(3, ["Checks"]),
                .table(
                    TextTable(
                        columns: [
                            .init("group"), .init("check"), .init("passes", alignRight: true),
                            .init("fails", alignRight: true),
                        ],
                        rows: detail.checks.map {
                            [
                                $0.groupPath.isEmpty ? "(root)" : $0.groupPath, $0.name,
                                String($0.passes), String($0.fails),
                            ]
                        })),
            ]
        }
        if let slo = detail.slo {
            blocks += [
                .heading(
                    3,
                    [
                        .text(
                            "SLOs: \(slo.evaluation.overallStatus.rawValue) (exit code \(slo.evaluation.exitCode))"
                        )
                    ]),
                .table(
                    TextTable(
                        columns: [
                            .init("slo"), .init("priority"), .init("actual", alignRight: true),
                            .init("target"), .init("status"), .init("recommendation"),
                        ],
                        rows: slo.results.map { result in
                            [
                                result.title ?? result.name, result.priority.rawValue,
                                Figure.format(result.actual),
                                "\(result.comparator.rawValue) \(Figure.format(result.target)) \(result.unit ?? "")"
                                    .trimmingCharacters(in: .whitespaces),
                                result.status.rawValue, result.recommendation ?? "",
                            ]
                        })),
            ]
        }
        if let chaos = detail.chaos {
            blocks += [
                .heading(3, ["Chaos experiment"]), .table(Self.chaosTable(chaos.experiment)),
            ]
            if !chaos.activities.isEmpty {
                blocks += [
                    .heading(3, ["Activities"]), .table(Self.activityTable(chaos.activities)),
                ]
            }
        }
        return blocks
    }

    private static func chaosTable(_ experiment: ChaosExperimentRecord) -> TextTable {
        func yesNo(_ value: Bool?) -> String { value.map { $0 ? "met" : "NOT met" } ?? "-" }
        func percent(_ value: Double?, target: Double?, sign: String) -> String {
            guard let value else { return "-" }
            let text = Figure.format(value) + " %"
            return target.map { text + " (target \(sign) \(Figure.format($0)) %)" } ?? text
        }
        let mttr =
            experiment.mttrS.map {
                Figure.format($0) + " s"
                    + (experiment.mttrTargetS.map { " (target < \(Figure.format($0)) s)" } ?? "")
            } ?? "-"
        return TextTable(
            columns: [.init("chaos"), .init("value")],
            rows: [
                ["experiment", experiment.name],
                [
                    "family / fault",
                    "\(experiment.family?.rawValue ?? "-") / \(experiment.faultType?.rawValue ?? "-")",
                ],
                ["blast radius", experiment.blastRadius?.rawValue ?? "-"],
                ["target", experiment.target ?? "-"],
                [
                    "steady state before / after",
                    "\(yesNo(experiment.steadyStateBefore)) / \(yesNo(experiment.steadyStateAfter))",
                ],
                [
                    "outcome",
                    experiment.outcome.rawValue + (experiment.rolledBack ? " (rolled back)" : ""),
                ],
                [
                    "availability",
                    percent(
                        experiment.availabilityPct, target: experiment.availabilityTargetPct,
                        sign: ">"),
                ],
                [
                    "error rate",
                    percent(
                        experiment.errorRatePct, target: experiment.errorRateTargetPct, sign: "<"),
                ],
                ["MTTR", mttr],
                [
                    "requests failed / total",
                    "\(experiment.requestsFailed.map(String.init) ?? "-") / \(experiment.requestsTotal.map(String.init) ?? "-")",
                ],
            ])
    }

    /// A chaos experiment's activities in order; a steady-state probe's tolerance result beside
    /// the tool's status (a probe that ran is `succeeded` even when its tolerance failed).
    private static func activityTable(_ activities: [ChaosActivityRecord]) -> TextTable {
        TextTable(
            columns: [
                .init("#", alignRight: true), .init("phase"), .init("type"), .init("name"),
                .init("status"), .init("tolerance"), .init("duration_s", alignRight: true),
            ],
            rows: activities.map { activity in
                [
                    String(activity.seq), activity.phase.rawValue, activity.type.rawValue,
                    activity.name, activity.status,
                    activity.toleranceMet.map { $0 ? "met" : "NOT met" } ?? "-",
                    activity.durationS.map(Figure.format) ?? "-",
                ]
            })
    }
}

/// An SLO evaluation as reports show it (the `slo` of `runs show`, `check`, `slo check`).
public struct SLODocument: Encodable {
    public var overallStatus: SLOStatus
    public var exitCode: Int
    public var evaluatedAt: String?
    public var score: Double?
    public var results: [Result]

    /// One SLO's result.
    public struct Result: Encodable {
        public var name: String
        public var title: String?
        public var series: String
        public var statistic: String
        public var comparator: SLOComparator
        public var target: Double
        public var warning: Double?
        public var unit: String?
        public var actual: Double?
        public var status: SLOStatus
        public var priority: SLOPriority
        public var recommendation: String?
    }

    /// A stored evaluation.
    public init(_ evaluation: SLOEvaluationRecord, _ results: [SLOResultRecord]) {
        overallStatus = evaluation.overallStatus
        exitCode = evaluation.exitCode
        evaluatedAt = evaluation.evaluatedAt
        score = evaluation.score
        self.results = results.map {
            Result(
                name: $0.name, title: $0.title, series: $0.series, statistic: $0.statistic,
                comparator: $0.comparator, target: $0.target, warning: $0.warning, unit: $0.unit,
                actual: $0.actual, status: $0.status, priority: $0.priority,
                recommendation: $0.recommendation)
        }
    }

    /// An evaluation just made (so no stored time: the report is printed as it is made).
    public init(_ evaluation: SLOEvaluationValue) {
        overallStatus = evaluation.overallStatus
        exitCode = evaluation.exitCode
        evaluatedAt = nil
        score = evaluation.score
        results = evaluation.results.map {
            Result(
                name: $0.name, title: $0.title, series: $0.series, statistic: $0.statistic,
                comparator: $0.comparator, target: $0.target, warning: $0.warning, unit: $0.unit,
                actual: $0.actual, status: $0.status, priority: $0.priority,
                recommendation: $0.recommendation)
        }
    }
}
