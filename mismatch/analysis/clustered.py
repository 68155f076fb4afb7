"""Inference at the independent units: persons (clusters of questions) crossed with seed runs.

In the synthetic world a person's questions move together (the student knows a whole person or
none of it), and one fine-tuning run (seed) touches every person of its world. The units that
are independent are therefore the persons and the seed runs, crossed, inside each world.

``Design`` holds, per world and arm (a (student, recipe) pair), the sums of indicator columns
per (seed run, person): an array of shape (runs, persons, columns). Everything else works on
these sums:

* ``resample``: the "these worlds" bootstrap. Worlds are kept fixed. Within each world the
  persons are resampled with replacement ONCE per replicate and shared by every arm (so
  differences between recipes stay paired by person), and each arm's seed runs are resampled
  with replacement (recipes' runs are independent replicates). Sums are pooled over worlds.
  Each level draws n - 1 of its n units (Davison & Hinkley 1997, sec. 3.2.3), which removes the
  plain bootstrap's (n - 1) / n shrinkage of the variance (material with 3 seed runs).
* ``sign_flip_test``: the cluster-level test of a contrast: per-person differences (treatment
  minus control, each averaged over its seed runs) with random sign flips.
* ``bootstrap_p_value``: the two-sided test read off the same replicates as the interval (the
  same units resampled: persons and seed runs), so a 95% interval covering 0 never sits beside
  p < 0.05 (the sign-flip test averages over seed runs and ignores their variance).
* ``random_effects``: the "new worlds" interval, a random-effects meta-analysis of per-world
  estimates (DerSimonian-Laird tau^2, Hartung-Knapp variance with the t distribution on k - 1
  degrees of freedom, never narrower than the fixed-effect variance).
* ``icc`` and ``effective_mdd``: intraclass correlation within persons, the design effect and
  the minimum detectable difference at the effective sample size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from mismatch.analysis.stats import min_detectable_difference

Arm = tuple[Hashable, ...]
Sums = Mapping[str, np.ndarray]
Metric = Callable[[Sums], np.ndarray]


@dataclass(frozen=True)
class Design:
    """Indicator sums per world and arm, shape (runs, persons, columns); persons of a world are
    the same (same order) for every arm of that world."""

    columns: tuple[str, ...]
    persons: dict[Hashable, np.ndarray]
    cells: dict[tuple[Hashable, Arm], np.ndarray]

    @property
    def worlds(self) -> list[Hashable]:
        return list(self.persons)

    def arms(self, world: Hashable | None = None) -> list[Arm]:
        seen = [a for w, a in self.cells if world is None or w == world]
        return list(dict.fromkeys(seen))

    def worlds_of(self, arm: Arm) -> list[Hashable]:
        return [w for w in self.worlds if (w, arm) in self.cells]

    def column(self, name: str) -> int:
        return self.columns.index(name)


def build_design(
    table: pd.DataFrame,
    columns: Sequence[str],
    *,
    world: str = "world_seed",
    arm: Sequence[str] = ("student", "recipe"),
    run: str = "ft_seed",
    person: str = "person",
) -> Design:
    """Sum ``columns`` of a per-answer table into a ``Design``.

    Every row is one answer; rows with the same (world, arm, run, person) are summed. A person
    missing from one run of a world gets zeros (it contributes nothing there).
    """
    keys = [world, *arm, run, person]
    sums = table.groupby(keys, sort=True, dropna=False)[list(columns)].sum()
    persons = {w: np.array(sorted(g[person].unique())) for w, g in table.groupby(world, sort=True)}
    cells: dict[tuple[Hashable, Arm], np.ndarray] = {}
    arm_keys = list(arm)
    for key, part in sums.groupby(level=[world, *arm_keys], sort=False):
        w, arm_value = key[0], tuple(key[1:])
        runs = part.index.get_level_values(run).unique()
        grid = pd.MultiIndex.from_product([runs, persons[w]], names=[run, person])
        values = part.droplevel([world, *arm_keys]).reindex(grid, fill_value=0)
        cells[(w, arm_value)] = values.to_numpy(dtype=float).reshape(
            len(runs), len(persons[w]), len(columns)
        )
    return Design(tuple(columns), persons, cells)


@dataclass(frozen=True)
class Resamples:
    """Bootstrap weights: per world the person counts (B, P), per (world, arm) the run counts
    (B, runs). Row 0 of every weight matrix is all ones: the observed data."""

    design: Design
    person_weights: dict[Hashable, np.ndarray]
    run_weights: dict[tuple[Hashable, Arm], np.ndarray]

    @property
    def n_boot(self) -> int:
        return next(iter(self.person_weights.values())).shape[0] - 1

    def sums(self, arm: Arm, worlds: Sequence[Hashable] | None = None) -> dict[str, np.ndarray]:
        """Column sums of ``arm`` per replicate, pooled over ``worlds`` (default: all worlds the
        arm was run in): {column: (B + 1,)}, index 0 the observed sums."""
        worlds = self.design.worlds_of(arm) if worlds is None else worlds
        total = np.zeros((self.n_boot + 1, len(self.design.columns)))
        for w in worlds:
            cell = self.design.cells[(w, arm)]  # (S, P, K)
            per_run = np.einsum("bp,spk->bsk", self.person_weights[w], cell)
            total += np.einsum("bs,bsk->bk", self.run_weights[(w, arm)], per_run)
        return {c: total[:, i] for i, c in enumerate(self.design.columns)}


def arm_difference(
    draws: Resamples,
    metric: Metric,
    treatment: Arm,
    control: Arm,
    worlds: Sequence[Hashable] | None = None,
) -> np.ndarray:
    """``metric`` of ``treatment`` minus ``control`` in every replicate (index 0 observed),
    pooled over ``worlds`` (default: each arm's own worlds)."""
    return metric(draws.sums(treatment, worlds)) - metric(draws.sums(control, worlds))


def resample(design: Design, n_boot: int, seed: int = 0) -> Resamples:
    """The "these worlds" bootstrap (module docstring); ``n_boot`` replicates plus the data."""
    rng = np.random.default_rng(seed)
    person_weights = {}
    for w, ids in design.persons.items():
        person_weights[w] = _with_observed(_multinomial_counts(rng, n_boot, len(ids)))
    run_weights = {}
    for key, cell in design.cells.items():
        run_weights[key] = _with_observed(_multinomial_counts(rng, n_boot, cell.shape[0]))
    return Resamples(design, person_weights, run_weights)


def _multinomial_counts(rng: np.random.Generator, n_boot: int, n: int) -> np.ndarray:
    """Counts of ``n - 1`` draws with replacement from ``n`` units (all of one unit when n = 1):
    the bootstrap variance of a mean is then s^2 / n, not (n - 1) / n * s^2 / n."""
    draws = max(1, n - 1)
    return rng.multinomial(draws, np.full(n, 1 / n), size=n_boot).astype(float)


def _with_observed(weights: np.ndarray) -> np.ndarray:
    return np.vstack([np.ones((1, weights.shape[1])), weights])


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its interval and bootstrap standard error."""

    estimate: float
    low: float
    high: float
    se: float


def percentile_interval(replicates: np.ndarray, confidence: float = 0.95) -> Estimate:
    """Percentile interval from ``replicates`` (index 0 the observed value); NaN replicates are
    left out (an empty denominator in that resample)."""
    observed, boot = float(replicates[0]), replicates[1:]
    boot = boot[~np.isnan(boot)]
    if boot.size < 2 or math.isnan(observed):
        return Estimate(observed, math.nan, math.nan, math.nan)
    tail = (1 - confidence) / 2
    low, high = np.quantile(boot, [tail, 1 - tail])
    return Estimate(observed, float(low), float(high), float(boot.std(ddof=1)))


def bootstrap_p_value(replicates: np.ndarray) -> float:
    """Two-sided p-value that the difference is 0, from the bootstrap ``replicates`` (index 0 the
    observed value): twice the smaller share of replicates at or beyond 0 on either side, each
    counted as (1 + k) / (1 + B). A percentile interval at level 1 - alpha that covers 0 has at
    least alpha / 2 of the replicates on each side of 0, so then p >= alpha."""
    boot = replicates[1:]
    boot = boot[~np.isnan(boot)]
    if boot.size < 2:
        return math.nan
    below = (1 + int(np.sum(boot <= 0))) / (1 + boot.size)
    above = (1 + int(np.sum(boot >= 0))) / (1 + boot.size)
    return float(min(1.0, 2 * min(below, above)))


def ratio(numerator: str, denominator: str = "n") -> Metric:
    """The metric ``sum(numerator) / sum(denominator)`` (NaN where the denominator is 0)."""

    def metric(s: Sums) -> np.ndarray:
        den = s[denominator]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, s[numerator] / np.where(den > 0, den, 1), np.nan)

    metric.numerator = numerator  # type: ignore[attr-defined]
    metric.denominator = denominator  # type: ignore[attr-defined]
    return metric


# --- the cluster-level test ---


def person_rates(design: Design, arm: Arm, numerator: str, denominator: str = "n") -> pd.Series:
    """Per (world, person): the arm's ratio over all its seed runs (sum over runs)."""
    pieces = []
    i, j = design.column(numerator), design.column(denominator)
    for w in design.worlds_of(arm):
        cell = design.cells[(w, arm)].sum(axis=0)
        index = pd.MultiIndex.from_product([[w], design.persons[w]], names=["world", "person"])
        num, den = cell[:, i], cell[:, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
        pieces.append(pd.Series(values, index))
    return pd.concat(pieces)


@dataclass(frozen=True)
class SignFlipResult:
    """Mean per-person difference, its two-sided sign-flip p-value and the persons used."""

    mean_difference: float
    p_value: float
    n_persons: int
    n_flips: int
    persons_higher: int
    persons_lower: int


def sign_flip_test(differences: np.ndarray, n_flips: int = 20000, seed: int = 0) -> SignFlipResult:
    """Two-sided sign-flip (paired permutation) test that per-person differences are symmetric
    about 0; statistic the mean difference. Exact (all 2^n sign vectors) when n <= 16, otherwise
    Monte Carlo with p = (1 + #{|T*| >= |T|}) / (1 + n_flips)."""
    d = np.asarray(differences, dtype=float)
    d = d[~np.isnan(d)]
    n = d.size
    if n == 0:
        return SignFlipResult(math.nan, math.nan, 0, 0, 0, 0)
    observed = abs(d.mean())
    tolerance = 1e-12 * max(1.0, observed)
    if n <= 16:
        signs = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
        flipped = np.abs(signs @ d) / n
        p = float(np.mean(flipped >= observed - tolerance))
        flips = 2**n
    else:
        rng = np.random.default_rng(seed)
        exceed = 0
        for start in range(0, n_flips, 4096):
            size = min(4096, n_flips - start)
            signs = rng.integers(0, 2, size=(size, n)) * 2 - 1
            exceed += int(np.sum(np.abs(signs @ d) / n >= observed - tolerance))
        p = (1 + exceed) / (1 + n_flips)
        flips = n_flips
    return SignFlipResult(float(d.mean()), p, n, flips, int(np.sum(d > 0)), int(np.sum(d < 0)))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (NaNs stay NaN and do not count)."""
    p = np.asarray(p_values, dtype=float)
    valid = np.flatnonzero(~np.isnan(p))
    adjusted = np.full(p.shape, np.nan)
    order = valid[np.argsort(p[valid], kind="stable")]
    m, running = len(order), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return adjusted.tolist()


# --- "new worlds": random-effects meta-analysis ---


@dataclass(frozen=True)
class MetaResult:
    """Random-effects estimate over k worlds with a Hartung-Knapp interval and p-value."""

    estimate: float
    low: float
    high: float
    se: float
    p_value: float
    tau2: float
    k: int


def min_difference_variance(n_units: float | np.ndarray) -> float | np.ndarray:
    """The smallest variance a difference of two proportions over ``n_units`` independent units
    per arm can honestly have: each arm's variance with half an event added (the
    Haldane-Anscombe correction), p = 0.5 / (n + 1), summed over the two arms. A world whose
    bootstrap variance is 0 (every unit the same in both arms) gets this, not zero."""
    n = np.asarray(n_units, dtype=float)
    p = 0.5 / (n + 1)
    return 2 * p * (1 - p) / (n + 1)


def random_effects(
    estimates: Sequence[float],
    variances: Sequence[float],
    confidence: float = 0.95,
    min_variances: Sequence[float] | None = None,
) -> MetaResult:
    """DerSimonian-Laird tau^2; Hartung-Knapp variance q / sum(w) with q floored at 1 (never
    narrower than the fixed-effect interval); t quantile on k - 1 degrees of freedom. Each
    world's variance is at least its ``min_variances`` entry (``min_difference_variance`` of its
    persons), so a world with zero bootstrap variance cannot take all the weight. Needs k >= 2
    worlds (a single world: its estimate, no interval)."""
    y, v = np.asarray(estimates, dtype=float), np.asarray(variances, dtype=float)
    floor = np.zeros_like(v) if min_variances is None else np.asarray(min_variances, dtype=float)
    keep = ~(np.isnan(y) | np.isnan(v))
    y, v = y[keep], np.maximum(v[keep], np.maximum(floor[keep], 1e-12))
    k = int(y.size)
    if k < 2:
        est = float(y[0]) if k else math.nan
        return MetaResult(est, math.nan, math.nan, math.nan, math.nan, math.nan, k)
    w = 1 / v
    fixed = float(np.sum(w * y) / w.sum())
    q_stat = float(np.sum(w * (y - fixed) ** 2))
    scale = float(w.sum() - np.sum(w**2) / w.sum())
    tau2 = max(0.0, (q_stat - (k - 1)) / scale) if scale > 0 else 0.0
    w_star = 1 / (v + tau2)
    mu = float(np.sum(w_star * y) / w_star.sum())
    q_hk = float(np.sum(w_star * (y - mu) ** 2) / (k - 1))
    se = math.sqrt(max(1.0, q_hk) / float(w_star.sum()))
    t = float(sps.t.ppf(0.5 + confidence / 2, k - 1))
    p = float(2 * sps.t.sf(abs(mu) / se, k - 1)) if se > 0 else math.nan
    return MetaResult(mu, mu - t * se, mu + t * se, se, p, tau2, k)


def pool_worlds(
    estimates: Sequence[float],
    standard_errors: Sequence[float],
    n_persons: Sequence[float],
    confidence: float = 0.95,
) -> MetaResult:
    """The "new worlds" estimate of per-world differences with their bootstrap standard errors
    and persons: ``random_effects`` with each world's variance floored at its binomial
    minimum."""
    return random_effects(
        estimates,
        [se**2 for se in standard_errors],
        confidence,
        [float(min_difference_variance(n)) for n in n_persons],
    )


# --- clustering and power ---


def icc(successes: np.ndarray, sizes: np.ndarray) -> float:
    """One-way ANOVA intraclass correlation of a 0/1 outcome within clusters, from per-cluster
    counts ``successes`` out of ``sizes`` (NaN when undefined, e.g. no variation at all)."""
    x, m = np.asarray(successes, dtype=float), np.asarray(sizes, dtype=float)
    keep = m > 0
    x, m = x[keep], m[keep]
    k, total = x.size, m.sum()
    if k < 2 or total <= k:
        return math.nan
    p_i, p = x / m, x.sum() / total
    msb = float(np.sum(m * (p_i - p) ** 2) / (k - 1))
    msw = float(np.sum(m * p_i * (1 - p_i)) / (total - k))
    m0 = (total - np.sum(m**2) / total) / (k - 1)
    den = msb + (m0 - 1) * msw
    return float((msb - msw) / den) if den > 0 else math.nan


def arm_icc(design: Design, arm: Arm, outcome: str = "wrong") -> float:
    """Mean over the arm's seed runs (all worlds) of the within-person ICC of ``outcome``."""
    i, n = design.column(outcome), design.column("n")
    values = [
        icc(cell[s, :, i], cell[s, :, n])
        for w in design.worlds_of(arm)
        for cell in [design.cells[(w, arm)]]
        for s in range(cell.shape[0])
    ]
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else math.nan


@dataclass(frozen=True)
class Power:
    """Minimum detectable difference at the effective sample size."""

    n_questions: int
    n_persons: int
    questions_per_person: float
    icc: float
    design_effect: float
    n_effective: float
    mdd: float
    mdd_naive: float


def effective_mdd(
    n_questions: int, n_persons: int, rho: float, p0: float, alpha: float = 0.05, power: float = 0.8
) -> Power:
    """MDD of a two-proportion z-test with ``n_questions / design_effect`` observations per arm,
    design effect ``1 + (m - 1) rho`` (m questions per person, rho clipped to [0, 1]); also the
    naive MDD that counts every question as independent."""
    m = n_questions / n_persons if n_persons else math.nan
    rho_used = 0.0 if math.isnan(rho) else min(1.0, max(0.0, rho))
    deff = 1 + (m - 1) * rho_used
    n_eff = n_questions / deff
    ok = 0 <= p0 < 1 and n_questions > 0

    def mdd(n: float) -> float:
        return min_detectable_difference(n, p0, alpha, power) if ok else math.nan

    return Power(n_questions, n_persons, m, rho, deff, n_eff, mdd(n_eff), mdd(n_questions))
