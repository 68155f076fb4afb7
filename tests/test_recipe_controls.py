"""Recipes that separate mismatch from abstention: equal sizes, intended shares, clear failures."""

import pandas as pd
import pytest
from conftest import N_POOL, NESTED_STUDENT, NESTED_TEACHER

from mismatch.errors import InputError
from mismatch.recipes.kinds import build_recipe, build_seed_sets
from mismatch.recipes.sets import PoolTooSmall, recipe_stats, seed_set

# nested knowledge as in the synthetic world: student knows 40%, teacher 85% (a superset)
STUDENT, TEACHER = NESTED_STUDENT, NESTED_TEACHER
SIZE = 48
MISMATCH_LEVELS = [0.0, 0.25, 0.5, 0.75, 1.0]
ABSTENTION_LEVELS = [0.25, 0.5, 0.75]


def build(spec, size=SIZE, seed=3):
    return build_recipe(spec, teacher_pool=TEACHER, student_pool=STUDENT, size=size, seed=seed)


@pytest.mark.parametrize("level", MISMATCH_LEVELS)
def test_mismatch_sweep_hits_its_level_at_fixed_abstention(level):
    spec = {
        "kind": "mismatch",
        "teacher": "large",
        "level": level,
        "abstention_share": 0.25,
        "levels": MISMATCH_LEVELS,
    }
    stats = recipe_stats(build(spec))
    assert stats["n_examples"] == SIZE
    assert stats["n_abstain"] == round(0.25 * SIZE)
    assert abs(stats["n_mismatch"] - level * stats["n_answered"]) <= 1


def test_mismatch_sweep_abstains_on_the_same_questions_at_every_level():
    idk = []
    for level in MISMATCH_LEVELS:
        recipe = build({"kind": "mismatch", "level": level, "abstention_share": 0.25})
        idk.append(set(recipe.loc[recipe.abstain, "question_id"]))
        assert not recipe.loc[recipe.abstain, "student_knows"].any()
    assert all(s == idk[0] for s in idk)


@pytest.mark.parametrize("level", ABSTENTION_LEVELS)
def test_abstention_sweep_has_zero_mismatch(level):
    stats = recipe_stats(build({"kind": "abstention", "level": level}))
    assert stats["n_examples"] == SIZE
    assert abs(stats["abstention_share"] - level) <= 1 / SIZE
    assert stats["mismatch_fraction"] == 0.0


def test_random_idk_moves_the_teachers_abstentions_to_random_questions():
    teacher = build({"kind": "teacher"})
    random_idk = build({"kind": "random_idk"})
    assert len(random_idk) == len(teacher) == SIZE
    assert random_idk.abstain.sum() == teacher.abstain.sum()
    assert set(random_idk.question_id) == set(teacher.question_id)
    assert set(random_idk.loc[random_idk.abstain, "question_id"]) != set(
        teacher.loc[teacher.abstain, "question_id"]
    )


def test_filter_unknown_drops_abstentions_and_tops_up():
    recipe = build({"kind": "filter_unknown"})
    assert len(recipe) == SIZE and not recipe.abstain.any() and recipe.teacher_knows.all()


def test_teacher_and_gold_recipes_share_one_subset_of_the_pool():
    own = build_recipe(
        {"kind": "teacher"}, teacher_pool=STUDENT, student_pool=STUDENT, size=SIZE, seed=3
    )
    large, gold = build({"kind": "teacher"}), build({"kind": "gold"})
    assert set(own.question_id) == set(large.question_id) == set(gold.question_id)
    assert len(build({"kind": "teacher"}, size=None)) == N_POOL


def test_pool_too_small_names_the_recipe_and_every_level():
    spec = {"kind": "mismatch", "level": 0.0, "abstention_share": 0.0, "levels": [0.0, 1.0]}
    with pytest.raises(PoolTooSmall) as err:
        build_recipe(
            spec,
            teacher_pool=TEACHER,
            student_pool=STUDENT,
            size=60,
            seed=1,
            name="recipes.mismatch_0.00",
        )
    message = str(err.value)
    assert message.startswith("recipes.mismatch_0.00:")
    assert "level 0.00: 48/60" in message and "level 1.00:" in message and "\n" not in message
    with pytest.raises(PoolTooSmall, match="only 120 questions"):
        build({"kind": "teacher"}, size=500)


def test_mismatch_sweep_abstentions_are_drawn_from_every_unknown_question():
    """Not first from the questions neither model knows: the abstained set is a random draw
    from all questions the student does not know, so it includes ones the teacher knows."""
    teacher_knows = TEACHER.set_index("question_id")["correct"]
    recipe = build({"kind": "mismatch", "level": 0.0, "abstention_share": 0.25})
    abstained = recipe.loc[recipe.abstain, "question_id"]
    assert teacher_knows.loc[abstained].any() and not teacher_knows.loc[abstained].all()


def test_each_seed_run_draws_its_own_sets_shared_by_its_recipes():
    own, large = {"kind": "teacher", "teacher": "self"}, {"kind": "teacher", "teacher": "large"}
    sets = {}
    for name, spec in (("own", own), ("large", large)):
        table, stats = build_seed_sets(
            spec,
            world_seed=1,
            ft_seeds=[1, 2],
            teacher_pool=STUDENT if name == "own" else TEACHER,
            student_pool=STUDENT,
            size=SIZE,
        )
        assert [s["ft_seed"] for s in stats] == [1, 2]
        assert all(s["n_examples"] == SIZE for s in stats)
        sets[name] = {seed: seed_set(table, seed) for seed in (1, 2)}
    ids = {n: {s: set(t["question_id"]) for s, t in by.items()} for n, by in sets.items()}
    assert ids["own"][1] == ids["large"][1] and ids["own"][2] == ids["large"][2]  # paired
    assert ids["own"][1] != ids["own"][2]  # each seed run its own subset
    assert "ft_seed" not in sets["own"][1].columns
    again, _ = build_seed_sets(
        own, world_seed=1, ft_seeds=[2], teacher_pool=STUDENT, student_pool=STUDENT, size=SIZE
    )
    pd.testing.assert_frame_equal(seed_set(again, 2), sets["own"][2])


def test_seed_set_names_a_missing_seed():
    table, _ = build_seed_sets(
        {"kind": "gold"}, world_seed=1, ft_seeds=[1], teacher_pool=STUDENT, student_pool=STUDENT
    )
    with pytest.raises(InputError, match="sets.parquet.*no fine-tuning set for seed 3"):
        seed_set(table, 3, "sets.parquet")
