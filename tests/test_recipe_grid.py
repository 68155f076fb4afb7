"""The mismatch x abstention grid: cell sizes and shares, shared abstentions, the fixed-known
variant, abstentions spread over persons, the teacher's and own shares, clear failures."""

import pandas as pd
import pytest
from conftest import N_POOL
from conftest import NESTED_STUDENT as STUDENT
from conftest import NESTED_TEACHER as TEACHER

from mismatch.analysis.sweep_contrasts import sweep_series
from mismatch.configuration import check_config, expand_sweeps, grid_recipes
from mismatch.errors import InputError
from mismatch.recipes.kinds import build_recipe
from mismatch.recipes.sets import (
    PoolTooSmall,
    base_subset,
    check_sweep_fill,
    pool_frame,
    recipe_stats,
    spread_over_persons,
)

SIZE = 48
PERSONS = pd.Series(
    [f"p{i // 4}" for i in range(N_POOL)], index=STUDENT["question_id"]
)  # 4 questions per person, as in the synthetic world
GRID = {"teacher": "large", "mismatch": [0.0, 0.5, 1.0], "abstention": [0.25, "teacher", "self"]}


def cell(level, abstention, design="replace"):
    return {"kind": "grid", "level": level, "abstention": abstention, "design": design}


def build(spec, seed=3, persons=PERSONS, size=SIZE):
    return build_recipe(
        spec, teacher_pool=TEACHER, student_pool=STUDENT, size=size, seed=seed, persons=persons
    )


def idk(recipe):
    return set(recipe.loc[recipe.abstain, "question_id"])


@pytest.mark.parametrize("level", GRID["mismatch"])
@pytest.mark.parametrize("share", [0.25, 0.5])
def test_replace_cells_hold_size_and_share_and_hit_the_level(level, share):
    recipe = build(cell(level, share))
    stats = recipe_stats(recipe)
    assert stats["n_examples"] == SIZE
    assert stats["n_abstain"] == round(share * SIZE)
    assert stats["n_mismatch"] == round(level * stats["n_answered"])
    assert not recipe.loc[recipe.abstain, "student_knows"].any()
    # mismatched targets are questions only the teacher knows
    mismatched = recipe[~recipe.abstain & ~recipe.student_knows]
    assert mismatched.teacher_knows.all()


def test_cells_of_one_abstention_level_abstain_on_the_same_questions():
    sets = [build(cell(m, 0.25)) for m in GRID["mismatch"]] + [build(cell(0.5, 0.25, "add"))]
    assert all(idk(s) == idk(sets[0]) for s in sets)
    # known answers are nested: each level keeps a prefix of the level-0 set's known answers
    known = [set(s.loc[~s.abstain & s.student_knows, "question_id"]) for s in sets[:3]]
    assert known[2] <= known[1] <= known[0]
    # another seed run redraws them
    assert idk(build(cell(0.0, 0.25), seed=4)) != idk(sets[0])


def test_fixed_known_cells_add_mismatch_to_the_level_0_set():
    origin = build(cell(0.0, 0.25))
    added = build(cell(0.5, 0.25, "add"))
    stats = recipe_stats(added)
    kept = origin[["question_id", "target", "abstain"]]
    assert kept.merge(added, on=["question_id", "target", "abstain"]).shape[0] == len(origin)
    assert stats["n_mismatch"] == recipe_stats(origin)["n_answered"]  # 0.5 / (1 - 0.5) = 1
    assert stats["mismatch_fraction"] == pytest.approx(0.5)
    assert stats["n_examples"] == SIZE + stats["n_mismatch"]
    third = recipe_stats(build(cell(0.25, 0.25, "add")))
    assert third["n_mismatch"] == round(recipe_stats(origin)["n_answered"] / 3)


def test_abstentions_spread_over_persons():
    n_idk = round(0.25 * SIZE)  # 12 abstentions; 18 persons hold unknown questions
    recipe = build(cell(0.0, 0.25))
    persons = PERSONS.loc[sorted(idk(recipe))]
    assert persons.nunique() == n_idk  # one question per person
    plain = build(cell(0.0, 0.25), persons=None)
    assert len(idk(plain)) == n_idk


def test_spread_order_cycles_through_persons():
    ids = [f"q{i}" for i in range(9)]
    persons = {q: f"p{i % 3}" for i, q in enumerate(ids)}
    order = spread_over_persons(ids, persons, 1, "idk")
    assert sorted(order) == sorted(ids)
    for start in (0, 3, 6):
        assert len({persons[q] for q in order[start : start + 3]}) == 3
    assert spread_over_persons(ids, None, 1, "idk") != spread_over_persons(ids, None, 2, "idk")


@pytest.mark.parametrize("model, knows", [("teacher", TEACHER), ("self", STUDENT)])
def test_teacher_and_self_shares_match_that_models_recipe(model, knows):
    seed = 5
    subset = base_subset(pool_frame(STUDENT), SIZE, seed, "t")
    expected = int((~knows.set_index("question_id").loc[subset, "correct"]).sum())
    for level in GRID["mismatch"]:
        assert recipe_stats(build(cell(level, model), seed=seed))["n_abstain"] == expected
    # the teacher / own recipe of the same seed run abstains as often
    recipe = build_recipe(
        {"kind": "teacher"}, teacher_pool=knows, student_pool=STUDENT, size=SIZE, seed=seed
    )
    assert recipe.abstain.sum() == expected


def test_pool_too_small_names_the_cell_and_what_is_short():
    with pytest.raises(PoolTooSmall, match=r"mismatch 1.00, abstention 0.1, .*teacher-only"):
        build(cell(1.0, 0.1), size=100)
    message = r"sweeps.grid \(world 1\): the pool cannot fill 2 of 3 cells: grid_m0.00_a0.10: "
    with pytest.raises(InputError, match=message + ".*42 known answers short.*grid_m1.00_a0.10"):
        check_sweep_fill(
            {"grid": {**GRID, "abstention": [0.1]}},
            pools={"small": STUDENT, "large": TEACHER},
            student="small",
            size=100,
            seed=1,
            persons=PERSONS,
            where=" (world 1)",
        )


def test_sweep_check_covers_every_cell():
    checked = check_sweep_fill(
        {"grid": {**GRID, "fixed_known": [0.5]}},
        pools={"small": STUDENT, "large": TEACHER},
        student="small",
        size=SIZE,
        seed=1,
        persons=PERSONS,
    )
    assert len(checked["grid"]) == 3 * 3 + 3


def test_grid_expands_to_named_cells_and_series():
    config = {"recipes": {"own": {"kind": "teacher", "teacher": "self"}}, "sweeps": {}}
    config["sweeps"]["grid"] = {**GRID, "fixed_known": [0.5]}
    expand_sweeps(config)
    names = set(config["recipes"]) - {"own"}
    assert names == set(grid_recipes(config["sweeps"]["grid"]))
    assert {"grid_m0.50_a0.25", "grid_m1.00_ateacher", "grid_m0.50_aself_added"} <= names
    series = {s.name: s for s in sweep_series(config["recipes"])}
    replace = series["grid: mismatch, abstention teacher"]
    assert replace.recipes == ("grid_m0.00_ateacher", "grid_m0.50_ateacher", "grid_m1.00_ateacher")
    added = series["grid: mismatch added, abstention 0.25"]
    assert added.recipes == ("grid_m0.00_a0.25", "grid_m0.50_a0.25_added")
    across = series["grid: abstention, mismatch 0.00"]
    assert across.recipes == ("grid_m0.00_a0.25", "grid_m0.00_ateacher", "grid_m0.00_aself")
    assert across.factor == "abstention" and across.level_names[1] == "teacher"
    assert len(series) == 3 + 3 + 1


def test_grid_without_mismatch_0_is_refused():
    from mismatch.configuration import layered_config, validated

    config = validated(layered_config(["config.yaml"]))
    config["sweeps"]["grid"]["mismatch"] = [0.5, 1.0]
    with pytest.raises(InputError, match=r"sweeps.grid.mismatch: must include 0"):
        check_config(config)
