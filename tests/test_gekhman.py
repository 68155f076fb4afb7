"""Gekhman et al.'s design: single-category sets, and the accuracy plane over set shares."""

import numpy as np
import pandas as pd
import pytest
from conftest import N_POOL, NESTED_STUDENT, NESTED_TEACHER

from mismatch.analysis.clustered import build_design, resample
from mismatch.analysis.gekhman import gekhman_fit, set_shares
from mismatch.recipes.kinds import build_recipe, build_seed_sets
from mismatch.recipes.sets import PoolTooSmall

CATEGORIES = pd.DataFrame(
    {
        "question_id": NESTED_STUDENT["question_id"],
        "category": [
            ("HighlyKnown", "MaybeKnown", "WeaklyKnown", "Unknown", "Unknown")[i % 5]
            for i in range(N_POOL)
        ],
    }
)


def _category_set(category: str, size: int, seed: str = "world 1 seed 1") -> pd.DataFrame:
    return build_recipe(
        {"kind": "category", "category": category},
        teacher_pool=NESTED_TEACHER,
        student_pool=NESTED_STUDENT,
        size=size,
        seed=seed,
        student_categories=CATEGORIES,
    )


@pytest.mark.parametrize("category", ["HighlyKnown", "WeaklyKnown", "Unknown"])
def test_a_category_set_holds_only_that_category_with_gold_targets(category):
    recipe = _category_set(category, 20)
    assert len(recipe) == 20 and recipe["question_id"].is_unique
    of = CATEGORIES.set_index("question_id").loc[recipe["question_id"], "category"]
    assert (of == category).all()
    assert not recipe["abstain"].any()
    assert (recipe["target"] == [a[0] for a in recipe["answers"]]).all()
    knows = NESTED_STUDENT.set_index("question_id").loc[recipe["question_id"], "correct"]
    assert (recipe["student_knows"].to_numpy() == knows.to_numpy()).all()


def test_category_sets_are_seeded_samples():
    assert _category_set("Unknown", 20).equals(_category_set("Unknown", 20))
    other = _category_set("Unknown", 20, seed="world 1 seed 2")
    assert set(other["question_id"]) != set(_category_set("Unknown", 20)["question_id"])


def test_a_category_too_small_is_refused_in_one_line():
    with pytest.raises(PoolTooSmall, match="has 24; lower the recipe's size"):
        _category_set("HighlyKnown", 25)


def _recipes_table() -> pd.DataFrame:
    """Three recipes in two worlds with known / unknown / abstention shares that span the
    plane (the composition columns collect_recipes gives)."""
    shapes = {"own": (32, 0, 32), "large": (32, 24, 8), "unknown": (0, 64, 0)}  # kn, unk, idk
    rows = []
    for w in (1, 2):
        for recipe, (kn, unk, idk) in shapes.items():
            answered = kn + unk
            rows.append(
                {
                    "world_seed": w,
                    "student": "small",
                    "recipe": recipe,
                    "ft_seed": 1,
                    "n_examples": kn + unk + idk,
                    "n_answered": answered,
                    "n_abstain": idk,
                    "abstention_share": idk / 64,
                    "mismatch_fraction": unk / answered if answered else None,
                }
            )
    return pd.DataFrame(rows)


def test_set_shares_count_known_and_unknown_answered_targets():
    shares = set_shares(_recipes_table()).set_index(["world_seed", "recipe"])
    assert shares.loc[(1, "own"), ["known_share", "unknown_share"]].tolist() == [0.5, 0.0]
    assert shares.loc[(2, "large"), ["known_share", "unknown_share"]].tolist() == [0.5, 0.375]
    assert shares.loc[(1, "unknown"), ["known_share", "unknown_share"]].tolist() == [0.0, 1.0]


def test_planted_plane_is_recovered_with_gekhman_signs():
    """Test accuracy 0.30 + 0.20 Kn/|D| - 0.10 Unk/|D| in every world: b_kn = +20, b_unk = -10."""
    shares = set_shares(_recipes_table())
    rows = []
    for r in shares.itertuples():
        accuracy = 0.30 + 0.20 * r.known_share - 0.10 * r.unknown_share
        n_correct = round(accuracy * 400)
        for i in range(400):
            rows.append(
                {
                    "world_seed": r.world_seed,
                    "student": "small",
                    "recipe": r.recipe,
                    "ft_seed": 1,
                    "person": f"p{i % 40}",
                    "correct": float(i < n_correct),
                    "n": 1.0,
                }
            )
    draws = resample(build_design(pd.DataFrame(rows), ["correct", "n"]), n_boot=200, seed=2)
    recipes = {name: {"kind": "teacher", "teacher": "self"} for name in ("own", "large", "unknown")}
    points, fit = gekhman_fit(shares, draws, recipes, ["small"])
    assert len(points) == 6
    f = fit.set_index("term")
    assert f.loc["b0", "estimate"] == pytest.approx(30, abs=0.5)
    assert f.loc["b_kn", "estimate"] == pytest.approx(20, abs=0.5)
    assert f.loc["b_unk", "estimate"] == pytest.approx(-10, abs=0.5)
    assert f.loc["b_unk - b_kn", "estimate"] == pytest.approx(-30, abs=0.5)
    assert f.loc["b_kn", "same_sign"] and f.loc["b_unk", "same_sign"]
    assert f.loc["b_unk - b_kn", "same_sign"] and f.loc["b0", "same_sign"] is None
    assert (f["low"] <= f["estimate"]).all() and (f["estimate"] <= f["high"]).all()


def test_no_plane_when_the_shares_are_collinear():
    table = _recipes_table()
    table = table[table["recipe"] != "own"]  # two recipes: a line, not a plane
    shares = set_shares(table)
    rows = [
        {
            "world_seed": w,
            "student": "small",
            "recipe": r,
            "ft_seed": 1,
            "person": "p",
            "correct": 1.0,
            "n": 1.0,
        }
        for w in (1, 2)
        for r in ("large", "unknown")
    ]
    draws = resample(build_design(pd.DataFrame(rows), ["correct", "n"]), n_boot=10)
    recipes = {"large": {"kind": "teacher"}, "unknown": {"kind": "category"}}
    points, fit = gekhman_fit(shares, draws, recipes, ["small"])
    assert len(points) == 4 and fit.empty


def test_category_recipes_draw_a_set_for_every_seed_run():
    sets, stats = build_seed_sets(
        {"kind": "category", "category": "Unknown"},
        world_seed=1,
        ft_seeds=[1, 2],
        teacher_pool=NESTED_TEACHER,
        student_pool=NESTED_STUDENT,
        size=10,
        student_categories=CATEGORIES,
    )
    assert [s["n_abstain"] for s in stats] == [0, 0]
    assert np.array_equal(sorted(sets["ft_seed"].unique()), [1, 2])
