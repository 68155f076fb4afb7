"""The effect against the teacher's knowledge gap: planted lines, and the sample-size inverse."""

import math

import numpy as np
import pandas as pd
import pytest

from mismatch.analysis.clustered import build_design, resample
from mismatch.analysis.gap import PAPER_REGIME, gap_effects, gap_tables, teacher_gaps
from mismatch.analysis.stats import min_detectable_difference, required_sample_size

RECIPES = {
    "own": {"kind": "teacher", "teacher": "self"},
    "mid": {"kind": "teacher", "teacher": "mid"},
    "big": {"kind": "teacher", "teacher": "big"},
    "cell": {"kind": "grid", "teacher": "big"},
    "big_early": {"kind": "teacher", "teacher": "big", "stopping": "early"},
}
ACCURACY = {  # world -> model -> greedy pool accuracy
    1: {"small": 0.20, "mid": 0.30, "big": 0.50},
    2: {"small": 0.30, "mid": 0.50, "big": 0.60},
}


def _knowledge() -> pd.DataFrame:
    rows = [
        {
            "world_seed": w,
            "model": m,
            "split": split,
            "definition": "measured",
            "known_rate": rate,
            "measured_known_rate": rate,
        }
        for w, models in ACCURACY.items()
        for m, rate in models.items()
        for split in ("pool", "test")
    ]
    return pd.DataFrame(rows)


def _answers(slope: float, own_rate: float = 0.1, persons: int = 20, per_person: int = 10):
    """Per-answer wrong indicators with each teacher's wrong rate own_rate + slope * gap in every
    world, the wrong answers spread over persons unevenly (so intervals have width)."""
    rows = []
    for w, models in ACCURACY.items():
        for recipe, teacher in (("own", None), ("mid", "mid"), ("big", "big")):
            gap = 0.0 if teacher is None else models[teacher] - models["small"]
            n_wrong = round((own_rate + slope * gap) * persons * per_person)
            flags = np.zeros(persons * per_person)
            flags[:n_wrong] = 1.0
            for i, wrong in enumerate(flags):
                rows.append(
                    {
                        "world_seed": w,
                        "student": "small",
                        "recipe": recipe,
                        "ft_seed": 1,
                        "person": f"p{i % persons}",
                        "wrong": wrong,
                        "n": 1.0,
                    }
                )
    return pd.DataFrame(rows)


def test_teacher_gaps_take_pool_accuracy_of_teacher_recipes_only():
    gaps = teacher_gaps(_knowledge(), RECIPES, "small")
    assert sorted(gaps["recipe"].unique()) == ["big", "mid"]  # not own, a grid cell, early
    row = gaps[(gaps.world_seed == 2) & (gaps.recipe == "mid")].iloc[0]
    assert row.gap == pytest.approx(0.20)
    assert row.student_accuracy == pytest.approx(0.30)


def test_planted_slope_is_recovered_with_an_interval_around_it():
    draws = resample(build_design(_answers(slope=0.5), ["wrong", "n"]), n_boot=300, seed=1)
    points, fit = gap_effects(teacher_gaps(_knowledge(), RECIPES, "small"), draws, "own")
    assert np.allclose(points["estimate"], 0.5 * points["gap"], atol=0.006)
    f = fit.set_index("quantity")
    slope = f.loc["slope"]
    assert slope["estimate"] == pytest.approx(0.5, abs=0.03)
    assert slope["low"] < 0.5 < slope["high"]
    paper_gap = PAPER_REGIME["teacher_accuracy"] - PAPER_REGIME["student_accuracy"]
    predicted = f.loc["predicted effect at the paper's gap"]
    expected = f.loc["intercept", "estimate"] + slope["estimate"] * paper_gap
    assert predicted["estimate"] == pytest.approx(expected)
    assert predicted["low"] <= predicted["estimate"] <= predicted["high"]


def test_no_line_through_a_single_gap():
    gaps = teacher_gaps(_knowledge(), {"own": RECIPES["own"], "big": RECIPES["big"]}, "small")
    gaps = gaps[gaps.world_seed == 1]
    draws = resample(build_design(_answers(slope=0.5), ["wrong", "n"]), n_boot=20)
    points, fit = gap_effects(gaps, draws, "own")
    assert len(points) == 1 and fit.empty


def test_one_definition_per_line_and_the_prediction_only_on_the_papers_axis():
    """A study that knows by truth fits its primary line on truth gaps (no prediction: the
    paper's gap is one of greedy accuracy) and a sensitivity line on measured gaps."""
    knowledge = _knowledge().assign(definition="truth")
    knowledge["known_rate"] = knowledge["measured_known_rate"] / 2  # truth gaps are half as wide
    draws = resample(build_design(_answers(slope=0.5), ["wrong", "n"]), n_boot=50)
    points, fit = gap_tables(knowledge, RECIPES, ["small"], "own", draws)
    assert set(points["role"]) == {"primary", "sensitivity"}
    primary = fit[fit["role"] == "primary"].set_index("quantity")
    sensitivity = fit[fit["role"] == "sensitivity"].set_index("quantity")
    assert set(primary["definition"]) == {"truth"} and set(sensitivity["definition"]) == {
        "measured"
    }
    assert "predicted effect at the paper's gap" not in primary.index
    assert "predicted effect at the paper's gap" in sensitivity.index
    assert primary.loc["slope", "estimate"] == pytest.approx(
        2 * sensitivity.loc["slope", "estimate"]
    )
    assert sensitivity.loc["correlation", "estimate"] == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize(("delta", "p0"), [(0.05, 0.1), (0.02, 0.3), (0.2, 0.0)])
def test_required_sample_size_inverts_the_minimum_detectable_difference(delta, p0):
    n = required_sample_size(delta, p0)
    assert min_detectable_difference(n, p0) <= delta + 1e-9
    assert min_detectable_difference(n - 1, p0) > delta
    with pytest.raises(ValueError):
        required_sample_size(-delta, p0)
    assert math.isfinite(n)
