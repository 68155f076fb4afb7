"""Probe AUROC and calibration against a reference, on planted cases."""

import numpy as np
import pandas as pd
import pytest

from mismatch.errors import InputError
from mismatch.knowing.probes import (
    auroc,
    auroc_interval,
    calibration_by_exposure,
    fact_probes,
    probe_report,
    rate_interval,
    recall_by_exposure,
)


def test_auroc_planted_cases():
    assert auroc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75  # by hand: 3 of 4
    assert auroc([1, 2, 3, 4], [False, False, True, True]) == 1.0
    assert auroc([4, 3, 2, 1], [False, False, True, True]) == 0.0
    assert auroc([1, 1, 1, 1], [False, True, False, True]) == 0.5  # ties count one half
    assert np.isnan(auroc([1, 2], [True, True]))
    with pytest.raises(ValueError, match="3 scores but 2"):
        auroc([1, 2, 3], [True, False])


def test_auroc_interval_resamples_persons():
    """A probe that is informative for the reference: AUROC well above 0.5 with an interval
    around it; an uninformative one: an interval covering 0.5."""
    rng = np.random.default_rng(0)
    persons = np.repeat(np.arange(40), 4)
    knows = rng.random(160) < 0.5
    table = pd.DataFrame(
        {
            "person": persons,
            "knows": knows,
            "good": knows + rng.normal(0, 0.7, 160),
            "noise": rng.normal(0, 1, 160),
        }
    )
    good = auroc_interval(table, "good", "knows", "person", n_boot=300)
    assert good["low"] < good["auroc"] < good["high"] and good["low"] > 0.7
    assert good["n_clusters"] == 40 and good["n_facts"] == 160
    noise = auroc_interval(table, "noise", "knows", "person", n_boot=300)
    assert noise["low"] < 0.5 < noise["high"]
    with pytest.raises(InputError, match="missing columns"):
        auroc_interval(table, "nope", "knows", "person")


def test_calibration_by_exposure_bins():
    table = pd.DataFrame(
        {
            "exposure": [0, 0, 1, 3, 5, 20],
            "p": [0.1, 0.3, 0.5, 0.6, 0.9, 1.0],
            "known": [0, 0, 1, 1, 1, 1],
        }
    )
    bins = calibration_by_exposure(table, "p", "known", edges=(0, 1, 2, 8))
    assert bins["exposure"].tolist() == ["0", "1", "2-7", "8+"]
    assert bins["n_facts"].tolist() == [2, 1, 2, 1]
    assert bins.loc[0, "mean_score"] == pytest.approx(0.2) and bins.loc[0, "reference_rate"] == 0
    assert bins.loc[2, "mean_score"] == pytest.approx(0.75)


def _fact_tables(n_persons: int = 12):
    """An exposure table of 2 pool and 2 test facts per person; the reference knows a fact
    exactly when it was seen 4 times or more."""
    rows = []
    for p in range(n_persons):
        for i, split in enumerate(("pool", "pool", "test", "test")):
            rows.append(
                {
                    "question_id": f"p{p}-{i}",
                    "entity": f"person {p}",
                    "split": split,
                    "exposure": (p + i) % 8,
                    "name_mentions": p % 3,
                }
            )
    exposures = pd.DataFrame(rows)
    ids = exposures["question_id"]
    known = exposures["exposure"] >= 4
    answers = pd.DataFrame({"question_id": ids, "correct": known})
    truth = pd.DataFrame({"question_id": ids, "truly_known": known})
    pool = exposures[exposures["split"] == "pool"]
    categories = pd.DataFrame(
        {
            "question_id": pool["question_id"],
            "p_correct_greedy": (pool["exposure"] / 8).to_numpy(),
            "category": np.where(pool["exposure"] >= 4, "HighlyKnown", "Unknown"),
        }
    )
    return exposures, answers, truth, pd.Series(0.5, index=ids), categories


def test_slick_probes_score_pool_facts_only_and_enter_the_report():
    exposures, answers, truth, gold, categories = _fact_tables()
    probes = fact_probes(exposures, answers, truth, gold, categories)
    pool = probes["split"] == "pool"
    assert probes.loc[pool, "slick_p_greedy"].notna().all()
    assert probes.loc[~pool, ["slick_p_greedy", "slick_category"]].isna().all().all()
    report = probe_report(probes.assign(model="m", world_seed=1), n_boot=50).set_index("probe")
    assert report.loc["SliCK category", "auroc"] == 1.0  # planted: category = the reference
    assert report.loc["SliCK category", "n_facts"] == pool.sum()
    assert report.loc["SliCK category", "facts"] == "pool split"
    assert report.loc["greedy answer", "n_facts"] == len(probes)
    recall = recall_by_exposure(probes.assign(model="m", world_seed=1), n_boot=50)
    assert recall["slick_n_facts"].sum() == pool.sum()
    measured = recall[recall["n_facts"] > 0]
    assert (measured["recall_low"] <= measured["recall"]).all()
    assert (measured["recall"] <= measured["recall_high"]).all()
    assert recall.loc[recall["n_facts"] == 0, "recall_low"].isna().all()


def test_without_categories_the_slick_probes_are_left_out():
    exposures, answers, truth, gold, _ = _fact_tables()
    probes = fact_probes(exposures, answers, truth, gold)
    report = probe_report(probes.assign(model="m", world_seed=1), n_boot=20)
    assert not report["probe"].str.startswith("SliCK").any()
    recall = recall_by_exposure(probes.assign(model="m", world_seed=1), n_boot=20)
    assert "mean_slick_p_greedy" not in recall.columns


def test_rate_interval_resamples_whole_persons():
    """The same 50% rate: persons all right or all wrong give a wide interval; persons each
    half right give none."""
    persons = pd.Series([f"p{i // 10}" for i in range(100)])
    together = pd.Series([float(i // 10 % 2) for i in range(100)])
    mixed = pd.Series([float(i % 2) for i in range(100)])
    low, high = rate_interval(together, persons, n_boot=500)
    assert low < 0.3 and high > 0.7
    assert rate_interval(mixed, persons, n_boot=500) == (0.5, 0.5)
    assert all(np.isnan(rate_interval(mixed.iloc[:0], persons.iloc[:0])))
