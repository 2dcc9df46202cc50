import Foundation

/// What a run measured: a load test, an SLO evaluation, or a chaos experiment.
public enum RunKind: String, Codable, Sendable, CaseIterable {
    case load
    case slo
    case chaos
}

/// How a run ended.
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case passed
    case failed
    case aborted
}

/// The k6 metric types.
public enum MetricType: String, Codable, Sendable, CaseIterable {
    case trend
    case counter
    case rate
    case gauge
}

/// Which way a series gets worse.
public enum Direction: String, Codable, Sendable, CaseIterable {
    case lowerIsBetter = "lower_is_better"
    case higherIsBetter = "higher_is_better"
    case neutral

    /// True when going from `before` to `after` is a change for the worse; a neutral series
    /// never gets worse.
    public func isWorse(from before: Double, to after: Double) -> Bool {
        switch self {
        case .lowerIsBetter: after > before
        case .higherIsBetter: after < before
        case .neutral: false
        }
    }

    /// True when a signed change (after − before) is for the worse.
    public func isWorse(change: Double) -> Bool { isWorse(from: 0, to: change) }
}

/// Statistic names as runs store them: `avg`, `min`, `med`, `max`, `p90`, `p95`, `p99.9`,
/// `count`, `rate`, `value`, `passes`, `fails`, `sum`, `stddev`.
public enum Statistic {
    /// The order statistics are shown in: avg, min, med, max, percentiles ascending, then
    /// counts and rates.
    public static func order(_ name: String) -> Double {
        switch name {
        case "avg": return 0
        case "min": return 1
        case "med": return 2
        case "max": return 3
        case "count": return 200
        case "rate": return 201
        case "value": return 202
        case "passes": return 203
        case "fails": return 204
        case "sum": return 205
        case "stddev": return 206
        default:
            if let level = percentile(name) { return 10 + level }
            return 300
        }
    }

    /// The percentile a statistic is (95 for `p95`, 50 for `med`), if it is one.
    public static func percentile(_ name: String) -> Double? {
        if name == "med" { return 50 }
        guard name.hasPrefix("p") else { return nil }
        return Double(name.dropFirst())
    }
}

/// Which runs belong together in a history: the same kind, scenario and environment, on one
/// branch.
public struct Scope: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var scenario: String?
    public var environment: String?
    public var branch: String

    /// Creates a scope.
    public init(scenario: String?, environment: String?, branch: String) {
        self.scenario = scenario
        self.environment = environment
        self.branch = branch
    }

    public var description: String {
        "scenario \(scenario ?? "-"), environment \(environment ?? "-"), branch \(branch)"
    }
}

/// A (series, statistic) pair: what one history, verdict or trend is about.
///
/// Its hash is computed once, when it is made: a check looks a raw stream's thousand pairs up
/// in fifty runs' figures, and a series name is a hundred characters long.
public struct SeriesStatistic: Hashable, Sendable, Comparable, Codable {
    public var series: String { didSet { digest = Self.digest(series, statistic) } }
    public var statistic: String { didSet { digest = Self.digest(series, statistic) } }
    private var digest: Int

    /// Creates a pair.
    public init(series: String, statistic: String) {
        self.series = series
        self.statistic = statistic
        digest = Self.digest(series, statistic)
    }

    private static func digest(_ series: String, _ statistic: String) -> Int {
        var hasher = Hasher()
        hasher.combine(series)
        hasher.combine(statistic)
        return hasher.finalize()
    }

    public static func == (lhs: SeriesStatistic, rhs: SeriesStatistic) -> Bool {
        lhs.digest == rhs.digest && lhs.series == rhs.series && lhs.statistic == rhs.statistic
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(digest)
    }

    enum CodingKeys: String, CodingKey {
        case series, statistic
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            series: try container.decode(String.self, forKey: .series),
            statistic: try container.decode(String.self, forKey: .statistic))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(series, forKey: .series)
        try container.encode(statistic, forKey: .statistic)
    }

    public static func < (lhs: SeriesStatistic, rhs: SeriesStatistic) -> Bool {
        if lhs.series != rhs.series { return lhs.series < rhs.series }
        return Statistic.order(lhs.statistic) < Statistic.order(rhs.statistic)
    }
}

/// A gate decision on one series and statistic, or on a whole run.
public enum Verdict: String, Codable, Sendable, CaseIterable, Comparable {
    case ok
    case improved
    case insufficientData = "insufficient-data"
    case warning
    case regression

    /// Severity order: ok and improved < insufficient-data < warning < regression.
    var severity: Int {
        switch self {
        case .ok, .improved: 0
        case .insufficientData: 1
        case .warning: 2
        case .regression: 3
        }
    }

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.severity < rhs.severity }
}

/// What a baseline log entry does.
public enum BaselineKind: String, Codable, Sendable, CaseIterable {
    /// Compare with one pinned run.
    case run
    /// Compare with the median of a frozen window of runs ending at a run.
    case window
    /// Accept the level at a run: regressions up to it no longer hold the baseline back.
    case accept
}

/// What to do when the baseline is too short or the run lacks a series the baseline has.
public enum MissingPolicy: String, Codable, Sendable, CaseIterable {
    case pass
    case warn
    case fail
}

/// A run named on the command line: its id, or the newest run.
public enum RunReference: Sendable, Equatable {
    case id(Int64)
    case latest

    /// Parses `latest` or a run id.
    public init(parsing text: String) throws {
        if text == "latest" {
            self = .latest
        } else if let id = Int64(text), id > 0 {
            self = .id(id)
        } else {
            throw PerfDBError(.usage, "\"\(text)\" is not a run id or 'latest'")
        }
    }
}

/// Which runs to list.
public struct RunFilter: Sendable {
    public var kind: RunKind?
    public var scenario: String?
    public var environment: String?
    public var branch: String?
    /// Runs of this commit: the full id, or a prefix of at least 7 characters.
    public var commit: String?
    /// Runs that started at or after this time.
    public var since: Date?
    /// At most this many, newest first.
    public var limit: Int?

    /// Creates a filter that keeps every run.
    public init() {}
}
