"""The grid in counts and the mismatch x abstention interaction
(mismatch/analysis/grid_counts.py)."""

import pandas as pd
import pytest

from mismatch.analysis.clustered import build_design, resample
from mismatch.analysis.grid_counts import grid_counts, grid_interactions
from mismatch.config.sweeps import grid_recipes

GRID = {"mismatch": [0, 1.0], "abstention": ["self", "teacher"], "teacher": "large"}
RECIPES = grid_recipes(GRID)
WRONG = {  # wrong answers out of 10 per person, by cell: mismatch raises it by 2 or by 6
    "grid_m0.00_aself": 1,
    "grid_m1.00_aself": 3,
    "grid_m0.00_ateacher": 2,
    "grid_m1.00_ateacher": 8,
}


def _answers() -> pd.DataFrame:
    rows = []
    for recipe, wrong in WRONG.items():
        for person in range(6):
            for i in range(10):
                rows.append(
                    {
                        "world_seed": 1,
                        "student": "small",
                        "recipe": recipe,
                        "ft_seed": 1,
                        "person": f"p{person}",
                        "wrong": float(i < wrong),
                        "n": 1.0,
                    }
                )
    return pd.DataFrame(rows)


def test_the_interaction_is_the_difference_of_the_two_mismatch_effects():
    draws = resample(build_design(_answers(), ["wrong", "n"]), n_boot=200, seed=1)
    table = grid_interactions(RECIPES, draws, ["small"])
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["abstention_low"], row["abstention_high"], row["mismatch"]) == (
        "self",
        "teacher",
        1.0,
    )
    assert row["effect_at_low"] == pytest.approx(0.2) and row["effect_at_high"] == pytest.approx(
        0.6
    )
    assert row["interaction"] == pytest.approx(0.4)
    # every person has the same rates: resampling persons cannot move it
    assert row["low"] == pytest.approx(0.4) and row["high"] == pytest.approx(0.4)


def test_counts_turn_the_mismatch_fraction_into_examples():
    sets = pd.DataFrame(
        {
            "student": "small",
            "recipe": ["grid_m1.00_aself", "grid_m1.00_aself", "grid_m0.00_ateacher"],
            "n_examples": [64, 64, 64],
            "n_answered": [26, 24, 58],
            "n_abstain": [38, 40, 6],
            "mismatch_fraction": [1.0, 1.0, 0.0],
        }
    )
    counts = grid_counts(RECIPES, sets).set_index("recipe")
    assert counts.loc["grid_m1.00_aself", "n_mismatched"] == 25.0
    assert counts.loc["grid_m1.00_aself", "n_idk"] == 39.0
    assert counts.loc["grid_m0.00_ateacher", "n_known_answered"] == 58.0
    assert grid_counts({"own": {"kind": "teacher"}}, sets).empty


def test_grid_sentences_give_each_levels_doses_and_interaction():
    from mismatch.publishing.prose import grid_sentences

    counts = pd.DataFrame(
        {
            "student": "small",
            "mismatch": [0.0, 1.0, 0.0, 1.0],
            "abstention": [0.90625, 0.90625, 0.96875, 0.96875],
            "n_examples": 64.0,
            "n_mismatched": [0.0, 6.0, 0.0, 2.0],
            "n_idk": [58.0, 58.0, 62.0, 62.0],
            "n_known_answered": [6.0, 0.0, 2.0, 0.0],
        }
    )
    interaction = pd.DataFrame(
        {
            "student": ["small"],
            "mismatch": [1.0],
            "abstention_low": [0.90625],
            "abstention_high": [0.96875],
            "effect_at_low": [0.004],
            "effect_at_high": [0.001],
            "interaction": [-0.003],
            "low": [-0.036],
            "high": [0.029],
        }
    )
    (sentence,) = grid_sentences(counts, interaction)
    assert "6 of 6 answered targets mismatched at abstention 0.906" in sentence
    assert "2 of 2 answered targets mismatched at abstention 0.969" in sentence
    assert "every set 64 examples" in sentence and "+0.4 points at abstention 0.906" in sentence
    assert "interaction -0.3 [-3.6, +2.9] points" in sentence
    assert grid_sentences(counts.iloc[:0], interaction) == []
    assert grid_sentences(None, None) == []
