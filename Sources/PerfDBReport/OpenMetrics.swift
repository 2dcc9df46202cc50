import Foundation
import PerfDBAnalysis
import PerfDBModel

/// `perfdb export --format openmetrics`: the latest run of a scope as Prometheus metrics — its
/// key figures per gated series, the gate's verdict, SLO status and compliance, and each chaos
/// experiment's MTTR and availability against their targets.
///
/// Every sample carries the scope (`scenario`, `environment`, `branch`); the run, its commit
/// and build appear only on `perfdb_run_info`, so a scope has one series per figure however
/// many runs it sees (bounded cardinality). Units are Prometheus base units: durations in
/// seconds, rates and percentages as ratios. Only gauges, so the text is OpenMetrics 1.0 and
/// the Prometheus text format at once (`promtool check metrics`, a Pushgateway).
public struct MetricsExport: Sendable {
    /// The gate's judgement of the scope's latest run (not recorded).
    public var check: CheckReport
    /// SLO statuses of the scope's newest runs, for compliance.
    public var slo: SLOTrend?
    /// Every chaos experiment's figures over its runs.
    public var chaos: [ChaosTrendReport]

    /// Creates the export.
    public init(check: CheckReport, slo: SLOTrend?, chaos: [ChaosTrendReport]) {
        self.check = check
        self.slo = slo
        self.chaos = chaos
    }

    /// The scope's labels: on every load sample, and a Pushgateway's grouping key.
    public var scopeLabels: [(String, String)] {
        [
            ("scenario", check.scope.scenario ?? ""),
            ("environment", check.scope.environment ?? ""),
            ("branch", check.scope.branch),
        ]
    }

    /// The families, in the order they are written.
    public var families: [MetricFamily] {
        let scope = scopeLabels
        return
            (runFamilies(scope) + seriesFamilies(scope) + sloFamilies(scope)
            + chaosFamilies).filter { !$0.samples.isEmpty }
    }

    /// The families as OpenMetrics text, ending in `# EOF`.
    public var openMetrics: String {
        families.map(\.text).joined() + "# EOF\n"
    }

    private func runFamilies(_ scope: [(String, String)]) -> [MetricFamily] {
        let run = check.run
        var info = MetricFamily(
            "perfdb_run_info",
            help: "The scope's latest run: its id, commit, build and tool (always 1).")
        info.add(
            scope + [
                ("run", run.id.map(String.init) ?? ""), ("commit", run.commitId ?? ""),
                ("build", run.buildId ?? ""), ("tool", run.tool),
            ], 1)
        var started = MetricFamily(
            "perfdb_run_start_timestamp_seconds", help: "When the latest run started.",
            unit: "seconds")
        if let date = Timestamp.parse(run.startedAt) {
            started.add(scope, date.timeIntervalSince1970)
        }
        var duration = MetricFamily(
            "perfdb_run_duration_seconds", help: "How long the latest run lasted.",
            unit: "seconds")
        if let milliseconds = run.durationMs { duration.add(scope, milliseconds / 1000) }
        var status = MetricFamily(
            "perfdb_run_status", help: "The latest run's status: 1 for the one it has, else 0.")
        for one in RunStatus.allCases {
            status.add(scope + [("status", one.rawValue)], one == run.status ? 1 : 0)
        }
        var verdict = MetricFamily(
            "perfdb_gate_verdict",
            help: "The gate's verdict on the latest run: 1 for the one it has, else 0.")
        for one in Verdict.allCases {
            verdict.add(scope + [("verdict", one.rawValue)], one == check.verdict ? 1 : 0)
        }
        var exit = MetricFamily(
            "perfdb_gate_exit_code", help: "The exit code 'perfdb check' gives the latest run.")
        exit.add(scope, Double(check.exitCode))
        var baseline = MetricFamily(
            "perfdb_gate_baseline_runs", help: "How many runs the latest run's baseline holds.")
        baseline.add(scope, Double(check.baseline.runs.count))
        return [info, started, duration, status, verdict, exit, baseline]
    }

    private func seriesFamilies(_ scope: [(String, String)]) -> [MetricFamily] {
        var values: [String: MetricFamily] = [:]
        var baselines: [String: MetricFamily] = [:]
        var change = MetricFamily(
            "perfdb_series_change_ratio",
            help: "The latest run's change from its baseline (0.05 is 5 % higher).")
        var verdicts = MetricFamily(
            "perfdb_series_verdict",
            help: "The gate's verdict per series and statistic: 1 for the one it has, else 0.")
        for verdict in check.verdicts {
            let labels =
                scope + [("series", verdict.pair.series), ("statistic", verdict.pair.statistic)]
            let unit = SeriesUnit(verdict.unit)
            if let value = verdict.value {
                values[unit.suffix, default: unit.family("perfdb_series", "The latest run's")]
                    .add(labels + unit.labels, value / unit.per)
            }
            if let base = verdict.baseline {
                baselines[
                    unit.suffix, default: unit.family("perfdb_series_baseline", "The baseline's")
                ].add(labels + unit.labels, base / unit.per)
            }
            if let pct = verdict.changePct { change.add(labels, pct / 100) }
            for one in Verdict.allCases {
                verdicts.add(labels + [("verdict", one.rawValue)], one == verdict.verdict ? 1 : 0)
            }
        }
        return values.values.sorted { $0.name < $1.name }
            + baselines.values.sorted { $0.name < $1.name } + [change, verdicts]
    }

    private func sloFamilies(_ scope: [(String, String)]) -> [MetricFamily] {
        var status = MetricFamily(
            "perfdb_slo_status",
            help: "Each SLO's status on the latest run: 1 for the one it has, else 0.")
        var actual = MetricFamily(
            "perfdb_slo_value", help: "Each SLO's measured value on the latest run (its unit).")
        var target = MetricFamily("perfdb_slo_target", help: "Each SLO's target (its unit).")
        for result in check.slo?.results ?? [] {
            let labels =
                scope + [
                    ("slo", result.name), ("priority", result.priority.rawValue),
                    ("unit", result.unit ?? ""),
                ]
            for one in SLOStatus.allCases {
                status.add(labels + [("status", one.rawValue)], one == result.status ? 1 : 0)
            }
            if let value = result.actual { actual.add(labels, value) }
            target.add(labels, result.target)
        }
        var compliance = MetricFamily(
            "perfdb_slo_compliance_ratio",
            help: "The share of the scope's newest runs in which each SLO passed.",
            unit: "ratio")
        var evaluated = MetricFamily(
            "perfdb_slo_compliance_runs", help: "How many runs the compliance ratio counts.")
        if let slo {
            evaluated.add(scope, Double(slo.rows.count))
            for definition in slo.definitions {
                if let percent = slo.compliance(definition.name) {
                    compliance.add(scope + [("slo", definition.name)], percent / 100)
                }
            }
        }
        return [status, actual, target, compliance, evaluated]
    }

    /// Chaos experiments are not a load scope's: labelled by experiment only.
    private var chaosFamilies: [MetricFamily] {
        let kinds: [(figure: String, name: String, what: String, unit: String, per: Double)] = [
            ("mttr_s", "perfdb_chaos_mttr_seconds", "time to recover", "seconds", 1),
            ("availability_pct", "perfdb_chaos_availability_ratio", "availability", "ratio", 100),
            ("error_rate_pct", "perfdb_chaos_error_ratio", "error rate", "ratio", 100),
        ]
        var families: [MetricFamily] = []
        var met = MetricFamily(
            "perfdb_chaos_target_met",
            help: "1 when the newest run of the experiment met the figure's target, else 0.")
        var runs = MetricFamily(
            "perfdb_chaos_runs", help: "How many runs of each experiment are stored.")
        var latest = MetricFamily(
            "perfdb_chaos_last_run_timestamp_seconds",
            help: "When each experiment last ran.", unit: "seconds")
        for kind in kinds {
            var value = MetricFamily(
                kind.name, help: "The \(kind.what) of each experiment's newest run.",
                unit: kind.unit)
            var target = MetricFamily(
                kind.name.replacingOccurrences(of: "perfdb_chaos_", with: "perfdb_chaos_target_"),
                help: "The target \(kind.what) of each experiment.", unit: kind.unit)
            for experiment in chaos {
                guard let figure = experiment.figures.first(where: { $0.figure == kind.figure })
                else { continue }
                let labels = [("experiment", experiment.name)]
                if let newest = figure.values.last { value.add(labels, newest.value / kind.per) }
                if let goal = figure.target { target.add(labels, goal / kind.per) }
                if let meets = figure.meetsTarget {
                    met.add(labels + [("figure", kind.figure)], meets ? 1 : 0)
                }
            }
            families += [value, target]
        }
        for experiment in chaos {
            let labels = [("experiment", experiment.name)]
            runs.add(labels, Double(experiment.entries.count))
            if let date = experiment.entries.last.flatMap({ Timestamp.parse($0.run.startedAt) }) {
                latest.add(labels, date.timeIntervalSince1970)
            }
        }
        return families + [met, runs, latest]
    }
}

/// How a series' stored unit is written as Prometheus base units.
private struct SeriesUnit {
    var suffix: String
    var unit: String?
    /// How many of the stored unit make one base unit (1000 ms a second).
    var per: Double
    /// The stored unit as a label, for families without a base unit.
    var labels: [(String, String)]

    init(_ stored: String) {
        switch stored {
        case "ms": (suffix, unit, per, labels) = ("duration_seconds", "seconds", 1000, [])
        case "ratio": (suffix, unit, per, labels) = ("ratio", "ratio", 1, [])
        case "bytes": (suffix, unit, per, labels) = ("bytes", "bytes", 1, [])
        default: (suffix, unit, per, labels) = ("value", nil, 1, [("unit", stored)])
        }
    }

    func family(_ prefix: String, _ whose: String) -> MetricFamily {
        MetricFamily(
            prefix + "_" + suffix,
            help: "\(whose) value of each gated series and statistic"
                + (unit.map { " (\($0))." } ?? " (in the series' unit)."),
            unit: unit)
    }
}

/// One metric family: its name, help, unit and samples, all gauges.
public struct MetricFamily: Sendable, Equatable {
    public var name: String
    public var help: String
    public var unit: String?
    public var samples: [Sample]

    /// One sample: its labels in order and its value.
    public struct Sample: Sendable, Equatable {
        public var labels: [Label]
        public var value: Double
    }

    /// A label's name and value.
    public struct Label: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    /// An empty family.
    public init(_ name: String, help: String, unit: String? = nil) {
        self.name = name
        self.help = help
        self.unit = unit
        samples = []
    }

    /// Adds a sample; labels with an empty value are left out, as Prometheus reads them.
    public mutating func add(_ labels: [(String, String)], _ value: Double) {
        samples.append(
            Sample(
                labels: labels.filter { !$0.1.isEmpty }.map { Label(name: $0.0, value: $0.1) },
                value: value))
    }

    /// The family as exposition text.
    var text: String {
        var text = "# TYPE \(name) gauge\n"
        if let unit { text += "# UNIT \(name) \(unit)\n" }
        text += "# HELP \(name) \(Self.escapeHelp(help))\n"
        for sample in samples {
            text += name
            if !sample.labels.isEmpty {
                text +=
                    "{"
                    + sample.labels.map { "\($0.name)=\"\(Self.escapeLabel($0.value))\"" }
                    .joined(separator: ",") + "}"
            }
            text += " " + Self.number(sample.value) + "\n"
        }
        return text
    }

    static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// A value as OpenMetrics writes numbers: integers without a fraction, `+Inf`, `NaN`.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
