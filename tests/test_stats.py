"""Tests of mismatch.analysis.stats against hand-computed values and simulated coverage."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mismatch.analysis.stats import (
    Ratio,
    bootstrap_difference,
    bootstrap_weights,
    cochran_mantel_haenszel,
    hierarchical_bootstrap,
    linear_fit,
    mcnemar_exact,
    mean_interval,
    min_detectable_difference,
    paired_mcnemar,
    recipe_strata,
    slope_interval,
)


def _table(worlds=2, seeds=3, questions=50, recipes=("own", "large"), seed=0) -> pd.DataFrame:
    """Rows (world, student, recipe, ft seed, question) with a 0/1 ``wrong`` column."""
    rng = np.random.default_rng(seed)
    rows = [
        (w, "s", r, s, f"q{q}", float(rng.random() < 0.3 + 0.2 * i))
        for w in range(worlds)
        for i, r in enumerate(recipes)
        for s in range(seeds)
        for q in range(questions)
    ]
    return pd.DataFrame(
        rows, columns=["world_seed", "student", "recipe", "ft_seed", "question_id", "wrong"]
    )


def test_mean_interval_matches_hand_computed_t_interval():
    # mean 3, sd sqrt(2.5), t_{0.975,4} = 2.776445: half-width 2.776445 * 1.581139 / sqrt(5)
    interval = mean_interval([1, 2, 3, 4, 5])
    assert interval.mean == 3 and interval.n == 5
    assert interval.low == pytest.approx(3 - 1.963243, abs=1e-5)
    assert interval.high == pytest.approx(3 + 1.963243, abs=1e-5)


def test_mean_interval_single_value_and_empty():
    assert mean_interval([0.4]) == mean_interval([0.4, math.nan])
    single = mean_interval([0.4])
    assert (single.low, single.mean, single.high, single.n) == (0.4, 0.4, 0.4, 1)
    assert math.isnan(mean_interval([]).mean)


@pytest.mark.parametrize(
    ("b", "c", "p"),
    [(1, 9, 22 / 1024), (9, 1, 22 / 1024), (5, 5, 1.0), (0, 0, 1.0), (0, 5, 2 / 32)],
)
def test_mcnemar_exact_known_tables(b, c, p):
    assert mcnemar_exact(b, c) == pytest.approx(p, rel=1e-9)


def test_mcnemar_exact_reference_value():
    assert round(mcnemar_exact(1, 9), 5) == 0.02148


def _labels(a_wrong, b_wrong, recipe_a="own", recipe_b="large", seeds=(0,)) -> pd.DataFrame:
    rows = []
    for ft in seeds:
        for recipe, wrong in ((recipe_a, a_wrong), (recipe_b, b_wrong)):
            for q, is_wrong in enumerate(wrong):
                rows.append((0, "s", recipe, ft, f"q{q}", "wrong" if is_wrong else "correct"))
    return pd.DataFrame(
        rows, columns=["world_seed", "student", "recipe", "ft_seed", "question_id", "label"]
    )


def test_paired_mcnemar_counts_discordant_pairs():
    # q0: both wrong, q1: a only, q2..q10: b only (9), q11: neither -> b=1, c=9
    a = [1, 1] + [0] * 9 + [0]
    b = [1, 0] + [1] * 9 + [0]
    table = paired_mcnemar(_labels(a, b, seeds=(0, 1)), "own", "large")
    assert list(table["ft_seed"]) == [0, 1]
    assert list(table["n"]) == [12, 12]
    assert list(table["a_only"]) == [1, 1] and list(table["b_only"]) == [9, 9]
    assert table["p_value"].tolist() == pytest.approx([22 / 1024] * 2)


def test_paired_mcnemar_pairs_single_seed_recipe_with_every_seed():
    labels = _labels([1, 0, 0], [0, 1, 1], seeds=(0, 1, 2))
    base = labels[(labels.recipe == "own") & (labels.ft_seed == 0)].assign(recipe="base")
    labels = pd.concat([labels[labels.recipe == "large"], base])
    table = paired_mcnemar(labels, "base", "large")
    assert list(table["ft_seed"]) == [0, 1, 2]
    assert list(table["a_only"]) == [1, 1, 1] and list(table["b_only"]) == [2, 2, 2]


def test_recipe_strata_builds_recipe_by_outcome_tables():
    tables = recipe_strata(_labels([1, 1, 0, 0], [1, 0, 0, 0], seeds=(0, 1)), "own", "large")
    assert len(tables) == 2
    np.testing.assert_array_equal(tables[0], [[2, 2], [1, 3]])


def test_cmh_two_strata_hand_computation():
    tables = [np.array([[10, 20], [5, 25]]), np.array([[8, 12], [4, 16]])]
    # stratum 1: n=60, E[a] = 30*15/60 = 7.5, Var = 30*30*15*45 / (60^2 * 59)
    # stratum 2: n=40, E[a] = 20*12/40 = 6.0, Var = 20*20*12*28 / (40^2 * 39)
    variance = 30 * 30 * 15 * 45 / (60**2 * 59) + 20 * 20 * 12 * 28 / (40**2 * 39)
    deviation = (10 - 7.5) + (8 - 6.0)
    plain = cochran_mantel_haenszel(tables, correction=False)
    corrected = cochran_mantel_haenszel(tables, correction=True)
    assert plain.statistic == pytest.approx(deviation**2 / variance)
    assert corrected.statistic == pytest.approx((deviation - 0.5) ** 2 / variance)
    assert plain.statistic == pytest.approx(4.038679, rel=1e-6)
    assert plain.p_value == pytest.approx(0.0444686, rel=1e-5)
    assert corrected.p_value == pytest.approx(0.0740422, rel=1e-5)
    # Mantel-Haenszel: sum(ad/n) / sum(bc/n)
    assert plain.common_odds_ratio == pytest.approx((250 / 60 + 128 / 40) / (100 / 60 + 48 / 40))


def test_cmh_skips_uninformative_strata_and_handles_zero_variance():
    tables = [np.array([[10, 20], [5, 25]]), np.array([[1, 0], [0, 0]])]
    assert cochran_mantel_haenszel(tables) == cochran_mantel_haenszel(tables[:1])
    flat = cochran_mantel_haenszel([np.array([[5, 0], [5, 0]])])
    assert (flat.statistic, flat.p_value) == (0.0, 1.0)


def test_linear_fit_exact_line():
    fit = linear_fit([0, 1, 2, 3], [1, 3, 5, 7])
    assert (fit.slope, fit.intercept, fit.r2) == pytest.approx((2.0, 1.0, 1.0))
    with pytest.raises(ValueError):
        linear_fit([1, 1], [2, 3])


def test_min_detectable_difference_matches_sample_size_formula():
    # p0=0.5, p1=0.6: n = [1.95996*sqrt(2*.55*.45) + 0.84162*sqrt(.25+.24)]^2 / 0.1^2 = 387.34
    n = (1.959964 * math.sqrt(2 * 0.55 * 0.45) + 0.841621 * math.sqrt(0.25 + 0.24)) ** 2 / 0.01
    assert n == pytest.approx(387.34, abs=0.01)
    assert min_detectable_difference(n, 0.5) == pytest.approx(0.1, abs=1e-5)
    assert min_detectable_difference(4 * n, 0.5) < min_detectable_difference(n, 0.5)
    assert math.isnan(min_detectable_difference(1, 0.9))


def test_bootstrap_interval_covers_normal_mean_about_95_percent():
    rng = np.random.default_rng(1)
    covered = 0
    for dataset in range(200):
        df = pd.DataFrame({"question_id": np.arange(40), "value": rng.normal(1.0, 2.0, 40)})
        interval = hierarchical_bootstrap(df, Ratio("value"), levels=(), n_boot=400, seed=dataset)
        covered += interval.low <= 1.0 <= interval.high
    assert 0.88 <= covered / 200 <= 0.99


def test_vectorised_and_plain_statistics_give_identical_intervals():
    df = _table(seeds=2, questions=20)
    fast = hierarchical_bootstrap(df, Ratio("wrong"), n_boot=60, seed=3)
    slow = hierarchical_bootstrap(df, lambda d: d["wrong"].mean(), n_boot=60, seed=3)
    assert fast == pytest.approx(slow)
    fast_diff = bootstrap_difference(df, Ratio("wrong"), "large", "own", n_boot=60, seed=3)
    slow_diff = bootstrap_difference(
        df, lambda d: d["wrong"].mean(), "large", "own", n_boot=60, seed=3
    )
    assert fast_diff == pytest.approx(slow_diff)


def test_bootstrap_weights_keep_balanced_totals():
    df = _table(worlds=3, seeds=2, questions=10)
    for weights in bootstrap_weights(df, n_boot=20, seed=0):
        assert np.all(weights.sum(axis=1) == len(df))
        assert np.all(weights == np.round(weights))


def test_world_level_variation_widens_the_interval():
    # world 0 always right, world 1 always wrong: only resampling worlds moves the mean
    df = _table(worlds=2, seeds=2, questions=30)
    df["wrong"] = df["world_seed"].astype(float)
    nested = hierarchical_bootstrap(df, Ratio("wrong"), n_boot=400)
    flat = hierarchical_bootstrap(df, Ratio("wrong"), levels=(), n_boot=400)
    assert (nested.low, nested.high) == (0.0, 1.0)
    assert flat.low == flat.high == pytest.approx(0.5)


def test_questions_are_shared_across_recipes_and_seeds_of_a_world():
    # identical outcome per question for both recipes: the paired difference is exactly zero
    df = _table(worlds=2, seeds=3, questions=40)
    df["wrong"] = df["question_id"].str[1:].astype(int) % 3 == 0
    df["wrong"] = df["wrong"].astype(float)
    diff = bootstrap_difference(df, Ratio("wrong"), "large", "own", n_boot=200)
    assert diff.low == diff.high == 0.0


def test_slope_interval_recovers_dose_response():
    rng = np.random.default_rng(0)
    levels = {"m0": 0.0, "m25": 0.25, "m50": 0.5, "m100": 1.0}
    parts = []
    for recipe, x in levels.items():
        part = _table(worlds=3, seeds=2, questions=200, recipes=(recipe,))
        part["wrong"] = (rng.random(len(part)) < 0.2 + 0.5 * x).astype(float)
        parts.append(part)
    interval = slope_interval(pd.concat(parts), Ratio("wrong"), levels, n_boot=300)
    assert interval.low < 0.5 < interval.high
    assert interval.mean == pytest.approx(0.5, abs=0.08)


def test_bootstrap_of_ten_thousand_rows():
    """Correct on a study-sized table (its speed is measured by the benchmark, not asserted)."""
    df = _table(worlds=3, seeds=3, questions=400, recipes=("own", "large", "mismatch_0.50"))
    assert len(df) >= 10_000
    interval = hierarchical_bootstrap(df, Ratio("wrong"), n_boot=1000)
    assert interval.low < interval.mean < interval.high
