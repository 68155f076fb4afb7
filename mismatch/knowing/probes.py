"""Knowledge probes checked against a reference: AUROC with a person-level interval, and
calibration by exposure count.

A *probe* scores how likely a model is to know a fact (one greedy answer right, SliCK's
P(correct), the gold value's probability among the candidates, name frequency); the *reference*
is whether the model knows it (in the exposure world: recall on held-out paraphrased questions).
Facts of one person are not independent, so intervals resample persons.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from mismatch.errors import InputError


def auroc(scores: Sequence[float], reference: Sequence[bool]) -> float:
    """Area under the ROC curve of ``scores`` for the positives of ``reference``: the chance that
    a random positive scores above a random negative, ties counting one half (Mann-Whitney U).
    NaN when either class is empty."""
    scores = np.asarray(scores, dtype=float)
    positive = np.asarray(reference, dtype=bool)
    if scores.shape != positive.shape:
        raise ValueError(f"{scores.shape[0]} scores but {positive.shape[0]} reference values")
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = sps.rankdata(scores)  # average ranks: ties count one half
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def auroc_interval(
    table: pd.DataFrame,
    score: str,
    reference: str,
    cluster: str,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, float]:
    """AUROC of column ``score`` for column ``reference`` with a percentile interval from
    resampling the ``cluster`` column's values (persons) with replacement."""
    missing = {score, reference, cluster} - set(table.columns)
    if missing:
        raise InputError("probe table", f"missing columns {sorted(missing)}")
    estimate = auroc(table[score], table[reference])
    codes, _ = pd.factorize(table[cluster], sort=True)
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(codes.max() + 1))
    members = np.split(order, starts[1:])  # row positions of each cluster
    scores = table[score].to_numpy(dtype=float)
    truth = table[reference].to_numpy(dtype=bool)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_boot):
        rows = np.concatenate([members[i] for i in rng.integers(0, len(members), len(members))])
        draws.append(auroc(scores[rows], truth[rows]))
    values = np.asarray(draws, dtype=float)
    values = values[~np.isnan(values)]
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(values, [tail, 100 - tail]) if len(values) else (np.nan, np.nan)
    return {
        "auroc": estimate,
        "low": float(low),
        "high": float(high),
        "n_facts": len(table),
        "n_clusters": len(members),
    }


def exposure_bins(edges: Sequence[int]) -> list[tuple[str, float, float]]:
    """(label, low, high) of every exposure bin: ``edges`` are lower bounds, the last bin is
    open-ended ("0", "2-3", "16+")."""
    bounds = [*edges, np.inf]
    return [
        (f"{low}" if high == low + 1 else f"{low}+" if np.isinf(high) else f"{low}-{high - 1}",
         low, high)
        for low, high in zip(bounds[:-1], bounds[1:], strict=True)
    ]  # fmt: skip


def calibration_by_exposure(
    table: pd.DataFrame,
    score: str,
    reference: str,
    exposure: str = "exposure",
    edges: Sequence[int] = (0, 1, 2, 4, 8, 16),
) -> pd.DataFrame:
    """Per exposure bin (``edges``: lower bounds, the last bin open-ended): the number of facts,
    the probe's mean score and the reference's rate, side by side (a calibrated probability
    probe has mean score close to the rate in every bin)."""
    missing = {score, reference, exposure} - set(table.columns)
    if missing:
        raise InputError("probe table", f"missing columns {sorted(missing)}")
    rows = []
    for label, low, high in exposure_bins(edges):
        part = table[(table[exposure] >= low) & (table[exposure] < high)]
        rows.append(
            {
                "exposure": label,
                "n_facts": len(part),
                "mean_score": float(part[score].mean()) if len(part) else np.nan,
                "reference_rate": float(part[reference].astype(float).mean())
                if len(part)
                else np.nan,
            }
        )
    return pd.DataFrame(rows)


PROBES = {
    "greedy answer": "greedy",
    "SliCK greedy P(correct)": "slick_p_greedy",
    "SliCK category": "slick_category",
    "gold-value probability": "gold_probability",
    "name frequency": "name_frequency",
    "exposure count": "exposure",
}
"""Probe name -> its score column in a ``fact_probes`` table (exposure count is the oracle a
model cannot see; name frequency the baseline a familiar name gives). The SliCK probes score the
facts that have categories (the pool split) and are NaN elsewhere."""

CATEGORY_SCORE = {"HighlyKnown": 3.0, "MaybeKnown": 2.0, "WeaklyKnown": 1.0, "Unknown": 0.0}
"""SliCK categories as an ordinal score (more known scores higher)."""


def fact_probes(
    exposures: pd.DataFrame,
    answers: pd.DataFrame,
    truth: pd.DataFrame,
    gold_probability: pd.Series,
    categories: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per pool and test fact of one model: question_id, person, split, exposure,
    name_frequency (units mentioning the person: its name-only lines plus one per exposure of
    each of its facts), greedy (its k-shot greedy answer graded correct), gold_probability
    (indexed by question id), slick_p_greedy and slick_category (from ``categories``, NaN for
    facts without one) and truly_known (the reference)."""
    facts = exposures[exposures["split"] != "format"].set_index("question_id")
    per_person = exposures.groupby("entity")["exposure"].sum()
    mentions = exposures.drop_duplicates("entity").set_index("entity")["name_mentions"]
    frequency = (per_person + mentions).rename("name_frequency")
    ids = facts.index
    for name, table in (("answers", answers), ("truth", truth)):
        missing = set(ids) - set(table["question_id"])
        if missing:
            raise InputError(name, f"no row for {len(missing)} fact(s), e.g. {sorted(missing)[0]}")
    missing = set(ids) - set(gold_probability.index)
    if missing:
        raise InputError("gold probabilities", f"none for {len(missing)} fact(s)")
    slick = (
        categories.set_index("question_id").reindex(ids)
        if categories is not None
        else pd.DataFrame(index=ids, columns=["p_correct_greedy", "category"], dtype=float)
    )
    return pd.DataFrame(
        {
            "question_id": ids,
            "person": facts["entity"].to_numpy(),
            "split": facts["split"].to_numpy(),
            "exposure": facts["exposure"].to_numpy(),
            "name_frequency": frequency.loc[facts["entity"]].to_numpy(),
            "greedy": answers.set_index("question_id").loc[ids, "correct"].astype(float).to_numpy(),
            "gold_probability": gold_probability.loc[ids].to_numpy(dtype=float),
            "slick_p_greedy": slick["p_correct_greedy"].to_numpy(dtype=float),
            "slick_category": slick["category"].map(CATEGORY_SCORE).to_numpy(dtype=float),
            "truly_known": truth.set_index("question_id")
            .loc[ids, "truly_known"]
            .astype(bool)
            .to_numpy(),
        }
    )


def probe_report(probes: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Per model and probe: AUROC against ``truly_known`` with a 95% interval resampling
    persons (clusters = world and person), and the share of facts known."""
    rows = []
    data = probes.assign(cluster=probes["world_seed"].astype(str) + ":" + probes["person"])
    for model, part in data.groupby("model", sort=False):
        for name, column in PROBES.items():
            scored = part.dropna(subset=[column]) if column in part.columns else part.iloc[:0]
            if scored.empty:
                continue
            est = auroc_interval(scored, column, "truly_known", "cluster", n_boot=n_boot, seed=seed)
            rows.append(
                {
                    "model": model,
                    "probe": name,
                    **est,
                    "known_rate": float(scored["truly_known"].mean()),
                    "facts": "pool split" if column.startswith("slick") else "pool and test",
                    "interval": "95% percentile bootstrap, persons resampled",
                }
            )
    return pd.DataFrame(rows)


def rate_interval(
    values: pd.Series,
    clusters: pd.Series,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Percentile interval of the mean of 0/1 ``values`` resampling ``clusters`` (persons) with
    replacement; NaN without values."""
    if values.empty:
        return np.nan, np.nan
    sums = values.astype(float).groupby(clusters.to_numpy()).agg(["sum", "count"])
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(len(sums), np.full(len(sums), 1 / len(sums)), size=n_boot)
    rates = (weights @ sums["sum"].to_numpy()) / (weights @ sums["count"].to_numpy())
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(rates, [tail, 100 - tail])
    return float(low), float(high)


def recall_by_exposure(
    probes: pd.DataFrame,
    edges: Sequence[int] = (0, 1, 2, 4, 8, 16),
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Per model and exposure bin: facts, the reference's rate (recall on held-out paraphrases)
    with a 95% interval resampling persons, and the mean of every probability-valued probe beside
    it (its calibration): the gold-value probability, the greedy answer's rate and, where
    measured, SliCK's greedy P(correct)."""
    tables = []
    data = probes.assign(cluster=probes["world_seed"].astype(str) + ":" + probes["person"])
    for model, part in data.groupby("model", sort=False):
        table = calibration_by_exposure(part, "gold_probability", "truly_known", edges=edges)
        table = table.rename(
            columns={"mean_score": "mean_gold_probability", "reference_rate": "recall"}
        )
        table.insert(0, "model", model)
        intervals = []
        for _, low, high in exposure_bins(edges):
            members = part[(part["exposure"] >= low) & (part["exposure"] < high)]
            intervals.append(
                rate_interval(members["truly_known"], members["cluster"], n_boot=n_boot, seed=seed)
            )
        table.insert(table.columns.get_loc("recall") + 1, "recall_low", [i[0] for i in intervals])
        table.insert(table.columns.get_loc("recall") + 2, "recall_high", [i[1] for i in intervals])
        table["greedy_rate"] = calibration_by_exposure(part, "greedy", "truly_known", edges=edges)[
            "mean_score"
        ]
        if "slick_p_greedy" in part.columns and part["slick_p_greedy"].notna().any():
            scored = part.dropna(subset=["slick_p_greedy"])
            slick = calibration_by_exposure(scored, "slick_p_greedy", "truly_known", edges=edges)
            table["slick_n_facts"] = slick["n_facts"]
            table["slick_recall"] = slick["reference_rate"]
            table["mean_slick_p_greedy"] = slick["mean_score"]
        tables.append(table)
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
