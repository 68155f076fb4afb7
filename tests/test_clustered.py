import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from mismatch.analysis.clustered import (
    build_design,
    effective_mdd,
    holm,
    icc,
    min_difference_variance,
    percentile_interval,
    person_rates,
    random_effects,
    ratio,
    resample,
    sign_flip_test,
)
from mismatch.analysis.simulation import SimulationSettings, coverage


def _answers():
    """Two worlds, two recipes, 2 seeds, 3 persons with 2 questions each."""
    rows = []
    for w in (1, 2):
        for recipe, wrong_persons in (("own", {0}), ("large", {0, 1, 2})):
            for seed in (1, 2):
                for person in range(3):
                    for q in range(2):
                        wrong = float(person in wrong_persons and (q == 0 or recipe == "large"))
                        rows.append(
                            dict(
                                world_seed=w,
                                student="s",
                                recipe=recipe,
                                ft_seed=seed,
                                person=f"p{person}",
                                wrong=wrong,
                                n=1.0,
                            )
                        )
    return pd.DataFrame(rows)


def test_design_sums_per_run_and_person():
    design = build_design(_answers(), ["wrong", "n"])
    assert design.worlds == [1, 2]
    cell = design.cells[(1, ("s", "own"))]
    assert cell.shape == (2, 3, 2)
    assert cell[:, :, 0].tolist() == [[1, 0, 0], [1, 0, 0]]
    assert (cell[:, :, 1] == 2).all()


def test_resample_row_zero_is_the_data_and_persons_are_shared():
    design = build_design(_answers(), ["wrong", "n"])
    draws = resample(design, n_boot=200, seed=3)
    rate = ratio("wrong")
    own, large = rate(draws.sums(("s", "own"))), rate(draws.sums(("s", "large")))
    assert own[0] == pytest.approx(1 / 6) and large[0] == pytest.approx(1.0)
    # large is wrong everywhere, so it is 1 in every replicate; own varies with the persons drawn
    assert np.allclose(large, 1.0) and own[1:].std() > 0
    # persons draw n - 1 = 2 of 3 per world, seeds 1 of 2
    assert (draws.person_weights[1][1:].sum(axis=1) == 2).all()
    assert (draws.run_weights[(1, ("s", "own"))][1:].sum(axis=1) == 1).all()


def test_person_rates_average_over_runs():
    design = build_design(_answers(), ["wrong", "n"])
    rates = person_rates(design, ("s", "own"), "wrong")
    assert rates.loc[(1, "p0")] == 0.5 and rates.loc[(2, "p1")] == 0.0


def test_percentile_interval_skips_nan_and_brackets():
    values = np.r_[0.5, np.linspace(0, 1, 1001), np.nan]
    est = percentile_interval(values)
    assert est.estimate == 0.5
    assert est.low == pytest.approx(0.025) and est.high == pytest.approx(0.975)


def test_sign_flip_exact_and_monte_carlo():
    exact = sign_flip_test(np.ones(5))
    assert exact.p_value == pytest.approx(2 / 32)  # only all-plus and all-minus reach |mean| = 1
    assert exact.n_flips == 32 and exact.persons_higher == 5
    balanced = sign_flip_test(np.r_[np.ones(20), -np.ones(20)], n_flips=2000)
    assert balanced.p_value == 1.0
    strong = sign_flip_test(np.ones(40), n_flips=999)
    assert strong.p_value == pytest.approx(1 / 1000)


def test_holm_step_down():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    adjusted = holm([0.2, math.nan])
    assert adjusted[0] == 0.2 and math.isnan(adjusted[1])


def test_random_effects_hartung_knapp_by_hand():
    y, v = np.array([0.2, 0.4, 0.3]), np.array([0.01, 0.02, 0.015])
    w = 1 / v
    fixed = (w * y).sum() / w.sum()
    q = (w * (y - fixed) ** 2).sum()
    tau2 = max(0, (q - 2) / (w.sum() - (w**2).sum() / w.sum()))
    ws = 1 / (v + tau2)
    mu = (ws * y).sum() / ws.sum()
    se = math.sqrt(max(1, (ws * (y - mu) ** 2).sum() / 2) / ws.sum())
    result = random_effects(y, v)
    assert result.estimate == pytest.approx(mu) and result.k == 3
    assert result.high - result.estimate == pytest.approx(sps.t.ppf(0.975, 2) * se)
    assert math.isnan(random_effects([0.1], [0.01]).low)


def test_icc_extremes():
    assert icc(np.array([4, 0, 4, 0]), np.full(4, 4)) == pytest.approx(1.0)
    assert icc(np.array([2, 2, 2, 2]), np.full(4, 4)) < 0


def test_effective_mdd_uses_design_effect():
    power = effective_mdd(240, 60, 0.83, 0.014)
    assert power.design_effect == pytest.approx(1 + 3 * 0.83)
    assert power.n_effective == pytest.approx(240 / power.design_effect)
    assert power.mdd > 2 * power.mdd_naive
    assert effective_mdd(240, 240, 0.5, 0.014).mdd == pytest.approx(power.mdd_naive)


@pytest.mark.slow  # 1,000 simulated data sets: seconds to a minute
def test_simulated_coverage_of_the_person_level_interval():
    """The default design (70 persons crossed with 3 seeds, 1% vs 60% wrong, ICC as measured)
    over 1,000 simulated data sets: the person-level 95% interval covers the truth 93-97.5% of
    the time; the question-level bootstrap on the same data does not."""
    result = coverage(SimulationSettings(), n_datasets=1000, n_boot=400)
    assert 0.93 <= result.person_coverage <= 0.975, result
    assert 0.85 <= result.person_width_ratio <= 1.2, result
    assert result.question_coverage < 0.85, result


def test_a_world_with_zero_variance_cannot_take_all_the_weight():
    """The published flaw: worlds with differences 0 (zero bootstrap variance) and others
    spread around it; floored at the binomial minimum, the pooled interval keeps a width its
    worlds allow and is not the zero-variance world's value alone."""
    estimates = [0.0, 0.02, -0.015, 0.01]
    variances = [0.0, 0.0004, 0.0003, 0.0005]
    floors = [min_difference_variance(30)] * 4
    naive = random_effects(estimates, variances)
    fixed = random_effects(estimates, variances, min_variances=floors)
    assert naive.high - naive.low < 1e-4  # the old collapse: [-0.0, +0.0]
    assert fixed.high - fixed.low > 0.01 and fixed.low < 0 < fixed.high
    assert fixed.estimate != 0.0


def test_every_world_with_zero_variance_still_gets_an_interval():
    floors = [min_difference_variance(30)] * 3
    result = random_effects([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], min_variances=floors)
    assert result.estimate == 0.0 and result.low < 0 < result.high
    half_event = 0.5 / 31
    assert min_difference_variance(30) == pytest.approx(2 * half_event * (1 - half_event) / 31)


def test_a_single_world_has_its_estimate_and_no_pooled_interval():
    result = random_effects([0.3], [0.0], min_variances=[min_difference_variance(30)])
    assert result.estimate == 0.3 and result.k == 1
    assert math.isnan(result.low) and math.isnan(result.high) and math.isnan(result.p_value)
