import Foundation

/// Where a check's baseline came from.
public enum BaselineSource: String, Codable, Sendable, CaseIterable {
    /// One pinned run.
    case pinnedRun = "pinned-run"
    /// A pinned window of runs.
    case pinnedWindow = "pinned-window"
    /// The median of the last valid runs, chosen automatically.
    case automatic
}

/// A robust z-score; with no spread in the baseline any change is infinitely far, written
/// `"+inf"` or `"-inf"` (JSON has no infinity).
public struct ZScore: Codable, Sendable, Equatable {
    public var value: Double

    /// Creates a score.
    public init(_ value: Double) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            value = number
        } else {
            value = try container.decode(String.self).hasPrefix("-") ? -.infinity : .infinity
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if value.isFinite {
            try container.encode(value)
        } else {
            try container.encode(value > 0 ? "+inf" : "-inf")
        }
    }
}

/// The gate's thresholds for one series, as the verdict's evidence records them.
public struct ThresholdsEvidence: Codable, Sendable, Equatable {
    public var family: String
    public var minChangePct: Double?
    public var minChangeAbs: Double?
    public var minZ: Double
    /// The z the change had to reach: `minZ`, or more when the noise was measured from few runs.
    public var zNeeded: Double?
    public var warningChangePct: Double?

    /// Creates the record of a rule's thresholds.
    public init(
        family: String, minChangePct: Double?, minChangeAbs: Double?, minZ: Double,
        zNeeded: Double? = nil, warningChangePct: Double?
    ) {
        self.family = family
        self.minChangePct = minChangePct
        self.minChangeAbs = minChangeAbs
        self.minZ = minZ
        self.zNeeded = zNeeded
        self.warningChangePct = warningChangePct
    }
}

/// Why one series and statistic got its verdict: stored with the verdict (`verdict.evidence`)
/// and shown by `check --format json`.
public struct SeriesEvidence: Codable, Sendable, Equatable {
    public var unit: String
    public var direction: Direction
    /// The change from the baseline in the series' unit.
    public var changeAbs: Double?
    /// The baseline's spread (1.4826 × MAD, floored); nil against one pinned run.
    public var spread: Double?
    public var z: ZScore?
    /// The number of baseline runs.
    public var n: Int
    public var baselineRuns: [Int64]
    public var method: String
    /// The smallest change, in percent of the baseline, the gate could call a regression.
    public var detectableChangePct: Double?
    public var mannWhitneyP: Double?
    public var superiority: Double?
    /// A percentile's 99 % interval in the run, and in its baseline runs' merged histograms
    /// (raw streams): `[low, high]` in the series' unit.
    public var interval: [Double]?
    public var baselineInterval: [Double]?
    public var thresholds: ThresholdsEvidence
    public var reason: String

    /// Creates the evidence.
    public init(
        unit: String, direction: Direction, changeAbs: Double?, spread: Double?, z: ZScore?,
        n: Int, baselineRuns: [Int64], method: String, detectableChangePct: Double? = nil,
        mannWhitneyP: Double?,
        superiority: Double?, interval: [Double]? = nil, baselineInterval: [Double]? = nil,
        thresholds: ThresholdsEvidence, reason: String
    ) {
        self.interval = interval
        self.baselineInterval = baselineInterval
        self.unit = unit
        self.direction = direction
        self.changeAbs = changeAbs
        self.spread = spread
        self.z = z
        self.n = n
        self.baselineRuns = baselineRuns
        self.method = method
        self.detectableChangePct = detectableChangePct
        self.mannWhitneyP = mannWhitneyP
        self.superiority = superiority
        self.thresholds = thresholds
        self.reason = reason
    }
}

extension SeriesEvidence {
    /// The members its `Codable` form has, in the same order and with the same values, built
    /// directly: a raw-stream check stores and prints the evidence of a thousand series, and
    /// the generic encoder spent a third of that check on it.
    public var members: [(String, JSONValue)] {
        let number = JSONValue.number(orNull:)
        func numbers(_ values: [Double]?) -> JSONValue {
            values.map { .array($0.map(JSONValue.number)) } ?? .null
        }
        let z: JSONValue =
            self.z.map { score in
                score.value.isFinite
                    ? .number(score.value) : .string(score.value > 0 ? "+inf" : "-inf")
            } ?? .null
        return [
            ("unit", .string(unit)),
            ("direction", .string(direction.rawValue)),
            ("change_abs", number(changeAbs)),
            ("spread", number(spread)),
            ("z", z),
            ("n", .number(Double(n))),
            ("baseline_runs", .array(baselineRuns.map { .number(Double($0)) })),
            ("method", .string(method)),
            ("detectable_change_pct", number(detectableChangePct)),
            ("mann_whitney_p", number(mannWhitneyP)),
            ("superiority", number(superiority)),
            ("interval", numbers(interval)),
            ("baseline_interval", numbers(baselineInterval)),
            (
                "thresholds",
                .object(
                    JSONObject([
                        ("family", .string(thresholds.family)),
                        ("min_change_pct", number(thresholds.minChangePct)),
                        ("min_change_abs", number(thresholds.minChangeAbs)),
                        ("min_z", .number(thresholds.minZ)),
                        ("z_needed", number(thresholds.zNeeded)),
                        ("warning_change_pct", number(thresholds.warningChangePct)),
                    ]))
            ),
            ("reason", .string(reason)),
        ]
    }
}

/// The pin a check's baseline came from.
public struct PinEvidence: Codable, Sendable, Equatable {
    public var id: Int64?
    public var kind: BaselineKind
    public var runId: Int64?
    public var window: Int?
    public var reason: String
    public var setAt: String

    /// The record of a baseline log entry.
    public init(_ entry: BaselineRecord) {
        id = entry.id
        kind = entry.kind
        runId = entry.runId
        window = entry.windowSize
        reason = entry.reason
        setAt = entry.setAt
    }
}

/// How a check's baseline was chosen.
public struct BaselineEvidence: Codable, Sendable, Equatable {
    public var kind: BaselineSource
    /// The runs the baseline may draw from.
    public var runs: [Int64]
    public var heldBackAt: Int64?
    public var acceptedAt: Int64?
    public var pin: PinEvidence?
    /// A run that regressed once and whose level did not persist: left out, holding nothing
    /// back.
    public var outlier: OutlierEvidence?

    /// Creates the record.
    public init(
        kind: BaselineSource, runs: [Int64], heldBackAt: Int64?, acceptedAt: Int64?,
        pin: PinEvidence?, outlier: OutlierEvidence? = nil
    ) {
        self.kind = kind
        self.runs = runs
        self.heldBackAt = heldBackAt
        self.acceptedAt = acceptedAt
        self.pin = pin
        self.outlier = outlier
    }
}

/// A run far off whose level did not persist: the runs after it are back at the old level.
public struct OutlierEvidence: Codable, Sendable, Equatable {
    public var run: Int64
    /// How many series it moved past the regression threshold.
    public var series: Int
    /// True when it moved most gated series at once: the host or the environment, more likely
    /// than the code.
    public var environmentSuspected: Bool

    /// Creates the record.
    public init(run: Int64, series: Int, environmentSuspected: Bool) {
        self.run = run
        self.series = series
        self.environmentSuspected = environmentSuspected
    }
}

/// A change point a check found, as its evidence records it.
public struct ChangePointEvidence: Codable, Sendable, Equatable {
    public var series: String
    public var stat: String
    /// The first run after the change.
    public var runId: Int64?
    public var commit: String?
    public var startedAt: String
    public var before: Double
    public var after: Double
    public var changePct: Double?
    public var pValue: Double
    /// `regression` or `improvement`.
    public var direction: String

    /// Creates the record.
    public init(
        series: String, stat: String, runId: Int64?, commit: String?, startedAt: String,
        before: Double, after: Double, changePct: Double?, pValue: Double, direction: String
    ) {
        self.series = series
        self.stat = stat
        self.runId = runId
        self.commit = commit
        self.startedAt = startedAt
        self.before = before
        self.after = after
        self.changePct = changePct
        self.pValue = pValue
        self.direction = direction
    }
}

/// Why a run got its overall verdict: stored with the run's verdict row.
public struct RunEvidence: Codable, Sendable, Equatable {
    public var baseline: BaselineEvidence
    public var exitCode: Int32
    public var slo: SLOStatus?
    public var changePoints: [ChangePointEvidence]

    /// Creates the record.
    public init(
        baseline: BaselineEvidence, exitCode: Int32, slo: SLOStatus?,
        changePoints: [ChangePointEvidence]
    ) {
        self.baseline = baseline
        self.exitCode = exitCode
        self.slo = slo
        self.changePoints = changePoints
    }
}

/// One verdict as the store records it: a series and statistic's, or (with no series) the
/// run's overall one.
public struct VerdictRecord: Sendable, Equatable {
    /// Its evidence.
    public enum Evidence: Sendable, Equatable {
        case series(SeriesEvidence)
        case run(RunEvidence)
    }

    public var series: String?
    public var statistic: String?
    public var verdict: Verdict
    public var value: Double?
    public var baseline: Double?
    public var changePct: Double?
    public var evidence: Evidence

    /// Creates a record.
    public init(
        series: String?, statistic: String?, verdict: Verdict, value: Double?, baseline: Double?,
        changePct: Double?, evidence: Evidence
    ) {
        self.series = series
        self.statistic = statistic
        self.verdict = verdict
        self.value = value
        self.baseline = baseline
        self.changePct = changePct
        self.evidence = evidence
    }
}

extension SeriesEvidence {
    /// `members` as compact JSON, written directly: the text `JSONWriter.render` gives of them
    /// (`pretty: false`), without building them first — a raw stream's check stores the
    /// evidence of a thousand series.
    public var compactJSON: String {
        var out = JSONWriter.Bytes(capacity: 1024)
        // Each member with the comma before it and its key, as one piece of text.
        func number(_ key: StaticString, _ value: Double?) {
            out.append(key)
            if let value { JSONWriter.writeNumber(value, into: &out) } else { out.append("null") }
        }
        func numbers(_ key: StaticString, _ values: [Double]?) {
            out.append(key)
            guard let values else { return out.append("null") }
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeNumber(value, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        func text(_ key: StaticString, _ value: String) {
            out.append(key)
            JSONWriter.writeString(value, into: &out)
        }
        text(#"{"unit":"#, unit)
        text(#","direction":"#, direction.rawValue)
        number(#","change_abs":"#, changeAbs)
        number(#","spread":"#, spread)
        if let score = z?.value, !score.isFinite {
            text(#","z":"#, score > 0 ? "+inf" : "-inf")
        } else {
            number(#","z":"#, z?.value)
        }
        number(#","n":"#, Double(n))
        numbers(#","baseline_runs":"#, baselineRuns.map(Double.init))
        text(#","method":"#, method)
        number(#","detectable_change_pct":"#, detectableChangePct)
        number(#","mann_whitney_p":"#, mannWhitneyP)
        number(#","superiority":"#, superiority)
        numbers(#","interval":"#, interval)
        numbers(#","baseline_interval":"#, baselineInterval)
        text(#","thresholds":{"family":"#, thresholds.family)
        number(#","min_change_pct":"#, thresholds.minChangePct)
        number(#","min_change_abs":"#, thresholds.minChangeAbs)
        number(#","min_z":"#, thresholds.minZ)
        number(#","z_needed":"#, thresholds.zNeeded)
        number(#","warning_change_pct":"#, thresholds.warningChangePct)
        text(#"},"reason":"#, reason)
        out.append(UInt8(ascii: "}"))
        return out.text
    }
}

extension VerdictRecord.Evidence {
    /// The JSON text stored in `verdict.evidence`, the same on every engine.
    public func storedText() throws -> String {
        switch self {
        case .series(let series): series.compactJSON
        case .run(let run): JSONWriter.render(try JSONValueEncoder().encode(run), pretty: false)
        }
    }

    /// A verdict's stored evidence, read back as the type it was written as: a series' when the
    /// verdict has a series, else the run's.
    public init(storedText text: String, ofSeries: Bool) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let data = Data(text.utf8)
        self =
            ofSeries
            ? .series(try decoder.decode(SeriesEvidence.self, from: data))
            : .run(try decoder.decode(RunEvidence.self, from: data))
    }

    /// The evidence with run and baseline ids of another database replaced by the ids here (as
    /// `merge` copies verdicts); an id that maps to nothing is left out (a list) or becomes null.
    public func remapped(runs: [Int64: Int64], baselines: [Int64: Int64]) -> Self {
        switch self {
        case .series(var series):
            series.baselineRuns = series.baselineRuns.compactMap { runs[$0] }
            return .series(series)
        case .run(var run):
            run.baseline.runs = run.baseline.runs.compactMap { runs[$0] }
            run.baseline.heldBackAt = run.baseline.heldBackAt.flatMap { runs[$0] }
            run.baseline.acceptedAt = run.baseline.acceptedAt.flatMap { runs[$0] }
            if var pin = run.baseline.pin {
                pin.id = pin.id.flatMap { baselines[$0] }
                pin.runId = pin.runId.flatMap { runs[$0] }
                run.baseline.pin = pin
            }
            if var outlier = run.baseline.outlier {
                // An outlier whose run did not come along is no longer evidence of anything.
                outlier.run = runs[outlier.run] ?? 0
                run.baseline.outlier = outlier.run == 0 ? nil : outlier
            }
            for index in run.changePoints.indices {
                run.changePoints[index].runId = run.changePoints[index].runId.flatMap { runs[$0] }
            }
            return .run(run)
        }
    }
}
