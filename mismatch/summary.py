"""Outcome rates per fine-tuning run, per-recipe summaries with intervals, and a markdown report.

All rates are defined once, in ``RATE_METRICS``, as ratios of indicator columns added by
``with_indicators``; per-run rates and bootstrap intervals therefore use the same definitions.
"""

from __future__ import annotations

import math

import pandas as pd

from mismatch.errors import InputError
from mismatch.stats import Interval, Ratio, hierarchical_bootstrap_many, mean_interval

LABELS = ("correct", "wrong", "abstain")
RUN_KEYS = ["world_seed", "student", "recipe", "ft_seed"]
REQUIRED_COLUMNS = [*RUN_KEYS, "question_id", "label", "student_knows", "contains_alias"]

RATE_METRICS: dict[str, Ratio] = {
    "correct_rate": Ratio("correct"),
    "wrong_rate": Ratio("wrong"),
    "abstain_rate": Ratio("abstain"),
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
    "answered",
    "known",
    "unknown",
    "wrong_containing_alias",
]
INTERVAL_METHOD = (
    "rates: {confidence:.0%} percentile hierarchical bootstrap (world seeds, then fine-tuning "
    "seeds per recipe, questions shared within a world; {n_boot} resamples); "
    "wrong_containing_alias: t-interval of the per-run count over runs"
)


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
    for name, ratio in RATE_METRICS.items():
        den = n if ratio.denominator is None else sums[ratio.denominator]
        rates[name] = (sums[ratio.numerator] / den.where(den > 0)).astype(float)
    return pd.DataFrame(rates, index=sums.index)


def outcome_rates(labels: pd.DataFrame) -> pd.DataFrame:
    """One row per (world_seed, student, recipe, ft_seed): outcome counts and every rate metric.

    Counts: n, correct, wrong, abstain, answered, known/unknown (questions the base student
    knew / did not know), wrong_containing_alias (wrong answers containing a gold alias).
    Rates: see ``RATE_METRICS`` (NaN when a denominator is empty).
    """
    data = with_indicators(labels)
    data["n"] = 1.0
    sums = data.groupby(RUN_KEYS, sort=False, dropna=False)[
        COUNT_COLUMNS + ["reliability", "abstain_known", "abstain_unknown"]
    ].sum()
    table = pd.concat([sums[COUNT_COLUMNS].astype(int), _ratios(sums)], axis=1)
    return table.reset_index()


def summarize(
    labels: pd.DataFrame,
    recipes: pd.DataFrame | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """One row per (student, recipe), in order of first appearance in ``labels``.

    For every metric ``m`` in ``RATE_METRICS``: ``m`` (pooled estimate), ``m_low``, ``m_high``
    (hierarchical bootstrap); ``wrong_containing_alias`` (mean count per run, t-interval);
    ``n`` (questions x seeds), ``n_worlds``, ``n_runs``; from ``recipes`` (mean over world seeds)
    n_examples, mismatch_fraction, abstention_share, and sweep/level when present (NaN for
    recipes absent there, e.g. the base student); ``interval`` names the interval methods.
    """
    data = with_indicators(labels)
    runs = outcome_rates(labels)
    rows = []
    for (student, recipe), group in data.groupby(["student", "recipe"], sort=False):
        intervals = hierarchical_bootstrap_many(
            group, RATE_METRICS, n_boot=n_boot, seed=seed, confidence=confidence
        )
        run_counts = runs.loc[(runs["student"] == student) & (runs["recipe"] == recipe)]
        intervals["wrong_containing_alias"] = mean_interval(
            run_counts["wrong_containing_alias"], confidence
        )
        row = {
            "student": student,
            "recipe": recipe,
            "n": len(group),
            "n_worlds": group["world_seed"].nunique(),
            "n_runs": len(run_counts),
        }
        for name, interval in intervals.items():
            row.update(_interval_columns(name, interval))
        rows.append(row)
    summary = pd.DataFrame(rows)
    summary["interval"] = INTERVAL_METHOD.format(confidence=confidence, n_boot=n_boot)
    if recipes is None:
        return summary
    return summary.merge(_recipe_properties(recipes), on=["student", "recipe"], how="left")


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
    labels: pd.DataFrame, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95
) -> pd.DataFrame:
    """Outcome rates split by what the base student knew, with bootstrap intervals.

    One row per (student, recipe, split, group): split ``student_knows`` has groups
    ``known``/``unknown``; split ``category`` (only if labels have a non-empty ``category``
    column) has one group per knowledge category, groups in ``KNOWLEDGE_ORDER`` within a split.
    Columns n, correct_rate, wrong_rate, abstain_rate, each with ``_low``/``_high``.
    """
    data = with_indicators(labels)
    data["_knows"] = data["student_knows"].astype(bool).map({True: "known", False: "unknown"})
    splits = {"student_knows": "_knows"}
    if "category" in data.columns and data["category"].notna().any():
        splits["category"] = "category"
    metrics = {m: RATE_METRICS[m] for m in ("correct_rate", "wrong_rate", "abstain_rate")}
    pairs = data[["student", "recipe"]].drop_duplicates()
    pair_rank = {pair: i for i, pair in enumerate(pairs.itertuples(index=False, name=None))}
    rows = []
    for split, column in splits.items():
        groups = data.groupby(["student", "recipe", column], sort=False)
        for (student, recipe, group_name), group in sorted(
            groups, key=lambda item: (pair_rank[item[0][:2]], knowledge_rank(item[0][2]))
        ):
            intervals = hierarchical_bootstrap_many(
                group, metrics, n_boot=n_boot, seed=seed, confidence=confidence
            )
            row = {
                "student": student,
                "recipe": recipe,
                "split": split,
                "group": str(group_name),
                "n": len(group),
            }
            for name, interval in intervals.items():
                row.update(_interval_columns(name, interval))
            rows.append(row)
    return pd.DataFrame(rows)


MARKDOWN_METRICS = {
    "correct_rate": "Correct",
    "wrong_rate": "Wrong",
    "abstain_rate": "Abstain",
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


def summary_markdown(
    summary: pd.DataFrame,
    metrics: dict[str, str] | None = None,
    title: str | None = None,
) -> str:
    """A markdown table of ``summarize`` output: one row per (student, recipe); ``metrics`` maps
    metric columns to headers (default ``MARKDOWN_METRICS``)."""
    metrics = MARKDOWN_METRICS if metrics is None else metrics
    headers = ["Student", "Recipe", "Mismatch", "Abstention share", "n", *metrics.values()]
    lines = [] if title is None else [f"## {title}", ""]
    lines += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for record in summary.to_dict("records"):
        cells = [
            str(record["student"]),
            str(record["recipe"]),
            _percent(record.get("mismatch_fraction")),
            _percent(record.get("abstention_share")),
            str(record["n"]),
        ]
        cells += [
            format_interval(record[m], record[f"{m}_low"], record[f"{m}_high"]) for m in metrics
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if "interval" in summary.columns and len(summary):
        lines += ["", f"Intervals: {summary['interval'].iloc[0]}."]
    return "\n".join(lines) + "\n"


def _percent(value: float | None) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{100 * value:.1f}%"
