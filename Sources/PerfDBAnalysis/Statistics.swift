import Foundation
import PerfDBModel
import Synchronization

/// The statistical building blocks of the analysis, each tested against reference values
/// computed with numpy and scipy (docs/statistics.md).
public enum Statistics {
    /// The arithmetic mean; nil for no values.
    public static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// The sample variance (n − 1 in the denominator); nil for fewer than two values.
    public static func variance(_ values: [Double]) -> Double? {
        guard values.count > 1, let mean = mean(values) else { return nil }
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
    }

    /// The quantile `p` (0…1) interpolated between closest ranks, rank = p × (n − 1): k6's,
    /// numpy's default and Hyndman–Fan type 7.
    public static func quantile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = min(max(p, 0), 1) * Double(sorted.count - 1)
        let lower = Int(rank.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - Double(lower))
    }

    /// The median.
    public static func median(_ values: [Double]) -> Double? {
        quantile(values, 0.5)
    }

    /// The median absolute deviation from the median (unscaled).
    public static func mad(_ values: [Double]) -> Double? {
        guard let centre = median(values) else { return nil }
        return median(values.map { abs($0 - centre) })
    }

    /// A robust standard deviation: 1.4826 × MAD, which equals σ for normal data.
    public static func robustSpread(_ values: [Double]) -> Double? {
        mad(values).map { 1.482_6 * $0 }
    }

    /// The run-to-run noise of a series in time order: the root mean square of the steps
    /// between neighbours without the largest eighth of them (one at least), ÷ √2 and scaled
    /// to a standard deviation.
    ///
    /// Unlike the spread around the median, a slow creep or one level shift barely moves it
    /// (the step across the shift is among the largest, left out); unlike the median step, it
    /// uses nearly all the steps: from 20 runs it is worth about 13 degrees of freedom where the
    /// median step is worth 6, so the z a change must reach is far lower for the same
    /// false-alarm rate (``effectiveDegreesOfFreedom(noiseRuns:)``).
    public static func successiveNoise(_ values: [Double]) -> Double? {
        guard values.count >= 3 else { return nil }
        let steps = zip(values.dropFirst(), values).map { abs($0 - $1) }.sorted()
        let left = max(1, steps.count / 8)
        let kept = steps.dropLast(left)
        let meanSquare = kept.reduce(0) { $0 + $1 * $1 } / Double(kept.count)
        let scale =
            steps.count < trimmedScales.count
            ? trimmedScales[steps.count]
            : trimmedNormalScale(share: Double(left) / Double(steps.count))
        return (meanSquare / 2).squareRoot() / scale
    }

    /// ``trimmedNormalScale(share:)`` of the share ``successiveNoise(_:)`` leaves out of each
    /// number of steps up to 128, made once: a check judges a thousand series.
    private static let trimmedScales: [Double] = (0..<129).map { (count: Int) -> Double in
        // Fewer than two steps: never asked (three values at least).
        guard count >= 2 else { return 1 }
        let left = Double(max(1, count / 8))
        return trimmedNormalScale(share: left / Double(count))
    }

    /// The run-to-run noise from every step between neighbouring values, the largest included:
    /// √(mean of the squared steps ÷ 2) (von Neumann's mean square successive difference); nil
    /// for fewer than three values.
    ///
    /// Of a series whose values take a few levels (whole milliseconds) most steps are nil and
    /// the few between levels are its noise: the trimmed estimate leaves them out, this one
    /// does not.
    public static func meanSquareSuccessiveNoise(_ values: [Double]) -> Double? {
        guard values.count >= 3 else { return nil }
        let squares = zip(values.dropFirst(), values).map { ($0 - $1) * ($0 - $1) }
        return (squares.reduce(0, +) / Double(squares.count) / 2).squareRoot()
    }

    /// The root mean square of a standard normal without its `share` of largest magnitudes:
    /// √(1 − 2qφ(q)/(1 − share)) for q the quantile that cuts them off.
    static func trimmedNormalScale(share: Double) -> Double {
        guard share > 0 else { return 1 }
        let cut = normalUpperQuantile(tail: share / 2)
        let density = exp(-cut * cut / 2) / (2 * Double.pi).squareRoot()
        return (1 - 2 * cut * density / (1 - share)).squareRoot()
    }

    /// The degrees of freedom a ``successiveNoise(_:)`` of `runs` values is worth, for a
    /// Student t quantile: 0.7 n − 0.8, fitted by simulating normal runs (the z a new run
    /// reaches against the noise of n runs and the median of up to ten of them, at one-sided
    /// tails from 0.135 % to 5·10⁻⁷: 5.7 df at 8 runs, 14 at 20, 28 at 40; the fit is at or
    /// under each).
    public static func effectiveDegreesOfFreedom(noiseRuns runs: Int) -> Double {
        max(1, 0.7 * Double(runs) - 0.8)
    }

    /// The Theil–Sen slope of `y` over `x`: the median of all pairwise slopes (pairs with equal
    /// `x` have none).
    ///
    /// Up to `exactPairs` points every slope is listed; beyond, the median is found without
    /// listing them: the number of slopes below a trial slope s is the number of inversions of
    /// y − s·x in x order (a merge sort counts them), and bisection on s converges to the
    /// middle slope — O(n log n) per step and constant memory per point, so a trend over 100,000
    /// runs does not list five billion slopes.
    public static func theilSenSlope(x: [Double], y: [Double]) -> Double? {
        precondition(x.count == y.count, "x and y differ in length")
        guard x.count > exactPairs else {
            var slopes: [Double] = []
            for i in 0..<x.count {
                for j in (i + 1)..<x.count where x[j] != x[i] {
                    slopes.append((y[j] - y[i]) / (x[j] - x[i]))
                }
            }
            return median(slopes)
        }
        // In x order; equal x by y, so that no pair within a group counts as a slope below s.
        let order = x.indices.sorted { x[$0] != x[$1] ? x[$0] < x[$1] : y[$0] < y[$1] }
        let xs = order.map { x[$0] }
        let ys = order.map { y[$0] }
        var tied = 0
        var run = 1
        var gap = Double.infinity
        for index in 1..<xs.count {
            if xs[index] == xs[index - 1] {
                run += 1
            } else {
                tied += run * (run - 1) / 2
                run = 1
                gap = min(gap, xs[index] - xs[index - 1])
            }
        }
        tied += run * (run - 1) / 2
        let pairs = xs.count * (xs.count - 1) / 2 - tied
        guard pairs > 0, let low = ys.min(), let high = ys.max() else { return nil }
        let bound = (high - low) / gap + 1
        var keys = [Double](repeating: 0, count: xs.count)
        var scratch = keys
        /// The slopes below `s`.
        func below(_ s: Double) -> Int {
            for index in xs.indices { keys[index] = ys[index] - s * xs[index] }
            return inversions(&keys, &scratch, 0, keys.count)
        }
        // A first guess from every `stride`-th point brackets the answer narrowly.
        let stride = xs.count / exactPairs + 1
        let sample = Swift.stride(from: 0, to: xs.count, by: stride)
        let guess =
            theilSenSlope(x: sample.map { xs[$0] }, y: sample.map { ys[$0] }) ?? 0
        /// The k-th smallest slope (0-based): the least s with more than k slopes below it, and
        /// the bracket it was narrowed to.
        func smallest(_ k: Int) -> (slope: Double, upper: Double) {
            // Widen a bracket around the guess until it holds the k-th slope.
            var width = max(abs(guess) * 0.01, bound * 1e-9)
            var lower = guess - width
            var upper = guess + width
            while lower > -bound && below(lower) > k {
                width *= 4
                lower = max(guess - width, -bound)
            }
            while upper < bound && below(upper) <= k {
                width *= 4
                upper = min(guess + width, bound)
            }
            // To 1e-7 of the slope (or of the bound, for a flat series): the figure is shown
            // to a few digits.
            while upper - lower > 1e-7 * max(abs(lower), abs(upper), bound * 1e-6) {
                let middle = (lower + upper) / 2
                if below(middle) > k { upper = middle } else { lower = middle }
            }
            return ((lower + upper) / 2, upper)
        }
        let a = smallest((pairs - 1) / 2)
        guard pairs % 2 == 0 else { return a.slope }
        // The next slope is most often in the same narrow bracket (billions of slopes lie
        // close together): then it is the same figure, and one count tells so.
        if below(a.upper) > pairs / 2 { return a.slope }
        return (a.slope + smallest(pairs / 2).slope) / 2
    }

    /// Up to this many points the Theil–Sen slope lists every pairwise slope.
    static let exactPairs = 1_000

    /// The pairs i < j with keys[j] < keys[i] in `lower..<upper`, sorting that range.
    private static func inversions(
        _ keys: inout [Double], _ scratch: inout [Double], _ lower: Int, _ upper: Int
    ) -> Int {
        guard upper - lower > 1 else { return 0 }
        let middle = (lower + upper) / 2
        var count =
            inversions(&keys, &scratch, lower, middle) + inversions(&keys, &scratch, middle, upper)
        var left = lower
        var right = middle
        var out = lower
        while left < middle || right < upper {
            if right >= upper || (left < middle && keys[left] <= keys[right]) {
                scratch[out] = keys[left]
                left += 1
            } else {
                // keys[right] is below every key left in the first half.
                count += middle - left
                scratch[out] = keys[right]
                right += 1
            }
            out += 1
        }
        for index in lower..<upper { keys[index] = scratch[index] }
        return count
    }

    /// Welch's two-sample t-test (unequal variances): the statistic, the degrees of freedom and the
    /// two-sided p-value.
    ///
    /// Nil when either sample has fewer than two values. When both samples have no variance, p is 0
    /// if their means differ and 1 if not.
    public static func welchTTest(_ a: [Double], _ b: [Double]) -> (
        t: Double, df: Double, p: Double
    )? {
        guard a.count > 1, b.count > 1, let meanA = mean(a), let meanB = mean(b),
            let varA = variance(a), let varB = variance(b)
        else { return nil }
        let seA = varA / Double(a.count)
        let seB = varB / Double(b.count)
        let se = seA + seB
        guard se > 0 else {
            return meanA == meanB
                ? (0, Double(a.count + b.count - 2), 1)
                : (.infinity, Double(a.count + b.count - 2), 0)
        }
        let t = (meanA - meanB) / se.squareRoot()
        let df =
            se * se
            / (seA * seA / Double(a.count - 1) + seB * seB / Double(b.count - 1))
        return (t, df, studentTTwoSidedP(t: t, df: df))
    }

    /// The two-sided p-value of Student's t distribution: P(|T| ≥ |t|).
    public static func studentTTwoSidedP(t: Double, df: Double) -> Double {
        guard t.isFinite else { return 0 }
        let x = df / (df + t * t)
        return min(1, max(0, regularizedIncompleteBeta(a: df / 2, b: 0.5, x: x)))
    }

    /// The standard normal quantile above which `tail` of it lies (0 < tail < 0.5), by
    /// bisection on ``normalUpperTail(_:)``.
    public static func normalUpperQuantile(tail: Double) -> Double {
        precondition(tail > 0 && tail < 0.5, "tail in (0, 0.5)")
        var low = 0.0
        var high = 40.0
        for _ in 0..<80 {
            let middle = (low + high) / 2
            if normalUpperTail(middle) > tail { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// The quantile of Student's t distribution with `df` degrees of freedom above which
    /// `tail` of it lies: the t with P(T ≥ t) = tail (0 < tail < 0.5), by bisection.
    ///
    /// Remembered per (tail, df): a check asks the same few for each of a thousand series.
    public static func studentTUpperQuantile(tail: Double, df: Double) -> Double {
        precondition(tail > 0 && tail < 0.5 && df > 0, "tail in (0, 0.5), df > 0")
        let key = QuantileKey(tail: tail, df: df)
        if let known = tQuantiles.withLock({ $0[key] }) { return known }
        let quantile = bisectStudentTUpperQuantile(tail: tail, df: df)
        tQuantiles.withLock { $0[key] = quantile }
        return quantile
    }

    private struct QuantileKey: Hashable {
        var tail: Double
        var df: Double
    }

    private static let tQuantiles = Mutex<[QuantileKey: Double]>([:])

    private static func bisectStudentTUpperQuantile(tail: Double, df: Double) -> Double {
        var low = 0.0
        var high = 1.0
        while studentTTwoSidedP(t: high, df: df) / 2 > tail { high *= 2 }
        for _ in 0..<60 {
            let middle = (low + high) / 2
            if studentTTwoSidedP(t: middle, df: df) / 2 > tail {
                low = middle
            } else {
                high = middle
            }
        }
        return (low + high) / 2
    }

    /// The regularised incomplete beta function I_x(a, b), by Lentz's continued fraction.
    public static func regularizedIncompleteBeta(a: Double, b: Double, x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let logFront = logBeta + logPowers
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaContinuedFraction(a: a, b: b, x: x) / a
        }
        return 1 - exp(logFront) * betaContinuedFraction(a: b, b: a, x: 1 - x) / b
    }

    private static func betaContinuedFraction(a: Double, b: Double, x: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...300 {
            let m = Double(m)
            var numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            result *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return result
    }

    /// The standard normal distribution's upper tail P(Z ≥ z).
    public static func normalUpperTail(_ z: Double) -> Double {
        0.5 * erfc(z / 2.0.squareRoot())
    }

    /// The Mann–Whitney U test, two-sided, by the normal approximation with tie correction and
    /// continuity correction (scipy's `mannwhitneyu(method="asymptotic")`).
    ///
    /// U is `a`'s statistic. Nil when either sample is empty.
    public static func mannWhitneyU(_ a: [Double], _ b: [Double]) -> (u: Double, p: Double)? {
        guard !a.isEmpty, !b.isEmpty else { return nil }
        let pooled = (a.map { ($0, true) } + b.map { ($0, false) }).sorted { $0.0 < $1.0 }
        var rankSumA = 0.0
        var tieTerm = 0.0
        var index = 0
        while index < pooled.count {
            var end = index
            while end + 1 < pooled.count && pooled[end + 1].0 == pooled[index].0 { end += 1 }
            let rank = Double(index + end + 2) / 2
            let ties = Double(end - index + 1)
            tieTerm += ties * ties * ties - ties
            for position in index...end where pooled[position].1 { rankSumA += rank }
            index = end + 1
        }
        let n1 = Double(a.count)
        let n2 = Double(b.count)
        let n = n1 + n2
        let u1 = rankSumA - n1 * (n1 + 1) / 2
        let u2 = n1 * n2 - u1
        let mean = n1 * n2 / 2
        let variance = n1 * n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
        guard variance > 0 else { return (u1, 1) }
        let z = (max(u1, u2) - mean - 0.5) / variance.squareRoot()
        return (u1, min(1, 2 * normalUpperTail(z)))
    }
}
