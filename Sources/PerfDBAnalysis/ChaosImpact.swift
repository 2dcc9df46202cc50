import Foundation
import PerfDBModel

/// `perfdb chaos impact`: what a fault did to the load run made under it, against the normal
/// baseline of that run's scope — beside the experiment's own MTTR and availability.
public struct ChaosImpactReport: Sendable {
    public var chaosRun: RunRecord
    public var experiment: ChaosExperimentRecord
    /// The load runs made under the fault, oldest first.
    public var loads: [LoadImpact]

    /// The worst of the load runs, figure by figure: what a trend of the experiment judges.
    public var worst: Worst {
        Worst(
            p95Ratio: loads.compactMap { $0.p95?.ratio }.max(),
            p99Ratio: loads.compactMap { $0.p99?.ratio }.max(),
            errorRatePct: loads.compactMap { $0.errorRatePct?.value }.max(),
            throughputDropPct: loads.compactMap { $0.throughput?.changePct.map { -$0 } }.max(),
            degradedS: loads.compactMap { load in load.degradation.map { $0.windowS ?? 0 } }.max())
    }

    /// The load's figures under the fault; nil when no load run has one.
    public struct Worst: Sendable, Equatable {
        /// p95 and p99 of `http_req_duration` under the fault over the normal ones.
        public var p95Ratio: Double?
        public var p99Ratio: Double?
        /// The error rate under the fault, in percent.
        public var errorRatePct: Double?
        /// How far throughput fell, in percent of the normal throughput.
        public var throughputDropPct: Double?
        /// Seconds from the first to the last bucket outside the normal band (raw streams).
        public var degradedS: Double?
    }
}

/// One load run under a fault, against its normal baseline.
public struct LoadImpact: Sendable {
    public var run: RunRecord
    /// The normal runs the p95 baseline is the median of.
    public var baselineRuns: [Int64]
    /// `http_req_duration` p95 and p99 (ms): under the fault, normally, and their ratio.
    public var p95: Change?
    public var p99: Change?
    /// `http_req_failed` in percent; its change is in percentage points.
    public var errorRatePct: Change?
    /// `http_reqs` per second; its change is in percent.
    public var throughput: Change?
    /// The SLOs judged on the run under the fault.
    public var slo: SLOEvaluationValue
    /// From the run's timelines (raw streams): when p95 and errors left the baseline's band and
    /// when they came back.
    public var degradation: Degradation?

    /// A figure under the fault and normally.
    public struct Change: Sendable, Equatable {
        public var value: Double
        public var baseline: Double
        /// The normal runs whose median the baseline is.
        public var runs: [Int64] = []

        /// value / baseline.
        public var ratio: Double? { baseline != 0 ? value / baseline : nil }
        /// value − baseline.
        public var difference: Double { value - baseline }
        /// The change in percent of the baseline.
        public var changePct: Double? { ratio.map { ($0 - 1) * 100 } }
    }

    /// When, counted in seconds from the run's first timeline bucket, the run was outside the
    /// baseline's band.
    public struct Degradation: Sendable, Equatable {
        /// The timeline's bucket length.
        public var bucketSeconds: Double
        /// The band: the baseline's p95 × (1 + the gate's minimum change) and its error rate
        /// plus one percentage point.
        public var p95BandMs: Double
        public var errorBandPct: Double
        /// The first and the last bucket outside the band (start of the one, end of the other);
        /// nil when no bucket left it.
        public var startS: Double?
        public var endS: Double?
        /// When p95 and errors were back in the band for good: the end of their last bucket
        /// outside it; nil when they never left it, or did not come back before the run ended
        /// (`recovered` false).
        public var p95BackS: Double?
        public var errorsBackS: Double?
        public var recovered: Bool
        /// Buckets outside the band, of all.
        public var degradedBuckets: Int
        public var buckets: Int

        /// How long the run was degraded: first to last bucket outside the band.
        public var windowS: Double? {
            guard let startS, let endS else { return nil }
            return endS - startS
        }
    }
}

/// Builds the impact of each chaos run on the load runs made under it.
public struct ChaosImpact: Sendable {
    public let config: Config

    /// Creates a builder.
    public init(config: Config) {
        self.config = config
    }

    /// The reports, in the order of the inputs.
    public func build(_ inputs: [ChaosImpactInputs]) -> [ChaosImpactReport] {
        inputs.map { input in
            ChaosImpactReport(
                chaosRun: input.chaos.run, experiment: input.chaos.experiment,
                loads: input.loads.map(impact))
        }
    }

    private func impact(_ load: ChaosImpactInputs.LoadUnderFault) -> LoadImpact {
        let inputs = load.check
        let run = inputs.run
        let choice = BaselineChoice(inputs.baseline)
        let runValues = run.id.flatMap { inputs.values[$0] } ?? [:]
        let policy = GatePolicy(config: config)
        func change(_ series: String, _ statistic: String, scale: Double = 1) -> LoadImpact.Change?
        {
            let pair = SeriesStatistic(series: series, statistic: statistic)
            let normal = Baseline.values(
                pair, rule: inputs.series[series].flatMap(policy.rule(for:)), choice: choice,
                values: inputs.values, config: config)
            guard let value = runValues[pair],
                let baseline = Statistics.median(normal.map(\.value))
            else { return nil }
            return LoadImpact.Change(
                value: value * scale, baseline: baseline * scale, runs: normal.map(\.run))
        }
        let slo = SLOEvaluator.evaluate(
            config.slos(for: run.scenario, values: runValues), config: config,
            value: { runValues[SeriesStatistic(series: $0, statistic: $1)] },
            baseline: { _, _ in nil })
        let p95 = change("http_req_duration", "p95")
        let errors = change("http_req_failed", "rate", scale: 100)
        let minChangePct =
            inputs.series["http_req_duration"].flatMap(policy.rule(for:))?.minChangePct ?? 10
        return LoadImpact(
            run: run, baselineRuns: p95?.runs ?? [], p95: p95,
            p99: change("http_req_duration", "p99"), errorRatePct: errors,
            throughput: change("http_reqs", "rate"), slo: slo,
            degradation: p95.flatMap { p95 in
                Self.degradation(
                    load.timelines,
                    p95Band: p95.baseline * (1 + minChangePct / 100),
                    errorBand: (errors?.baseline ?? 0) + 1)
            })
    }

    /// The buckets of `http_req_duration` p95 and `http_req_failed` against the band; nil
    /// without those timelines.
    static func degradation(
        _ timelines: [(series: SeriesRecord, buckets: [TimelineRow])], p95Band: Double,
        errorBand: Double
    ) -> LoadImpact.Degradation? {
        // Counted from the first bucket: the stream's own clock, whatever start the run was
        // stored with.
        guard let latency = timelines.first(where: { $0.series.name == "http_req_duration" }),
            let first = latency.buckets.first, let origin = Timestamp.parse(first.start)
        else { return nil }
        let failed = timelines.first { $0.series.name == "http_req_failed" }
        let failedShare = Dictionary(
            (failed?.buckets ?? []).compactMap { bucket in bucket.rate.map { (bucket.start, $0) } },
            uniquingKeysWith: { one, _ in one })
        var result = LoadImpact.Degradation(
            bucketSeconds: latency.buckets[0].seconds, p95BandMs: p95Band,
            errorBandPct: errorBand, startS: nil, endS: nil, p95BackS: nil, errorsBackS: nil,
            recovered: true, degradedBuckets: 0, buckets: latency.buckets.count)
        var lastLatency: Int?
        var lastErrors: Int?
        for (index, bucket) in latency.buckets.enumerated() {
            guard let begin = Timestamp.parse(bucket.start) else { continue }
            let offset = begin.timeIntervalSince(origin)
            let slow = bucket.p95.map { $0 > p95Band } ?? false
            let failing = failedShare[bucket.start].map { $0 * 100 > errorBand } ?? false
            guard slow || failing else { continue }
            result.degradedBuckets += 1
            if result.startS == nil { result.startS = offset }
            result.endS = offset + bucket.seconds
            if slow {
                lastLatency = index
                result.p95BackS = offset + bucket.seconds
            }
            if failing {
                lastErrors = index
                result.errorsBackS = offset + bucket.seconds
            }
        }
        // Still outside the band in the last bucket: it did not come back within the run.
        let last = latency.buckets.count - 1
        if lastLatency == last || lastErrors == last {
            result.recovered = false
            if lastLatency == last { result.p95BackS = nil }
            if lastErrors == last { result.errorsBackS = nil }
        }
        return result
    }
}
