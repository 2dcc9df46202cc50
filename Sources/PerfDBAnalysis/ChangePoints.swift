import Foundation
import PerfDBModel

/// A change in a series' level: the first point of the new level and the means either side.
public struct ChangePoint: Sendable, Equatable {
    /// Index of the first value after the change.
    public var index: Int
    /// Mean of the values between the previous change point and this one.
    public var meanBefore: Double
    /// Mean of the values between this change point and the next.
    public var meanAfter: Double
    /// Two-sided p-value of the t-test between the two sides.
    public var pValue: Double

    /// The relative change from before to after, in percent (nil when the mean before is 0).
    public var changePct: Double? {
        meanBefore == 0 ? nil : (meanAfter / meanBefore - 1) * 100
    }

    /// The larger of the forward and backward relative changes, as Apache Otava measures it.
    public var magnitude: Double {
        let forward = meanBefore == 0 ? 0 : abs(meanAfter / meanBefore - 1)
        let backward = meanAfter == 0 ? 0 : abs(meanBefore / meanAfter - 1)
        return max(forward, backward)
    }
}

/// E-divisive means with a t-test significance check: Apache Otava's method (Fleming et al.,
/// "Hunter: Using Change Point Detection to Hunt for Performance Regressions", ICPE 2023;
/// Matteson and James, "A Nonparametric Approach for Multiple Change Point Analysis of
/// Multivariate Data", 2014).
///
/// Split: over sliding windows of `window` points (step `window / 2`), repeatedly split the
/// interval whose best split maximises the divergence statistic Q̂, keeping a split while the
/// t-test between its two sides has p ≤ 10 × `maxPValue`. Merge: drop the weakest change
/// point (highest p-value, or smallest magnitude below `minMagnitude`) and re-test its
/// neighbours until every change point has p ≤ `maxPValue` and magnitude ≥ `minMagnitude`.
public struct ChangePointDetector: Sendable {
    /// The significance the final change points must reach.
    public var maxPValue: Double
    /// The sliding window of the split step.
    public var window: Int
    /// The smallest relative change kept (0.05 = 5 %).
    public var minMagnitude: Double

    /// Creates a detector with Otava's defaults: p ≤ 0.001, window 50, any magnitude.
    public init(maxPValue: Double = 0.001, window: Int = 50, minMagnitude: Double = 0) {
        self.maxPValue = maxPValue
        self.window = max(window, 2)
        self.minMagnitude = minMagnitude
    }

    /// The change points of `series`, in index order.
    public func changePoints(_ series: [Double]) -> [ChangePoint] {
        changePoints(series, windows: nil)
    }

    /// The splits found in windows of values, kept for one judgement: a series with its newest
    /// value and without it share their first windows.
    final class Windows {
        fileprivate var splits: [[Double]: [Int]] = [:]
    }

    /// ``changePoints(_:)``, each window's splits kept in `windows`.
    func changePoints(_ series: [Double], windows: Windows?) -> [ChangePoint] {
        guard series.count >= 3 else { return [] }
        let firstPass =
            maxPValue < 0.05 ? maxPValue * 10 : maxPValue < 0.5 ? maxPValue * 2 : maxPValue
        var weak = split(series, maxPValue: firstPass, windows: windows)
        return merge(&weak, series)
    }

    // MARK: Split

    private func split(_ series: [Double], maxPValue: Double, windows: Windows?) -> [ChangePoint] {
        var indexes: [Int] = []
        var start = 0
        let step = max(window / 2, 1)
        while start < series.count {
            let end = min(start + window, series.count)
            let values = Array(series[start..<end])
            let splits: [Int]
            if let known = windows?.splits[values] {
                splits = known
            } else {
                splits = detect(values, maxPValue: maxPValue)
                windows?.splits[values] = splits
            }
            let found = splits.map { $0 + start }
            start = max(found.last ?? 0, start + step)
            for index in found where !indexes.contains(index) {
                indexes.append(index)
            }
        }
        indexes.sort()
        return restate(indexes, series)
    }

    /// E-divisive within one window: split the best interval while the split is significant.
    private func detect(_ series: [Double], maxPValue: Double) -> [Int] {
        let divergence = Divergence(series)
        var indexes: [Int] = []
        while true {
            let bounds = Self.intervals(indexes, count: series.count)
            var best: (index: Int, qhat: Double, interval: Int)?
            for (position, interval) in bounds.enumerated() where interval.count > 1 {
                if let candidate = divergence.bestSplit(interval),
                    best == nil || candidate.qhat > best?.qhat ?? -.infinity
                {
                    best = (candidate.index, candidate.qhat, position)
                }
            }
            guard let best else { break }
            let interval = bounds[best.interval]
            let left = Array(series[interval.lowerBound..<best.index])
            let right = Array(series[best.index..<interval.upperBound])
            guard Self.pValue(left, right) <= maxPValue else { break }
            indexes.append(best.index)
            indexes.sort()
        }
        return indexes
    }

    // MARK: Merge

    private func merge(_ points: inout [ChangePoint], _ series: [Double]) -> [ChangePoint] {
        while !points.isEmpty {
            var weakest = points.indices.max { points[$0].pValue < points[$1].pValue } ?? 0
            if points[weakest].pValue < maxPValue {
                weakest = points.indices.min { points[$0].magnitude < points[$1].magnitude } ?? 0
                if points[weakest].magnitude > minMagnitude { return points }
            }
            points.remove(at: weakest)
            points = restate(points.map(\.index), series)
        }
        return points
    }

    /// Change points at `indexes` with their statistics between neighbouring change points.
    private func restate(_ indexes: [Int], _ series: [Double]) -> [ChangePoint] {
        indexes.enumerated().map { position, index in
            let lower = position == 0 ? 0 : indexes[position - 1]
            let upper = position + 1 < indexes.count ? indexes[position + 1] : series.count
            let left = Array(series[lower..<index])
            let right = Array(series[index..<upper])
            return ChangePoint(
                index: index, meanBefore: Statistics.mean(left) ?? 0,
                meanAfter: Statistics.mean(right) ?? 0, pValue: Self.pValue(left, right))
        }
    }

    /// The segments between change points.
    private static func intervals(_ indexes: [Int], count: Int) -> [Range<Int>] {
        let bounds = [0] + indexes + [count]
        return zip(bounds, bounds.dropFirst()).compactMap { $0 < $1 ? $0..<$1 : nil }
    }

    /// Student's two-sample t-test with pooled variance on population standard deviations, as
    /// Otava calls scipy's `ttest_ind_from_stats`; 1 when there are no degrees of freedom.
    static func pValue(_ left: [Double], _ right: [Double]) -> Double {
        let n1 = Double(left.count)
        let n2 = Double(right.count)
        let df = n1 + n2 - 2
        guard df > 0, let mean1 = Statistics.mean(left), let mean2 = Statistics.mean(right) else {
            return 1
        }
        let var1 = left.count > 1 ? left.reduce(0) { $0 + ($1 - mean1) * ($1 - mean1) } / n1 : 0
        let var2 = right.count > 1 ? right.reduce(0) { $0 + ($1 - mean2) * ($1 - mean2) } / n2 : 0
        let pooled = ((n1 - 1) * var1 + (n2 - 1) * var2) / df
        let standardError = (pooled * (1 / n1 + 1 / n2)).squareRoot()
        guard standardError > 0 else { return mean1 == mean2 ? 1 : 0 }
        return Statistics.studentTTwoSidedP(t: (mean1 - mean2) / standardError, df: df)
    }
}

/// The E-divisive divergence Q̂ of splitting a segment into X = [start, τ) and Y = [τ, κ): Q̂ =
/// 2/(n+m)·ΣΣ|Xᵢ−Yⱼ| − 2m/((n+m)(n−1))·Σ|Xᵢ−Xₖ| − 2n/((n+m)(m−1))·Σ|Yⱼ−Yₖ|, with n = |X|, m = |Y|,
/// maximised over τ and κ.
///
/// Column prefix sums of the distances make one interval O(n²).
private struct Divergence {
    let series: [Double]
    /// The prefix sums of every column.
    ///
    /// Σ_{k < i} |x_k − x_j| at j·(n+1) + i, in one array, not one a column: a raw stream's check
    /// runs this for two thousand series.
    private let prefix: [Double]
    private let stride: Int

    init(_ series: [Double]) {
        self.series = series
        let count = series.count
        stride = count + 1
        prefix = [Double](unsafeUninitializedCapacity: count * (count + 1)) { buffer, filled in
            series.withUnsafeBufferPointer { values in
                var at = 0
                for pivot in values {
                    var sum = 0.0
                    buffer[at] = 0
                    at += 1
                    for value in values {
                        sum += abs(value - pivot)
                        buffer[at] = sum
                        at += 1
                    }
                }
            }
            filled = count * (count + 1)
        }
    }

    func bestSplit(_ interval: Range<Int>) -> (index: Int, qhat: Double)? {
        let start = interval.lowerBound
        let upper = interval.upperBound
        guard interval.count > 1 else { return nil }
        var bestIndex = start + 1
        var bestQ = -Double.infinity
        let table = interval.count < Weights.size ? Weights.table : []
        table.withUnsafeBufferPointer { table in
            let weights = table.isEmpty ? nil : table
            prefix.withUnsafeBufferPointer { prefix in
                // Σ_{k in lower..<upper} |x_k − x_column|.
                func distances(to column: Int, from lower: Int, to upper: Int) -> Double {
                    let base = column &* stride
                    return prefix[base &+ upper] - prefix[base &+ lower]
                }
                var withinX = 0.0
                var tau = start + 1
                while tau < upper {
                    withinX += distances(to: tau - 1, from: start, to: tau - 1)
                    var cross = 0.0
                    var withinY = 0.0
                    let n = Double(tau - start)
                    var kappa = tau + 1
                    while kappa <= upper {
                        let newest = kappa - 1
                        cross += distances(to: newest, from: start, to: tau)
                        withinY += distances(to: newest, from: tau, to: newest)
                        var q: Double
                        if let weights {
                            // The same three factors, divided once for the process.
                            let at = 3 &* ((tau &- start) &* Weights.size &+ (kappa &- tau))
                            q = weights[at] * cross
                            if tau &- start > 1 { q -= weights[at &+ 1] * withinX }
                            if kappa &- tau > 1 { q -= weights[at &+ 2] * withinY }
                        } else {
                            let m = Double(kappa - tau)
                            let total = n + m
                            q = 2 / total * cross
                            if n > 1 { q -= 2 * m / (total * (n - 1)) * withinX }
                            if m > 1 { q -= 2 * n / (total * (m - 1)) * withinY }
                        }
                        if q > bestQ {
                            bestQ = q
                            bestIndex = tau
                        }
                        kappa += 1
                    }
                    tau += 1
                }
            }
        }
        return (bestIndex, bestQ)
    }
}

/// The three factors of Q̂ for each n = |X| and m = |Y| with n + m under `size`, computed once
/// as `bestSplit` computes them (so Q̂ is the same to the last bit): three divisions an (τ, κ)
/// were most of the time of a split search.
private enum Weights {
    static let size = 64

    /// At 3·(n·size + m): 2/(n+m), 2m/((n+m)(n−1)) and 2n/((n+m)(m−1)) (0 where n or m is 1,
    /// and not used).
    static let table: [Double] = {
        var table = [Double](repeating: 0, count: 3 * size * size)
        for n in 1..<size {
            for m in 1..<(size - n) {
                let at = 3 * (n * size + m)
                let (n, m) = (Double(n), Double(m))
                let total = n + m
                table[at] = 2 / total
                table[at + 1] = n > 1 ? 2 * m / (total * (n - 1)) : 0
                table[at + 2] = m > 1 ? 2 * n / (total * (m - 1)) : 0
            }
        }
        return table
    }()
}
