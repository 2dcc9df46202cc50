import PerfDBModel

/// How a raw stream's metric gets its k6 type.
///
/// NDJSON says it in the metric's Metric line; k6's CSV never does. There the type is, in order:
/// `--metric-type NAME=TYPE` (or `ingest.metric_types` in perfdb.yml), k6's own built-in metrics,
/// and for a script's own metric a guess from its values and name that `perfdb ingest` names in
/// a warning (docs/formats.md):
///
/// - a name with a gauge's word (`depth`, `size`, `active`, `queue`, `vus`, …): a Gauge;
/// - values 0 and 1 only, both present: a Rate;
/// - only 0s or only 1s and a rate's word (`ok`, `success`, `rate`, `error`, `fail`, …): a Rate;
/// - every value 1: a Counter (`.add(1)`);
/// - whole numbers and a counter's word (`total`, `count`, `requests`, …): a Counter;
/// - anything else: a Trend.
///
/// A Trend is the default because it keeps every statistic (count, sum, percentiles).
enum MetricTyping {
    /// The type while reading.
    ///
    /// A metric whose type is not known yet is read as a Trend, which keeps everything every
    /// other type needs, so it can be decided at the end.
    static func provisional(
        _ name: String, catalog: [String: MetricInfo], forced: [String: MetricType]
    ) -> MetricType {
        catalog[name]?.type ?? forced[name] ?? K6Catalogue.builtInTypes[name] ?? .trend
    }

    /// What a metric's values were, across all its series.
    struct Values: Equatable {
        var count = 0
        var minimum = Double.infinity
        var maximum = -Double.infinity
        var fractional = false

        /// Folds one series' figures in.
        mutating func add(count: Int, minimum: Double, maximum: Double, fractional: Bool) {
            self.count += count
            self.minimum = Swift.min(self.minimum, minimum)
            self.maximum = Swift.max(self.maximum, maximum)
            self.fractional = self.fractional || fractional
        }
    }

    /// The final type, and the reason when it was guessed (nil when the stream, the user or
    /// k6's catalogue said it).
    static func decide(
        _ name: String, catalog: [String: MetricInfo], forced: [String: MetricType],
        values: Values
    ) -> (type: MetricType, guess: String?) {
        if let known = catalog[name]?.type ?? forced[name] ?? K6Catalogue.builtInTypes[name] {
            return (known, nil)
        }
        let hint = NameHint(name)
        let whole = !values.fractional && values.minimum >= 0
        if hint == .gauge { return (.gauge, "named like a gauge") }
        if whole && values.minimum == 0 && values.maximum == 1 {
            return (.rate, "values 0 and 1 only")
        }
        if whole && values.maximum <= 1 && hint == .rate {
            return (.rate, "values \(values.maximum == 0 ? 0 : 1) only, named like a rate")
        }
        if whole && values.minimum == 1 && values.maximum == 1 {
            return (.counter, "every value 1")
        }
        if whole && hint == .counter { return (.counter, "whole numbers, named like a counter") }
        if hint == .trend { return (.trend, "named like a duration") }
        return (.trend, values.fractional ? "values with fractions" : "no telling name or values")
    }

    /// What a metric's name suggests.
    private enum NameHint {
        case rate, counter, gauge, trend, none

        init(_ name: String) {
            // Words of snake_case, kebab-case and camelCase names: errorRate → error, rate.
            var words: Set<String> = []
            var word = ""
            var previousLower = false
            for character in name {
                if !(character.isLetter || character.isNumber)
                    || (character.isUppercase && previousLower)
                {
                    if !word.isEmpty { words.insert(word) }
                    word = ""
                }
                if character.isLetter || character.isNumber { word += character.lowercased() }
                previousLower = character.isLowercase || character.isNumber
            }
            if !word.isEmpty { words.insert(word) }
            func any(_ list: [String]) -> Bool { !words.isDisjoint(with: list) }
            if any([
                "depth", "size", "active", "current", "queue", "level", "inflight", "gauge", "vus",
                "connections", "pool", "open", "usage",
            ]) {
                self = .gauge
            } else if any(["total", "count", "counter", "requests", "sent", "received"]) {
                self = .counter
            } else if any([
                "ok", "success", "rate", "ratio", "fail", "failed", "error", "is", "has",
            ]) {
                self = .rate
            } else if any(["duration", "time", "latency", "ms", "wait", "elapsed"]) {
                self = .trend
            } else {
                self = .none
            }
        }
    }
}
