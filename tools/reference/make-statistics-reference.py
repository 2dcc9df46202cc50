#!/usr/bin/env python3
"""Reference values for perfdb's statistics functions, computed with numpy/scipy.

    pip install numpy scipy
    python3 tools/reference/make-statistics-reference.py

Writes Tests/Fixtures/statistics/reference.json. Every input is either written
literally below or drawn from a numpy Generator with a fixed seed, and every
input is stored in the JSON next to its expected value, so the Swift tests never
need Python. Floats are written with Python's repr (full double precision).
"""

import json
import math
import os
import sys

import numpy as np
import scipy
from scipy import special, stats

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "statistics", "reference.json")

rng = np.random.default_rng(20261110)


def latency(n, center, noise_pct, decimals=3):
    """n latency-like values (ms) around `center` with Gaussian noise of noise_pct %."""
    v = center * (1.0 + rng.normal(0.0, noise_pct / 100.0, n))
    return [round(float(x), decimals) for x in v]


def fl(x):
    return float(x)


def fl_list(xs):
    return [float(x) for x in xs]


# ---------------------------------------------------------------- inputs
ONE = [42.5]
TWO = [40.0, 60.0]
ODD7 = [48.2, 41.7, 55.3, 44.9, 59.8, 50.1, 46.4]
EVEN8 = [52.31, 47.88, 44.02, 58.76, 49.5, 41.19, 55.05, 50.67]
TIES = [45.0, 45.0, 45.0, 50.0, 50.0, 52.5, 52.5, 52.5, 52.5, 60.0]
UNSORTED_OUTLIER = [49.1, 51.3, 47.8, 212.4, 50.6, 48.9, 52.2, 50.0, 46.7]
NOISY20 = latency(20, 50.0, 10.0)
SHIFTED15 = latency(15, 100.0, 8.0)
CONSTANT = [48.0, 48.0, 48.0, 48.0, 48.0]
BIG101 = latency(101, 50.0, 12.0)

QUANTILE_P = [0.0, 0.1, 0.5, 0.9, 0.95, 0.99, 1.0]
QUANTILE_SETS = [ONE, TWO, ODD7, EVEN8, TIES, UNSORTED_OUTLIER, NOISY20]
CENTRAL_SETS = [ONE, TWO, ODD7, EVEN8, TIES, UNSORTED_OUTLIER, NOISY20, CONSTANT]
SPREAD_SETS = [TWO, ODD7, EVEN8, TIES, UNSORTED_OUTLIER, NOISY20, CONSTANT, BIG101]


def quantile_cases():
    out = []
    for values in QUANTILE_SETS:
        for p in QUANTILE_P:
            # numpy default method='linear' (Hyndman & Fan type 7)
            out.append({"values": values, "p": p,
                        "expected": fl(np.quantile(np.array(values), p))})
    # a few non-grid p on the larger set
    for p in (0.25, 0.75, 0.333):
        out.append({"values": BIG101, "p": p, "expected": fl(np.quantile(np.array(BIG101), p))})
    return out


def median_cases():
    return [{"values": v, "expected": fl(np.median(np.array(v)))} for v in CENTRAL_SETS + [BIG101]]


def mad_cases():
    return [{"values": v,
             "expected": fl(stats.median_abs_deviation(np.array(v), scale=1.0))}
            for v in [ONE] + SPREAD_SETS]


def robust_spread_cases():
    return [{"values": v,
             "expected": fl(stats.median_abs_deviation(np.array(v), scale="normal"))}
            for v in [ONE] + SPREAD_SETS]


def variance_cases():
    return [{"values": v, "expected": fl(np.var(np.array(v), ddof=1))} for v in SPREAD_SETS]


# two-sample pairs: (a, b)
PAIRS = [
    (ODD7, EVEN8),                                   # same population, different sizes
    (NOISY20, SHIFTED15),                            # 50 ms vs 100 ms, clear shift
    (latency(10, 50.0, 5.0), latency(10, 52.0, 5.0)),  # small shift, equal sizes
    (latency(5, 40.0, 4.0), latency(30, 60.0, 25.0)),  # very unequal variances and sizes
    (TIES, [45.0, 50.0, 50.0, 52.5, 55.0, 60.0, 60.0, 62.5]),  # ties across groups
    ([40.1, 40.3, 39.8], [41.0, 40.9, 41.4, 40.7]),  # tiny samples
    (latency(40, 48.0, 6.0), latency(40, 48.5, 6.0)),  # large, almost equal
]


def welch_df(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    return (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))


def welch_cases():
    out = []
    for a, b in PAIRS:
        r = stats.ttest_ind(np.array(a), np.array(b), equal_var=False)
        df = welch_df(a, b)
        assert math.isclose(df, float(r.df), rel_tol=1e-12), (df, r.df)
        out.append({"a": a, "b": b, "t": fl(r.statistic), "df": fl(df), "p": fl(r.pvalue)})
    return out


def student_pooled_cases():
    # Exactly as Apache Otava's TTestSignificanceTester.compare: population std (ddof=0)
    # passed where ttest_ind_from_stats expects a sample std.
    out = []
    for a, b in PAIRS:
        a_, b_ = np.array(a), np.array(b)
        t, p = stats.ttest_ind_from_stats(np.mean(a_), np.std(a_), len(a_),
                                          np.mean(b_), np.std(b_), len(b_),
                                          equal_var=True, alternative="two-sided")
        out.append({"a": a, "b": b, "t": fl(t), "df": fl(len(a_) + len(b_) - 2), "p": fl(p)})
    return out


def t_p_cases():
    grid = [(0.0, 10.0), (1.0, 1.0), (2.0, 5.0), (-2.5, 7.3), (1.96, 1000.0),
            (3.5, 12.7), (8.0, 18.0), (25.0, 30.0), (0.5, 0.5), (-12.0, 3.2)]
    return [{"t": t, "df": df, "p": fl(2.0 * stats.t.sf(abs(t), df))} for t, df in grid]


def betainc_cases():
    grid = [(0.5, 0.5, 0.3), (1.0, 1.0, 0.42), (2.5, 0.5, 0.8), (5.0, 0.5, 0.95),
            (9.0, 0.5, 0.1), (0.5, 15.0, 0.02), (30.0, 0.5, 0.999), (3.65, 0.5, 0.6),
            (100.0, 100.0, 0.5), (2.0, 3.0, 0.0), (2.0, 3.0, 1.0)]
    return [{"a": a, "b": b, "x": x, "expected": fl(special.betainc(a, b, x))} for a, b, x in grid]


def normal_cases():
    zs = [-3.0, -1.0, 0.0, 0.5, 1.0, 1.6448536269514722, 1.96, 2.5, 3.0, 5.0, 8.0]
    return [{"z": z, "expected": fl(stats.norm.sf(z))} for z in zs]


def theil_sen_cases():
    out = []
    x1 = list(range(10))
    y1 = [round(50.0 + 0.8 * i + float(e), 3) for i, e in enumerate(rng.normal(0, 0.5, 10))]
    x2 = list(range(12))
    y2 = [round(50.0 + 0.5 * i + float(e), 3) for i, e in enumerate(rng.normal(0, 0.3, 12))]
    y2[7] = 160.0  # one outlier
    x3 = list(range(15))
    y3 = latency(15, 48.0, 3.0)  # flat
    x4 = [0.0, 1.0, 2.5, 4.0, 7.0, 7.5, 9.0]  # uneven spacing
    y4 = [100.0, 98.2, 95.1, 92.6, 86.0, 85.1, 81.9]
    x5 = [0.0, 1.0, 1.0, 2.0, 3.0]  # duplicate x (pairs with dx=0 are skipped by scipy)
    y5 = [10.0, 11.0, 13.0, 12.0, 14.0]
    x6 = [0.0, 1.0, 2.0]
    y6 = [45.0, 47.0, 52.0]
    for x, y in [(x1, y1), (x2, y2), (x3, y3), (x4, y4), (x5, y5), (x6, y6)]:
        x = [float(v) for v in x]
        r = stats.theilslopes(np.array(y), np.array(x))
        out.append({"x": x, "y": y, "slope": fl(r.slope)})
    return out


def mann_whitney_cases():
    out = []
    pairs = PAIRS + [([50.0, 50.0, 50.0, 51.0], [50.0, 50.0, 52.0, 52.0, 53.0])]
    for a, b in pairs:
        r = stats.mannwhitneyu(np.array(a), np.array(b), alternative="two-sided",
                               method="asymptotic", use_continuity=True)
        out.append({"a": a, "b": b, "u": fl(r.statistic), "p": fl(r.pvalue)})
    return out


def main():
    doc = {
        "generated_by": "tools/reference/make-statistics-reference.py",
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "notes": {
            "quantile": "numpy.quantile(values, p) default method 'linear' (Hyndman-Fan type 7)",
            "median": "numpy.median(values)",
            "mad": "scipy.stats.median_abs_deviation(values, scale=1.0)",
            "robust_spread": "scipy.stats.median_abs_deviation(values, scale='normal') = MAD / norm.ppf(0.75)",
            "variance": "numpy.var(values, ddof=1)",
            "welch": "scipy.stats.ttest_ind(a, b, equal_var=False); df by Welch-Satterthwaite",
            "student_pooled": "scipy.stats.ttest_ind_from_stats(mean(a), np.std(a), len(a), mean(b), np.std(b), len(b), equal_var=True) with np.std ddof=0, as apache-otava calls it; df = len(a)+len(b)-2",
            "student_t_two_sided_p": "2*scipy.stats.t.sf(abs(t), df)",
            "incomplete_beta": "scipy.special.betainc(a, b, x) (regularized)",
            "normal_upper_tail": "scipy.stats.norm.sf(z)",
            "theil_sen": "scipy.stats.theilslopes(y, x).slope",
            "mann_whitney": "scipy.stats.mannwhitneyu(a, b, alternative='two-sided', method='asymptotic', use_continuity=True); u is the statistic for a (tie-corrected variance)",
        },
        "quantile": quantile_cases(),
        "median": median_cases(),
        "mad": mad_cases(),
        "robust_spread": robust_spread_cases(),
        "variance": variance_cases(),
        "welch": welch_cases(),
        "student_pooled": student_pooled_cases(),
        "student_t_two_sided_p": t_p_cases(),
        "incomplete_beta": betainc_cases(),
        "normal_upper_tail": normal_cases(),
        "theil_sen": theil_sen_cases(),
        "mann_whitney": mann_whitney_cases(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT, ROOT)}: " +
          ", ".join(f"{k}={len(v)}" for k, v in doc.items() if isinstance(v, list)))


if __name__ == "__main__":
    main()
