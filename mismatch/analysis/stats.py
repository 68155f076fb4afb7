"""Question-level inference: seed intervals, a hierarchical bootstrap, paired and stratified tests.

The study's intervals and tests of record are at the person level
(``mismatch.analysis.clustered``); the
summary keeps this module's bootstrap only as the superseded question-level interval shown for
comparison, and its per-seed McNemar tests as a description.

Design of the bootstrap (``hierarchical_bootstrap``):

* World seeds are resampled with replacement (the top level).
* Within every world draw, fine-tuning seeds are resampled with replacement, separately for every
  stratum (by default each (student, recipe)), because different recipes' fine-tuning runs are
  independent random replicates, and a recipe with a single run (e.g. the base student) still
  keeps that run in every resample.
* Within every world draw, question ids are resampled ONCE and the same ids are applied to every
  fine-tuning seed, recipe and student of that world: all of them are evaluated on the same test
  questions, so question difficulty is a shared source of variation. Differences between recipes
  computed on one resample are therefore paired by question.

A resample is represented by integer row weights (how many times each row appears), so statistics
that are ratios of weighted sums run vectorised over all resamples at once (``Ratio``, ``Subset``,
``Difference``, ``Slope``). Any plain ``Callable[[DataFrame], float]`` also works: it is evaluated
on each materialised resample (identical resamples for the same seed, but much slower).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as sps

Statistic = Callable[[pd.DataFrame], float]
DEFAULT_STRATA = ("student", "recipe")
_CHUNK_CELLS = 2_000_000  # weights held in memory at once (resamples x rows)


@dataclass(frozen=True)
class Interval:
    """A point estimate (``mean``) with a confidence interval and the number of observations."""

    mean: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class Fit:
    """Least-squares line ``y = slope * x + intercept``."""

    slope: float
    intercept: float
    r2: float


@dataclass(frozen=True)
class CMHResult:
    """CMH test of a common odds ratio of 1, with the Mantel-Haenszel common odds ratio."""

    statistic: float
    p_value: float
    common_odds_ratio: float


def mean_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """Mean with a Student-t interval over independent values (e.g. one per seed).

    NaNs are dropped; one value gives ``low == high == mean``; no value gives NaNs.
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    n = int(arr.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(arr.mean())
    if n == 1:
        return Interval(mean, mean, mean, 1)
    half = sps.t.ppf(0.5 + confidence / 2, n - 1) * arr.std(ddof=1) / math.sqrt(n)
    return Interval(mean, float(mean - half), float(mean + half), n)


# --- vectorised statistics: f(df, weights (B, n)) -> (B,); f(df) -> float on the data itself ---


class WeightedStatistic(ABC):
    """A statistic computable for many row-weight vectors at once."""

    def __call__(self, df: pd.DataFrame, weights: np.ndarray | None = None) -> Any:
        """Without ``weights`` return the statistic of ``df`` (float); else one value per row of
        ``weights`` (shape (B, len(df)))."""
        if weights is None:
            return float(self.weighted(df, np.ones((1, len(df))))[0])
        return self.weighted(df, weights)

    @abstractmethod
    def weighted(self, df: pd.DataFrame, weights: np.ndarray) -> np.ndarray:
        """The statistic for every row of ``weights``."""


@dataclass(frozen=True)
class Ratio(WeightedStatistic):
    """``sum(w * numerator) / sum(w * denominator)``; no denominator gives the weighted mean.

    Rates are ratios of indicator columns (e.g. wrong / answered). A zero denominator gives NaN.
    """

    numerator: str
    denominator: str | None = None

    def weighted(self, df: pd.DataFrame, weights: np.ndarray) -> np.ndarray:
        num = weights @ df[self.numerator].to_numpy(dtype=float)
        den = (
            weights.sum(axis=1)
            if self.denominator is None
            else (weights @ df[self.denominator].to_numpy(dtype=float))
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


@dataclass(frozen=True)
class Subset(WeightedStatistic):
    """``statistic`` restricted to the rows where ``df[column] == value``."""

    statistic: WeightedStatistic
    column: str
    value: Any

    def weighted(self, df: pd.DataFrame, weights: np.ndarray) -> np.ndarray:
        mask = (df[self.column] == self.value).to_numpy()
        return self.statistic.weighted(df.loc[mask], weights[:, mask])


@dataclass(frozen=True)
class Difference(WeightedStatistic):
    """``first - second``, both computed on the same resample."""

    first: WeightedStatistic
    second: WeightedStatistic

    def weighted(self, df: pd.DataFrame, weights: np.ndarray) -> np.ndarray:
        return self.first.weighted(df, weights) - self.second.weighted(df, weights)


@dataclass(frozen=True)
class Slope(WeightedStatistic):
    """Least-squares slope of ``statistic`` (computed per ``by`` group) against ``x[group]``.

    Example: the wrong rate of each sweep recipe against its mismatch fraction.
    """

    statistic: WeightedStatistic
    by: str
    x: Mapping[Any, float]

    def weighted(self, df: pd.DataFrame, weights: np.ndarray) -> np.ndarray:
        xs = np.array(list(self.x.values()), dtype=float)
        if np.unique(xs).size < 2:
            raise ValueError("a slope needs at least two distinct x values")
        ys = np.stack([Subset(self.statistic, self.by, g).weighted(df, weights) for g in self.x])
        xc = (xs - xs.mean())[:, None]
        return (xc * (ys - ys.mean(axis=0))).sum(axis=0) / (xc**2).sum()


# --- the hierarchical bootstrap ---


@dataclass(frozen=True)
class _Cluster:
    """Index structure of one top-level cluster (world seed) of the sorted data."""

    rows: slice
    unit_codes: np.ndarray  # per row: index of its question within the cluster
    n_units: int
    nested_codes: np.ndarray  # per row: index of its (stratum, nested value) column
    strata_columns: list[np.ndarray]  # per stratum: its nested columns
    n_nested: int


def hierarchical_bootstrap(
    df: pd.DataFrame,
    statistic: Statistic | WeightedStatistic,
    levels: Sequence[str] = ("world_seed", "ft_seed"),
    unit: str | None = "question_id",
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    strata: Sequence[str] = DEFAULT_STRATA,
) -> Interval:
    """Percentile interval of ``statistic`` under the hierarchical bootstrap (see module docstring).

    ``levels`` is (top,) or (top, nested) or empty (only units resampled); ``strata`` columns
    absent from ``df`` are ignored. ``mean`` is the statistic of ``df`` itself, ``n`` its rows;
    resamples where the statistic is NaN (empty denominator) are left out of the percentiles.
    """
    return hierarchical_bootstrap_many(
        df, {"value": statistic}, levels, unit, n_boot, seed, confidence, strata
    )["value"]


def hierarchical_bootstrap_many(
    df: pd.DataFrame,
    statistics: Mapping[str, Statistic | WeightedStatistic],
    levels: Sequence[str] = ("world_seed", "ft_seed"),
    unit: str | None = "question_id",
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    strata: Sequence[str] = DEFAULT_STRATA,
) -> dict[str, Interval]:
    """``hierarchical_bootstrap`` for several statistics on the same resamples."""
    if df.empty:
        raise ValueError("cannot bootstrap an empty table")
    data = df.sort_values(list(levels[:1]), kind="stable").reset_index(drop=True)
    replicates: dict[str, list[np.ndarray]] = {name: [] for name in statistics}
    for weights in bootstrap_weights(data, levels, unit, n_boot, seed, strata):
        for name, stat in statistics.items():
            replicates[name].append(_evaluate(stat, data, weights))
    tail = (1 - confidence) / 2
    result = {}
    for name, stat in statistics.items():
        values = np.concatenate(replicates[name])
        values = values[~np.isnan(values)]
        low, high = np.quantile(values, [tail, 1 - tail]) if values.size else (math.nan,) * 2
        result[name] = Interval(float(stat(data)), float(low), float(high), len(data))
    return result


def bootstrap_weights(
    df: pd.DataFrame,
    levels: Sequence[str] = ("world_seed", "ft_seed"),
    unit: str | None = "question_id",
    n_boot: int = 1000,
    seed: int = 0,
    strata: Sequence[str] = DEFAULT_STRATA,
) -> Iterator[np.ndarray]:
    """Yield chunks of resample weights (shape (b, len(df)), integer counts), n_boot rows in all.

    ``df`` must be sorted by ``levels[0]`` (rows of one top-level cluster contiguous).
    """
    if len(levels) > 2:
        raise ValueError(f"at most two bootstrap levels are supported, got {list(levels)}")
    rng = np.random.default_rng(seed)
    clusters = _clusters(df, levels, unit, [c for c in strata if c in df.columns])
    chunk = max(1, _CHUNK_CELLS // max(1, len(df)))
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        if levels:
            picks = rng.integers(len(clusters), size=(size, len(clusters)))
            draws = np.stack([(picks == i).sum(axis=1) for i in range(len(clusters))], axis=1)
        else:
            draws = np.ones((size, 1), dtype=int)
        weights = np.zeros((size, len(df)))
        for i, cluster in enumerate(clusters):
            _add_cluster_weights(weights, cluster, draws[:, i], rng)
        yield weights


def _clusters(
    df: pd.DataFrame, levels: Sequence[str], unit: str | None, strata: list[str]
) -> list[_Cluster]:
    top = df[levels[0]].to_numpy() if levels else np.zeros(len(df))
    bounds = np.flatnonzero(np.r_[True, top[1:] != top[:-1], True])
    if len(levels) and len(pd.unique(top)) != len(bounds) - 1:
        raise ValueError(f"table must be sorted by {levels[0]!r}")
    clusters = []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        part = df.iloc[start:stop]
        units = _codes(part, [unit] if unit else [])
        nested = _codes(part, strata + list(levels[1:]))
        stratum = _codes(part, strata)
        strata_columns = [np.unique(nested[stratum == s]) for s in range(stratum.max() + 1)]
        clusters.append(
            _Cluster(
                slice(start, stop), units, units.max() + 1, nested, strata_columns, nested.max() + 1
            )
        )
    return clusters


def _codes(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    if not columns:
        return np.zeros(len(df), dtype=int)
    return df.groupby(columns, sort=False, dropna=False).ngroup().to_numpy()


def _add_cluster_weights(
    weights: np.ndarray, cluster: _Cluster, draws: np.ndarray, rng: np.random.Generator
) -> None:
    """Add to ``weights`` the rows of one cluster drawn ``draws[b]`` times in resample ``b``."""
    total = int(draws.sum())
    if total == 0:
        return
    units = rng.multinomial(cluster.n_units, np.full(cluster.n_units, 1 / cluster.n_units), total)
    nested = np.empty((total, cluster.n_nested))
    for columns in cluster.strata_columns:
        k = len(columns)
        nested[:, columns] = rng.multinomial(k, np.full(k, 1 / k), total)
    per_draw = nested[:, cluster.nested_codes] * units[:, cluster.unit_codes]
    drawn = np.flatnonzero(draws)
    starts = np.r_[0, np.cumsum(draws[drawn])[:-1]]
    weights[drawn, cluster.rows] += np.add.reduceat(per_draw, starts, axis=0)


def _evaluate(stat: Statistic | WeightedStatistic, df: pd.DataFrame, weights: np.ndarray):
    if isinstance(stat, WeightedStatistic):
        return np.asarray(stat(df, weights), dtype=float)
    index = np.arange(len(df))
    return np.array([stat(df.iloc[np.repeat(index, w.astype(int))]) for w in weights], dtype=float)


def bootstrap_difference(
    df: pd.DataFrame,
    statistic: Statistic | WeightedStatistic,
    first: Any,
    second: Any,
    by: str = "recipe",
    **bootstrap: Any,
) -> Interval:
    """Interval of ``statistic(rows of first) - statistic(rows of second)``, groups given by ``by``.

    Both are computed on the same hierarchical resample (paired by world, question); keyword
    arguments go to ``hierarchical_bootstrap``.
    """
    if isinstance(statistic, WeightedStatistic):
        stat: Statistic | WeightedStatistic = Difference(
            Subset(statistic, by, first), Subset(statistic, by, second)
        )
    else:

        def stat(d: pd.DataFrame) -> float:
            return statistic(d[d[by] == first]) - statistic(d[d[by] == second])

    return hierarchical_bootstrap(df, stat, **bootstrap)


def slope_interval(
    df: pd.DataFrame,
    statistic: WeightedStatistic,
    x: Mapping[Any, float],
    by: str = "recipe",
    **bootstrap: Any,
) -> Interval:
    """Interval of the slope of ``statistic`` per ``by`` group against ``x[group]`` (``Slope``)."""
    rows = df[df[by].isin(list(x))]
    return hierarchical_bootstrap(rows, Slope(statistic, by, dict(x)), **bootstrap)


# --- tests ---


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts ``b`` and ``c``.

    Under the null each discordant pair is Binomial(b + c, 1/2): p = min(1, 2 P(X <= min(b, c))).
    """
    if b < 0 or c < 0:
        raise ValueError("discordant counts must be non-negative")
    if b + c == 0:
        return 1.0
    return float(min(1.0, 2 * sps.binom.cdf(min(b, c), b + c, 0.5)))


def paired_mcnemar(
    labels: pd.DataFrame, recipe_a: str, recipe_b: str, outcome: str = "wrong"
) -> pd.DataFrame:
    """Exact McNemar test of ``label == outcome`` between two recipes on the same questions.

    One row per (world_seed, student, ft_seed) with n (paired questions), a_only (outcome under
    ``recipe_a`` only), b_only and p_value. A recipe with a single fine-tuning seed per world
    (e.g. the base student) is paired with every seed of the other recipe.
    """
    paired = _paired_outcomes(labels, recipe_a, recipe_b, outcome)
    paired["a_only"] = paired["a"] & ~paired["b"]
    paired["b_only"] = paired["b"] & ~paired["a"]
    table = (
        paired.groupby(_STRATUM, sort=True)
        .agg(n=("a", "size"), a_only=("a_only", "sum"), b_only=("b_only", "sum"))
        .reset_index()
    )
    discordant = zip(table["a_only"], table["b_only"], strict=True)
    table["p_value"] = [mcnemar_exact(b, c) for b, c in discordant]
    return table


def recipe_strata(
    labels: pd.DataFrame, recipe_a: str, recipe_b: str, outcome: str = "wrong"
) -> list[np.ndarray]:
    """One 2x2 table per (world_seed, student, ft_seed): rows recipe a/b, columns outcome yes/no."""
    paired = _paired_outcomes(labels, recipe_a, recipe_b, outcome)
    tables = []
    for _, group in paired.groupby(_STRATUM, sort=True):
        n = len(group)
        a, b = int(group["a"].sum()), int(group["b"].sum())
        tables.append(np.array([[a, n - a], [b, n - b]]))
    return tables


def cochran_mantel_haenszel(
    tables: Sequence[np.ndarray] | np.ndarray, correction: bool = True
) -> CMHResult:
    """CMH chi-square test (1 df) that the common odds ratio of 2x2 strata is 1.

    Same conventions as statsmodels ``StratifiedTable.test_null_odds(correction)``:
    ``(|sum(a - E[a])| - 0.5 * correction)^2 / sum(Var[a])`` with the hypergeometric mean and
    variance; the common odds ratio is Mantel-Haenszel's ``sum(ad/n) / sum(bc/n)``. Strata with
    fewer than two observations carry no information and are skipped.

    Use strata (one per (world_seed, ft_seed)) rather than one pooled table: every seed is
    evaluated on the same questions, so pooling counts each question several times as if it were
    independent (overstating the evidence) and mixes strata with different base rates. Within a
    stratum the two recipes' rows are treated as independent samples although they share
    questions, so the hierarchical bootstrap remains the primary inference.
    """
    arr = np.asarray(tables, dtype=float).reshape(-1, 2, 2)
    arr = arr[arr.sum(axis=(1, 2)) >= 2]
    a, b, c, d = arr[:, 0, 0], arr[:, 0, 1], arr[:, 1, 0], arr[:, 1, 1]
    n = a + b + c + d
    deviation = abs(float(np.sum(a - (a + b) * (a + c) / n)))
    variance = float(np.sum((a + b) * (c + d) * (a + c) * (b + d) / (n**2 * (n - 1))))
    if variance > 0:
        statistic = max(deviation - 0.5, 0.0) ** 2 if correction else deviation**2
        statistic /= variance
        p_value = float(sps.chi2.sf(statistic, 1))
    else:
        statistic, p_value = 0.0, 1.0
    num, den = float(np.sum(a * d / n)), float(np.sum(b * c / n))
    odds = num / den if den > 0 else (math.inf if num > 0 else math.nan)
    return CMHResult(float(statistic), p_value, odds)


_STRATUM = ["world_seed", "student", "ft_seed"]


def _paired_outcomes(
    labels: pd.DataFrame, recipe_a: str, recipe_b: str, outcome: str
) -> pd.DataFrame:
    """Per (world_seed, student, ft_seed, question_id): whether each recipe had ``outcome``."""
    keys = ["world_seed", "student", "question_id"]
    sides = []
    for recipe, name in ((recipe_a, "a"), (recipe_b, "b")):
        rows = labels[labels["recipe"] == recipe]
        if rows.empty:
            raise ValueError(f"no labels for recipe {recipe!r}")
        if rows.duplicated([*keys, "ft_seed"]).any():
            raise ValueError(f"recipe {recipe!r} has duplicate (seed, question) rows")
        side = rows[[*keys, "ft_seed"]].assign(**{name: (rows["label"] == outcome).to_numpy()})
        sides.append(side)
    single = [side.groupby(keys[:2])["ft_seed"].nunique().max() == 1 for side in sides]
    if single[0] != single[1]:
        one = 0 if single[0] else 1
        sides[one] = sides[one].drop(columns="ft_seed")
        return sides[0].merge(sides[1], on=keys, how="inner")
    return sides[0].merge(sides[1], on=[*keys, "ft_seed"], how="inner")


# --- fits and power ---


def linear_fit(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> Fit:
    """Ordinary least squares line through (x, y); r2 is NaN when y is constant."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xs.shape != ys.shape or np.unique(xs).size < 2:
        raise ValueError("linear_fit needs equally long x and y with at least two distinct x")
    xc = xs - xs.mean()
    slope = float((xc * (ys - ys.mean())).sum() / (xc**2).sum())
    intercept = float(ys.mean() - slope * xs.mean())
    ss_tot = float(((ys - ys.mean()) ** 2).sum())
    ss_res = float(((ys - slope * xs - intercept) ** 2).sum())
    r2 = 1 - ss_res / ss_tot if ss_tot > 0 else math.nan
    return Fit(slope, intercept, r2)


def min_detectable_difference(
    n: float, p0: float, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest increase ``delta`` over rate ``p0`` that a two-sided two-proportion z-test with
    ``n`` observations per arm detects with the given power (normal approximation, no continuity
    correction). With ``p1 = p0 + delta`` and ``pbar = (p0 + p1) / 2`` it solves

        delta = z_{1-alpha/2} sqrt(2 pbar (1 - pbar) / n) + z_{power} sqrt((p0 q0 + p1 q1) / n).

    Returns NaN when even ``p1 = 1`` is not detectable.
    """
    if n <= 0 or not 0 <= p0 < 1:
        raise ValueError("need n > 0 and 0 <= p0 < 1")

    def gap(delta: float) -> float:
        return delta - _z_spread(p0, delta, alpha, power) / math.sqrt(n)

    if gap(1 - p0) < 0:
        return math.nan
    return float(optimize.brentq(gap, 1e-12, 1 - p0, xtol=1e-12))


def required_sample_size(delta: float, p0: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Observations per arm a two-sided two-proportion z-test needs to detect an increase
    ``delta`` over rate ``p0`` with the given power: the inverse of
    ``min_detectable_difference`` (same normal approximation), rounded up."""
    if delta <= 0 or not 0 <= p0 < 1 or p0 + delta >= 1:
        raise ValueError("need delta > 0 and 0 <= p0 < p0 + delta < 1")
    return math.ceil((_z_spread(p0, delta, alpha, power) / delta) ** 2)


def questions_to_detect(delta: float, p0: float) -> float:
    """``required_sample_size`` at 5% and 80% power, NaN where no sample detects ``delta``
    (not an increase, or NaN inputs, or a rate past 1)."""
    if math.isnan(delta) or math.isnan(p0) or delta <= 0 or not 0 <= p0 < 1 or p0 + delta >= 1:
        return math.nan
    return float(required_sample_size(delta, p0))


def _z_spread(p0: float, delta: float, alpha: float, power: float) -> float:
    """sqrt(n) x delta at the detection boundary of the two-proportion z-test:
    z_{1-alpha/2} sqrt(2 pbar qbar) + z_{power} sqrt(p0 q0 + p1 q1), p1 = p0 + delta."""
    z_alpha, z_power = sps.norm.ppf(1 - alpha / 2), sps.norm.ppf(power)
    p1, pbar = p0 + delta, p0 + delta / 2
    return z_alpha * math.sqrt(2 * pbar * (1 - pbar)) + z_power * math.sqrt(
        p0 * (1 - p0) + p1 * (1 - p1)
    )
