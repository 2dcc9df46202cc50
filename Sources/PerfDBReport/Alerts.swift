import Foundation
import PerfDBAnalysis
import PerfDBModel

/// What a gating command raises for the people on call: one alert per regressed series, per
/// CRITICAL SLO and per missed chaos target, under labels that name the scope and not the run,
/// so the same regression seen by the next check is the same alert.
///
/// `--alert alertmanager=URL` sends them to Alertmanager's API (and resolves the scope's earlier
/// ones that are gone); `--alert webhook=URL` posts ``webhookDocument``
/// (reports/alert.schema.json).
public struct AlertSet: Sendable, Equatable {
    /// The command that judged: check, slo, chaos.
    public var command: String
    /// The labels every alert of the set carries, and by which the scope's earlier alerts are
    /// found again: `perfdb`, `scenario`, `environment`, `branch`.
    public var group: [Pair]
    public var headline: String
    /// The run judged (nil for chaos trends, which judge many).
    public var run: RunRecord?
    public var verdict: String
    public var exitCode: Int32
    public var alerts: [Alert]

    /// A label or annotation: name and value, kept in order.
    public struct Pair: Sendable, Equatable {
        public var name: String
        public var value: String

        /// A pair.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// One alert: `alertname`, its labels beyond the group's, and what it says.
    public struct Alert: Sendable, Equatable {
        public var name: String
        public var severity: String
        public var labels: [Pair]
        public var summary: String
        public var description: String
    }

    /// The set of a check: its regressions and CRITICAL SLOs.
    public init(check report: CheckReport, headline: String) {
        command = "check"
        group = Self.group("check", report.scope)
        self.headline = headline
        run = report.run
        verdict = report.verdict.rawValue
        exitCode = report.exitCode
        alerts =
            report.verdicts.filter { $0.verdict == .regression }.map { verdict in
                Alert(
                    name: "PerfdbRegression", severity: "critical",
                    labels: [
                        Pair("series", verdict.pair.series),
                        Pair("statistic", verdict.pair.statistic),
                    ],
                    summary:
                        "\(verdict.pair.series) \(verdict.pair.statistic) regressed "
                        + Figure.percent(verdict.changePct),
                    description: verdict.reason)
            } + Self.sloAlerts(report.slo)
        // A run under a fault raises nothing: what moved is the fault's doing.
        if report.underChaos != nil { alerts = [] }
    }

    /// The set of an SLO evaluation: its CRITICAL SLOs.
    public init(run: RunRecord, evaluation: SLOEvaluationValue, headline: String) {
        command = "slo"
        group = Self.group(
            "slo",
            Scope(scenario: run.scenario, environment: run.environment, branch: run.branch ?? ""))
        self.headline = headline
        self.run = run
        verdict = evaluation.overallStatus.rawValue
        exitCode = Int32(evaluation.exitCode)
        alerts = Self.sloAlerts(evaluation)
    }

    /// The set of chaos trends: each figure whose newest value missed its target.
    public init(chaos reports: [ChaosTrendReport], headline: String, exitCode: Int32) {
        command = "chaos"
        group = [Pair("perfdb", "chaos")]
        self.headline = headline
        run = nil
        verdict = exitCode == 0 ? "ok" : "regression"
        self.exitCode = exitCode
        alerts = reports.flatMap { report in
            report.missedTargets.map { figure in
                Alert(
                    name: "PerfdbChaosTargetMissed", severity: "warning",
                    labels: [Pair("experiment", report.name), Pair("figure", figure.figure)],
                    summary:
                        "\(report.name): \(figure.figure) \(Figure.format(figure.values.last?.value)) "
                        + "missed its target \(Figure.format(figure.target))",
                    description:
                        "The newest run of the experiment missed the \(figure.figure) target.")
            }
        }
    }

    private static func group(_ command: String, _ scope: Scope) -> [Pair] {
        [
            Pair("perfdb", command), Pair("scenario", scope.scenario ?? ""),
            Pair("environment", scope.environment ?? ""), Pair("branch", scope.branch),
        ]
    }

    private static func sloAlerts(_ evaluation: SLOEvaluationValue?) -> [Alert] {
        (evaluation?.results ?? []).filter { $0.status == .critical }.map { result in
            Alert(
                name: "PerfdbSLOCritical", severity: "critical",
                labels: [Pair("slo", result.name), Pair("priority", result.priority.rawValue)],
                summary:
                    "SLO \(result.title ?? result.name) CRITICAL: \(Figure.format(result.actual)) "
                    + "\(result.comparator.rawValue) \(Figure.format(result.target)) not met",
                description: result.recommendation ?? "A P0 SLO failed: the deployment is blocked.")
        }
    }

    /// An alert's full label set, as Alertmanager identifies it: `alertname`, `severity`, the
    /// group's labels, its own; empty values left out.
    public func labels(of alert: Alert) -> [Pair] {
        ([Pair("alertname", alert.name), Pair("severity", alert.severity)] + group + alert.labels)
            .filter { !$0.value.isEmpty }
    }

    /// The body of `POST /api/v2/alerts`: every alert firing from `now` until `until` (a later
    /// check that still sees it sends it again), plus `resolved` — label sets of the scope's
    /// earlier alerts that this set no longer has — ending now.
    public func alertmanagerBody(now: Date, until: Date, resolved: [[Pair]]) -> String {
        var annotations: [Pair] = []
        if let run {
            annotations += [
                Pair("run", run.id.map(String.init) ?? ""), Pair("commit", run.commitId ?? ""),
                Pair("build", run.buildId ?? ""),
            ]
        }
        let generator = run?.buildUrl.flatMap { url in
            url.hasPrefix("http://") || url.hasPrefix("https://") ? url : nil
        }
        let firing = alerts.map { alert in
            Self.alertmanagerAlert(
                labels: labels(of: alert),
                annotations: [
                    Pair("summary", alert.summary), Pair("description", alert.description),
                ]
                    + annotations.filter { !$0.value.isEmpty },
                startsAt: now, endsAt: until, generatorURL: generator)
        }
        let ended = resolved.map { labels in
            Self.alertmanagerAlert(
                labels: labels, annotations: [Pair("summary", "resolved by \(headline)")],
                startsAt: nil, endsAt: now, generatorURL: generator)
        }
        return JSONWriter.render(.array(firing + ended))
    }

    private static func alertmanagerAlert(
        labels: [Pair], annotations: [Pair], startsAt: Date?, endsAt: Date, generatorURL: String?
    ) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("labels", .object(JSONObject(labels.map { ($0.name, .string($0.value)) }))),
            ("annotations", .object(JSONObject(annotations.map { ($0.name, .string($0.value)) }))),
        ]
        if let startsAt { members.append(("startsAt", .string(Timestamp.format(startsAt)))) }
        members.append(("endsAt", .string(Timestamp.format(endsAt))))
        if let generatorURL { members.append(("generatorURL", .string(generatorURL))) }
        return .object(JSONObject(members))
    }

    /// The JSON a webhook receives (reports/alert.schema.json): firing when the set has alerts,
    /// else resolved.
    public var webhookDocument: WebhookDocument {
        WebhookDocument(
            source: "perfdb", command: command, status: alerts.isEmpty ? "resolved" : "firing",
            verdict: verdict, exitCode: exitCode, headline: headline,
            group: Labels(group.filter { !$0.value.isEmpty }),
            run: run.map(CheckView.RunDocument.init),
            alerts: alerts.map { alert in
                WebhookDocument.AlertDocument(
                    name: alert.name, severity: alert.severity,
                    labels: Labels(labels(of: alert)),
                    summary: alert.summary, description: alert.description)
            })
    }

    /// The webhook's JSON text.
    public var webhookJSON: String {
        get throws {
            JSONWriter.render(try JSONValueEncoder().encode(Versioned(webhookDocument)))
        }
    }
}

/// What `--alert webhook=URL` posts (reports/alert.schema.json).
public struct WebhookDocument: Encodable {
    public var source: String
    public var command: String
    public var status: String
    public var verdict: String
    public var exitCode: Int32
    public var headline: String
    public var group: Labels
    public var run: CheckView.RunDocument?
    public var alerts: [AlertDocument]

    /// One alert of the payload.
    public struct AlertDocument: Encodable {
        public var name: String
        public var severity: String
        public var labels: Labels
        public var summary: String
        public var description: String
    }

    enum CodingKeys: String, CodingKey {
        case source, command, status, verdict
        case exitCode = "exit_code"
        case headline, group, run, alerts
    }
}

/// Labels as a JSON object, in their order.
public struct Labels: Encodable, Sendable {
    public var pairs: [AlertSet.Pair]

    /// The labels.
    public init(_ pairs: [AlertSet.Pair]) { self.pairs = pairs }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ExactCodingKey.self)
        for pair in pairs { try container.encode(pair.value, forKey: ExactCodingKey(pair.name)) }
    }
}

extension AlertSet {
    /// The label sets among `earlier` (the scope's alerts Alertmanager still holds) that no
    /// alert of this set has: what this judgement resolves.
    public func resolved(from earlier: [[Pair]]) -> [[Pair]] {
        let firing = Set(alerts.map { Self.identity(labels(of: $0)) })
        return earlier.filter { !firing.contains(Self.identity($0)) }
    }

    private static func identity(_ labels: [Pair]) -> [String] {
        labels.map { $0.name + "=" + $0.value }.sorted()
    }
}
