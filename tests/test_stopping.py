"""Training length: early-stopped recipes pair with converged twins and own-data controls."""

import pandas as pd
import pytest

from mismatch.analysis.clustered import build_design, resample
from mismatch.analysis.stopping import kept_steps, stopping_pairs, training_length
from mismatch.analysis.tables import contrasts_of

RECIPES = {
    "own": {"kind": "teacher", "teacher": "self"},
    "large": {"kind": "teacher", "teacher": "large"},
    "own_early": {"kind": "teacher", "teacher": "self", "stopping": "early"},
    "large_early": {"kind": "teacher", "teacher": "large", "stopping": "early"},
    "gold_early": {"kind": "gold", "stopping": "early"},  # no converged twin
}
WRONG = {"own": 0.10, "large": 0.50, "own_early": 0.10, "large_early": 0.30, "gold_early": 0.2}


def test_early_recipes_are_contrasted_with_the_early_own_recipe():
    pairs = {(c.treatment, c.control) for c in contrasts_of(RECIPES, ["small"], "large")}
    assert ("large", "own") in pairs and ("large_early", "own_early") in pairs
    assert ("own_early", "own") in pairs  # early stopping's own effect on the own recipe
    assert ("gold_early", "own_early") in pairs


def test_without_an_early_own_recipe_the_converged_one_is_the_control():
    recipes = {k: v for k, v in RECIPES.items() if k != "own_early"}
    pairs = {(c.treatment, c.control) for c in contrasts_of(recipes, ["small"], "large")}
    assert ("large_early", "own") in pairs


def test_stopping_pairs_match_specs_but_for_stopping():
    assert stopping_pairs(RECIPES) == [("own", "own_early"), ("large", "large_early")]


def _draws():
    rows = [
        {
            "world_seed": 1,
            "student": "small",
            "recipe": recipe,
            "ft_seed": 1,
            "person": f"p{i // 10}",
            "wrong": float(i < rate * 200),
            "n": 1.0,
        }
        for recipe, rate in WRONG.items()
        for i in range(200)
    ]
    return resample(build_design(pd.DataFrame(rows), ["wrong", "n"]), n_boot=200, seed=4)


def test_training_length_reports_both_effects_and_their_change():
    contrasts = pd.DataFrame(
        [
            {
                "student": "small",
                "treatment": t,
                "control": c,
                "estimate": e,
                "low": e - 0.05,
                "high": e + 0.05,
            }
            for t, c, e in (
                ("large", "own", 0.4),
                ("large_early", "own_early", 0.2),
                ("own_early", "own", 0.0),
            )
        ]
    )
    losses = pd.DataFrame(
        {
            "student": "small",
            "recipe": "large_early",
            "world_seed": 1,
            "ft_seed": 1,
            "step": [1, 2, 3, 4],
            "loss": [1.0, 0.5, 0.2, 0.1],
            "dev_accuracy": [None, 0.4, None, 0.3],
        }
    )
    table = training_length(contrasts, _draws(), RECIPES, losses)
    row = table.set_index("early").loc["large_early"]
    assert row["converged_estimate"] == 0.4 and row["early_estimate"] == 0.2
    assert row["change_estimate"] == pytest.approx(0.2 - 0.4)
    assert row["change_low"] < -0.21 and -0.19 < row["change_high"]
    assert row["kept_step_mean"] == 2 and row["last_step"] == 4
    assert kept_steps(losses.drop(columns="dev_accuracy")).empty
