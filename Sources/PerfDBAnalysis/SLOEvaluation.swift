import Foundation
import PerfDBModel

/// One SLO: which series and statistic, how it compares with its target and warning threshold,
/// its priority and weight, and optionally a criterion relative to the baseline.
public struct SLODefinition: Sendable, Equatable {
    public var name: String
    public var title: String?
    /// The series in k6 notation (`http_req_duration`, `http_req_duration{endpoint:x}`).
    public var series: String
    public var statistic: String
    public var comparator: SLOComparator
    public var target: Double
    public var warning: Double?
    public var unit: String?
    public var priority: SLOPriority
    public var weight: Double
    public var recommendation: String?
    /// Multiplies the stored value into the SLO's unit (100 turns a ratio into percent).
    public var scale = 1.0
    /// Passes when the value compares so with the baseline (`<=+10%`).
    public var relative: RelativeCriterion?
    /// Between `relative` and this is a warning.
    public var relativeWarning: RelativeCriterion?

    /// Creates an SLO.
    public init(
        name: String, title: String?, series: String, statistic: String,
        comparator: SLOComparator, target: Double, warning: Double?, unit: String?,
        priority: SLOPriority, weight: Double = 1, recommendation: String?
    ) {
        self.name = name
        self.title = title
        self.series = series
        self.statistic = statistic
        self.comparator = comparator
        self.target = target
        self.warning = warning
        self.unit = unit
        self.priority = priority
        self.weight = weight
        self.recommendation = recommendation
    }

    /// The built-in SLOs: latency, errors and checks of any HTTP load test.
    ///
    /// Their advice is generic. Throughput depends on the load a test offers, so it has no built-in target:
    /// perfdb.yml sets it (and a team's own SLOs and advice), per scenario where needed.
    public static let defaults: [SLODefinition] = {
        var errorRate = SLODefinition(
            name: "error_rate", title: "Error rate", series: "http_req_failed", statistic: "rate",
            comparator: .lessThan, target: 1.0, warning: 0.8, unit: "%", priority: .p0,
            recommendation:
                "Requests are failing: read the errors by endpoint and status code, and the "
                + "health of the services the endpoints depend on.")
        errorRate.scale = 100
        var checkPassRate = SLODefinition(
            name: "check_pass_rate", title: "Check pass rate", series: "checks", statistic: "rate",
            comparator: .greaterThan, target: 99, warning: 99.5, unit: "%", priority: .p1,
            recommendation:
                "Functional checks fail under load: read which checks failed, and the responses "
                + "behind them, before the timings.")
        checkPassRate.scale = 100
        return [
            SLODefinition(
                name: "p95_latency", title: "P95 latency", series: "http_req_duration",
                statistic: "p95", comparator: .lessThan, target: 3000, warning: 2400, unit: "ms",
                priority: .p0,
                recommendation:
                    "Tail latency is past its target: find the slowest endpoints of the run "
                    + "(perfdb runs show) and profile them."),
            SLODefinition(
                name: "p99_latency", title: "P99 latency", series: "http_req_duration",
                statistic: "p99", comparator: .lessThan, target: 5000, warning: 4000, unit: "ms",
                priority: .p1,
                recommendation:
                    "Outliers are slow: look for contention, exhausted pools and slow "
                    + "dependencies without timeouts."),
            errorRate,
            checkPassRate,
            SLODefinition(
                name: "avg_latency", title: "Average latency", series: "http_req_duration",
                statistic: "avg", comparator: .lessThan, target: 1500, warning: 1200, unit: "ms",
                priority: .p2,
                recommendation:
                    "Latency is high across the board: the slowest endpoints and their queries "
                    + "come first."),
        ]
    }()
}

/// A criterion relative to the baseline, as Keptn's quality gates write it: `<=+10%` passes
/// when the value is at most 10 % above the baseline, `>=-5%` when at most 5 % below.
public struct RelativeCriterion: Sendable, Equatable, CustomStringConvertible {
    public var comparator: SLOComparator
    public var percent: Double

    /// Parses `<=+10%`, `<+5%`, `>=-5%`.
    public init?(parsing text: String) {
        var rest = Substring(text.replacingOccurrences(of: " ", with: ""))
        var found: SLOComparator?
        for candidate in [SLOComparator.lessOrEqual, .greaterOrEqual, .lessThan, .greaterThan]
        where rest.hasPrefix(candidate.rawValue) {
            found = candidate
            rest = rest.dropFirst(candidate.rawValue.count)
            break
        }
        guard let found, rest.hasSuffix("%"), let percent = Double(rest.dropLast()),
            rest.first == "+" || rest.first == "-"
        else { return nil }
        comparator = found
        self.percent = percent
    }

    public var description: String {
        "\(comparator.rawValue)\(percent >= 0 ? "+" : "")\(Figure.format(percent))%"
    }

    /// True when `value` meets the criterion against `baseline`.
    public func isMet(value: Double, baseline: Double) -> Bool {
        comparator.holds(value, baseline * (1 + percent / 100))
    }
}

extension SLOComparator {
    /// True when `value` compares so with `bound`.
    public func holds(_ value: Double, _ bound: Double) -> Bool {
        switch self {
        case .lessThan: value < bound
        case .lessOrEqual: value <= bound
        case .greaterThan: value > bound
        case .greaterOrEqual: value >= bound
        }
    }
}

/// Evaluates SLOs as the team's validator does: PASS on the good side of the warning threshold,
/// WARNING between warning and target, FAIL past the target, CRITICAL a failed P0.
///
/// Exit code 2 when any is CRITICAL, else 1 when any FAILs or warns, else 0. Relative criteria make
/// a status worse, never better; a weighted score (PASS 1, WARNING ½, else 0) is kept beside it.
public enum SLOEvaluator {
    /// Evaluates `definitions` on a run's statistics; `baseline` gives the baseline value of a
    /// series and statistic when one exists.
    public static func evaluate(
        _ definitions: [SLODefinition], config: Config,
        value: (String, String) -> Double?, baseline: (String, String) -> Double?
    ) -> SLOEvaluationValue {
        var results: [SLOResultValue] = []
        var weightedScore = 0.0
        var totalWeight = 0.0
        for definition in definitions {
            let actual = value(definition.series, definition.statistic).map {
                $0 * definition.scale
            }
            var status: SLOStatus
            var notes: [String] = []
            if let actual {
                status = absoluteStatus(definition, actual)
                if let criterion = definition.relative,
                    let base = baseline(definition.series, definition.statistic)
                        .map({ $0 * definition.scale })
                {
                    let relative: SLOStatus
                    if criterion.isMet(value: actual, baseline: base) {
                        relative = .pass
                    } else if let warning = definition.relativeWarning,
                        warning.isMet(value: actual, baseline: base)
                    {
                        relative = .warning
                    } else {
                        relative = definition.priority == .p0 ? .critical : .fail
                    }
                    notes.append("relative \(criterion) of baseline \(Figure.format(base))")
                    status = worse(status, relative)
                }
            } else {
                status = definition.priority == .p0 ? .critical : .fail
                notes.append("\(definition.series) \(definition.statistic) is missing from the run")
            }
            let points: Double =
                switch status {
                case .pass: 1
                case .warning: 0.5
                case .fail, .critical: 0
                }
            weightedScore += points * definition.weight
            totalWeight += definition.weight
            var recommendation = status == .pass ? nil : definition.recommendation
            if !notes.isEmpty, status != .pass {
                recommendation = ([recommendation].compactMap { $0 } + notes).joined(separator: " ")
            }
            results.append(
                SLOResultValue(
                    name: definition.name, title: definition.title, series: definition.series,
                    statistic: definition.statistic, comparator: definition.comparator,
                    target: definition.target, warning: definition.warning, unit: definition.unit,
                    actual: actual, status: status, priority: definition.priority,
                    recommendation: recommendation))
        }
        let overall = results.map(\.status).reduce(SLOStatus.pass, worse)
        let exitCode =
            results.contains { $0.status == .critical }
            ? 2 : results.contains { $0.status != .pass } ? 1 : 0
        return SLOEvaluationValue(
            overallStatus: overall, exitCode: exitCode, evaluatedAt: nil,
            score: totalWeight > 0 ? weightedScore / totalWeight : nil, results: results)
    }

    private static func absoluteStatus(_ definition: SLODefinition, _ actual: Double) -> SLOStatus {
        let failing: SLOStatus = definition.priority == .p0 ? .critical : .fail
        guard definition.comparator.holds(actual, definition.target) else { return failing }
        if let warning = definition.warning, !definition.comparator.holds(actual, warning) {
            return .warning
        }
        return .pass
    }

    static func worse(_ a: SLOStatus, _ b: SLOStatus) -> SLOStatus {
        let order: [SLOStatus] = [.pass, .warning, .fail, .critical]
        return (order.firstIndex(of: a) ?? 0) >= (order.firstIndex(of: b) ?? 0) ? a : b
    }
}
