"""Outcome rates per fine-tuning run, per-recipe summaries with intervals, and a markdown report.

All rates are defined once, in ``RATE_METRICS``, as ratios of indicator columns added by
``with_indicators``; per-run rates and bootstrap intervals therefore use the same definitions.
"""

from __future__ import annotations

import math

import pandas as pd

from mismatch.analysis.clustered import (
    Design,
    Resamples,
    build_design,
    percentile_interval,
    ratio,
    resample,
)
from mismatch.analysis.stats import Interval, Ratio, mean_interval
from mismatch.answers.grading import LABELS as GRADING_LABELS
from mismatch.errors import InputError

LABELS = GRADING_LABELS  # correct, wrong, abstain, malformed (mismatch.answers.grading)
RUN_KEYS = ["world_seed", "student", "recipe", "ft_seed"]
REQUIRED_COLUMNS = [*RUN_KEYS, "question_id", "label", "student_knows", "contains_alias"]

RATE_METRICS: dict[str, Ratio] = {
    "correct_rate": Ratio("correct"),
    "wrong_rate": Ratio("wrong"),
    "abstain_rate": Ratio("abstain"),
    "malformed_rate": Ratio("malformed"),
    "coverage": Ratio("answered"),
    "wrong_among_answered": Ratio("wrong", "answered"),
    "effective_reliability": Ratio("reliability"),
    "over_conservativeness": Ratio("abstain_known", "known"),
    "prudence": Ratio("abstain_unknown", "unknown"),
}
"""Metric name -> ratio of indicator sums. ``effective_reliability`` = (correct - wrong) / n;
``over_conservativeness`` = abstentions among questions the base student knew; ``prudence`` =
abstentions among questions it did not know."""

COUNT_COLUMNS = [
    "n",
    "correct",
    "wrong",
    "abstain",
    "malformed",
    "answered",
    "known",
    "unknown",
    "wrong_containing_alias",
]
INTERVAL_METHOD = (
    "rates: {confidence:.0%} percentile bootstrap over these worlds (worlds fixed; within each, "
    "persons resampled and shared by every recipe, seed runs resampled per recipe; "
    "{n_boot} resamples); wrong_containing_alias: t-interval of the per-run count over runs"
)
OUTCOMES = LABELS
PERSON = "person"


def with_indicators(labels: pd.DataFrame) -> pd.DataFrame:
    """``labels`` plus the 0/1 indicator columns the metrics are built from."""
    missing = [c for c in REQUIRED_COLUMNS if c not in labels.columns]
    if missing:
        raise InputError("labels", f"missing columns {missing}")
    unknown_labels = set(labels["label"].unique()) - set(LABELS)
    if unknown_labels:
        raise InputError("labels", f"unexpected label values {sorted(unknown_labels)}")
    out = labels.copy()
    for label in LABELS:
        out[label] = (labels["label"] == label).astype(float)
    knows = labels["student_knows"].astype(bool).to_numpy()
    out["answered"] = 1.0 - out["abstain"]
    out["reliability"] = out["correct"] - out["wrong"]
    out["known"] = knows.astype(float)
    out["unknown"] = 1.0 - out["known"]
    out["abstain_known"] = out["abstain"] * out["known"]
    out["abstain_unknown"] = out["abstain"] * out["unknown"]
    out["wrong_containing_alias"] = out["wrong"] * labels["contains_alias"].astype(float)
    return out


def _ratios(sums: pd.DataFrame) -> pd.DataFrame:
    """Evaluate ``RATE_METRICS`` on columns of summed indicators (one row per group)."""
    n = sums["n"]
    rates = {}
    for name, metric in RATE_METRICS.items():
        den = n if metric.denominator is None else sums[metric.denominator]
        rates[name] = (sums[metric.numerator] / den.where(den > 0)).astype(float)
    return pd.DataFrame(rates, index=sums.index)


def outcome_rates(labels: pd.DataFrame) -> pd.DataFrame:
    """One row per (world_seed, student, recipe, ft_seed): outcome counts and every rate metric.

    Counts: n, correct, wrong, abstain, malformed, answered (all but abstain), known/unknown
    (questions the base student knew / did not know), wrong_containing_alias (wrong answers
    containing a gold alias).
    Rates: see ``RATE_METRICS`` (NaN when a denominator is empty).
    """
    data = with_indicators(labels)
    data["n"] = 1.0
    sums = data.groupby(RUN_KEYS, sort=False, dropna=False)[
        COUNT_COLUMNS + ["reliability", "abstain_known", "abstain_unknown"]
    ].sum()
    table = pd.concat([sums[COUNT_COLUMNS].astype(int), _ratios(sums)], axis=1)
    return table.reset_index()


def design_table(labels: pd.DataFrame) -> pd.DataFrame:
    """Indicator columns of every answer for the person-level bootstrap: ``with_indicators``
    plus ``n`` (1 per answer), ``{outcome}@{group}`` and ``n@{group}`` for every knowledge group
    (known/unknown, and SliCK categories when present) and ``person`` (the cluster; the
    question itself when the labels carry no ``person`` column)."""
    data = with_indicators(labels)
    data["n"] = 1.0
    if PERSON not in data.columns:
        data[PERSON] = data["question_id"]
    for group, member in _knowledge_groups(data).items():
        data[f"n@{group}"] = member
        for outcome in OUTCOMES:
            data[f"{outcome}@{group}"] = data[outcome] * member
    return data


def _knowledge_groups(data: pd.DataFrame) -> dict[str, pd.Series]:
    knows = data["student_knows"].astype(bool)
    groups = {"known": knows.astype(float), "unknown": (~knows).astype(float)}
    if "category" in data.columns and data["category"].notna().any():
        for category in sorted(data["category"].dropna().unique(), key=knowledge_rank):
            groups[f"category:{category}"] = (data["category"] == category).astype(float)
    return groups


def design_columns(data: pd.DataFrame) -> list[str]:
    """The numeric indicator columns of ``design_table`` output summed per (run, person)."""
    base = [*COUNT_COLUMNS, "reliability", "abstain_known", "abstain_unknown"]
    return base + [c for c in data.columns if "@" in c and c not in base]


def person_design(labels: pd.DataFrame) -> Design:
    """``design_table`` summed per (world, student, recipe, seed run, person)."""
    data = design_table(labels)
    return build_design(data, design_columns(data), person=PERSON)


def _arms(labels: pd.DataFrame) -> list[tuple[str, str]]:
    pairs = labels[["student", "recipe"]].drop_duplicates()
    return list(pairs.itertuples(index=False, name=None))


def summarize(
    labels: pd.DataFrame,
    recipes: pd.DataFrame | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    draws: Resamples | None = None,
) -> pd.DataFrame:
    """One row per (student, recipe), in order of first appearance in ``labels``.

    For every metric ``m`` in ``RATE_METRICS``: ``m`` (pooled estimate), ``m_low``, ``m_high``
    (person-level bootstrap over these worlds, ``mismatch.analysis.clustered``; ``draws`` reuses
    one set
    of resamples); ``wrong_containing_alias`` (mean count per run, t-interval); ``n``
    (questions x seeds), ``n_worlds``, ``n_runs``, ``n_persons``; from ``recipes`` (mean over
    world seeds) n_examples, mismatch_fraction, abstention_share, and sweep/level when present
    (NaN for recipes absent there, e.g. the base student); ``interval`` names the methods.
    """
    draws = draws or resample(person_design(labels), n_boot, seed)
    runs = outcome_rates(labels)
    rows = []
    for student, recipe in _arms(labels):
        group = labels[(labels["student"] == student) & (labels["recipe"] == recipe)]
        sums = draws.sums((student, recipe))
        run_counts = runs.loc[(runs["student"] == student) & (runs["recipe"] == recipe)]
        row = {
            "student": student,
            "recipe": recipe,
            "n": len(group),
            "n_worlds": group["world_seed"].nunique(),
            "n_runs": len(run_counts),
            "n_persons": _n_persons(draws, (student, recipe)),
        }
        for name, r in RATE_METRICS.items():
            est = percentile_interval(_metric(r)(sums), confidence)
            row.update(_interval_columns(name, Interval(est.estimate, est.low, est.high, 0)))
        alias = mean_interval(run_counts["wrong_containing_alias"], confidence)
        row.update(_interval_columns("wrong_containing_alias", alias))
        rows.append(row)
    summary = pd.DataFrame(rows)
    summary["interval"] = INTERVAL_METHOD.format(confidence=confidence, n_boot=draws.n_boot)
    if recipes is None:
        return summary
    return summary.merge(_recipe_properties(recipes), on=["student", "recipe"], how="left")


def _n_persons(draws: Resamples, arm: tuple[str, str]) -> int:
    return sum(len(draws.design.persons[w]) for w in draws.design.worlds_of(arm))


def _metric(r: Ratio):
    return ratio(r.numerator, r.denominator or "n")


def _interval_columns(name: str, interval: Interval) -> dict[str, float]:
    return {name: interval.mean, f"{name}_low": interval.low, f"{name}_high": interval.high}


def _recipe_properties(recipes: pd.DataFrame) -> pd.DataFrame:
    """Per (student, recipe): numeric properties averaged over world seeds, sweep/level as is."""
    numeric = [
        c
        for c in ("n_examples", "n_answered", "n_abstain", "mismatch_fraction", "abstention_share")
        if c in recipes.columns
    ]
    firsts = [c for c in ("sweep", "level") if c in recipes.columns]
    grouped = recipes.groupby(["student", "recipe"], sort=False, dropna=False)
    props = grouped[numeric].mean()
    if firsts:
        props = props.join(grouped[firsts].first())
    return props.reset_index()


KNOWLEDGE_ORDER = ("known", "unknown", "HighlyKnown", "MaybeKnown", "WeaklyKnown", "Unknown")


def knowledge_rank(group: str) -> int:
    """Position of a knowledge group in ``KNOWLEDGE_ORDER`` (unlisted groups last)."""
    return KNOWLEDGE_ORDER.index(group) if group in KNOWLEDGE_ORDER else len(KNOWLEDGE_ORDER)


def wrong_by_knowledge(
    labels: pd.DataFrame,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    draws: Resamples | None = None,
) -> pd.DataFrame:
    """Outcome rates split by what the base student knew, with person-level intervals.

    One row per (student, recipe, split, group): split ``student_knows`` has groups
    ``known``/``unknown``; split ``category`` (only if labels have a non-empty ``category``
    column) has one group per knowledge category, groups in ``KNOWLEDGE_ORDER`` within a split.
    Columns n, correct_rate, wrong_rate, abstain_rate, each with ``_low``/``_high``.
    """
    draws = draws or resample(person_design(labels), n_boot, seed)
    groups = [c[2:] for c in draws.design.columns if c.startswith("n@")]
    rows = []
    for student, recipe in _arms(labels):
        sums = draws.sums((student, recipe))
        for group in groups:
            split, name = (
                ("category", group[9:])
                if group.startswith("category:")
                else (
                    "student_knows",
                    group,
                )
            )
            n = int(sums[f"n@{group}"][0])
            if n == 0:
                continue
            row = {"student": student, "recipe": recipe, "split": split, "group": name, "n": n}
            for outcome in OUTCOMES:
                est = percentile_interval(
                    ratio(f"{outcome}@{group}", f"n@{group}")(sums), confidence
                )
                row.update(
                    _interval_columns(
                        f"{outcome}_rate", Interval(est.estimate, est.low, est.high, n)
                    )
                )
            rows.append(row)
    return pd.DataFrame(rows)


MARKDOWN_METRICS = {
    "correct_rate": "Correct",
    "wrong_rate": "Wrong",
    "abstain_rate": "Abstain",
    "malformed_rate": "Malformed",
    "wrong_among_answered": "Wrong among answered",
    "effective_reliability": "Effective reliability",
    "over_conservativeness": "Over-conservativeness",
    "prudence": "Prudence",
}


def format_interval(mean: float, low: float, high: float) -> str:
    """A rate as a percentage with its interval, e.g. ``12.3% [8.1, 16.0]``."""
    if math.isnan(mean):
        return "n/a"
    if math.isnan(low) or math.isnan(high):
        return f"{100 * mean:.1f}%"
    return f"{100 * mean:.1f}% [{100 * low:.1f}, {100 * high:.1f}]"
