"""Recipe construction on hand-made answer tables."""

import pandas as pd
import pytest

from mismatch.errors import InputError
from mismatch.recipe_kinds import build_recipe
from mismatch.recipes import (
    RECIPE_COLUMNS,
    apply_knowledge_rule,
    gold_recipe,
    question_ids_digest,
    recipe_stats,
    teacher_recipe,
)


def answer_table(correct: dict[str, bool]) -> pd.DataFrame:
    ids = list(correct)
    return pd.DataFrame(
        {
            "question_id": ids,
            "question": [f"question {i}?" for i in ids],
            "answers": [[f"gold {i}", f"alias {i}"] for i in ids],
            "prediction": ["x"] * len(ids),
            "answer": ["x"] * len(ids),
            "correct": [correct[i] for i in ids],
        }
    )


# The student knows q1 and q3; the teacher knows q1, q2 and q4 (q2 and q4 are mismatches).
STUDENT = answer_table({"q3": True, "q1": True, "q2": False, "q4": False, "q5": False})
TEACHER = answer_table({"q1": True, "q2": True, "q3": False, "q4": True, "q5": False}).iloc[::-1]


def test_teacher_recipe_targets_and_flags():
    recipe = teacher_recipe(TEACHER, STUDENT)
    assert tuple(recipe.columns) == RECIPE_COLUMNS
    assert list(recipe["question_id"]) == ["q1", "q2", "q3", "q4", "q5"]
    assert list(recipe["target"]) == ["gold q1", "gold q2", None, "gold q4", None]
    assert list(recipe["abstain"]) == [False, False, True, False, True]
    assert list(recipe["teacher_correct"]) == [True, True, False, True, False]
    assert list(recipe["student_knows"]) == [True, False, True, False, False]
    assert recipe.loc[0, "answers"] == ["gold q1", "alias q1"]


def test_teacher_recipe_can_teach_the_teachers_own_words():
    """target answer: the teacher's extracted answer where it was graded correct (the paper's
    data), e.g. an alias rather than the gold canonical answer; abstention elsewhere."""
    teacher = TEACHER.assign(answer=[f" alias {q} " for q in TEACHER["question_id"]])
    recipe = teacher_recipe(teacher, STUDENT, target="answer")
    assert list(recipe["target"]) == ["alias q1", "alias q2", None, "alias q4", None]
    assert recipe["abstain"].tolist() == teacher_recipe(TEACHER, STUDENT)["abstain"].tolist()
    spec = {"kind": "teacher", "target": "answer"}
    built = build_recipe(spec, teacher_pool=teacher, student_pool=STUDENT)
    assert built["target"].tolist() == recipe["target"].tolist()
    with pytest.raises(InputError, match="empty answer graded correct for q4"):
        teacher_recipe(teacher.assign(answer=["", "", "", "x", "y"]), STUDENT, target="answer")
    with pytest.raises(InputError, match="unknown target 'words'"):
        teacher_recipe(teacher, STUDENT, target="words")


def test_teachers_own_words_only_in_teacher_recipes_and_graded():
    from mismatch.configuration import (
        check_config,
        layered_config,
        recipe_knowledge_rule,
        validated,
    )

    config = validated(layered_config(["config.yaml"]))
    config["recipes"]["words"] = {"kind": "teacher", "teacher": "large", "target": "answer"}
    check_config(config)
    assert recipe_knowledge_rule(config, "words") == "answer"  # not truth: what was graded
    assert recipe_knowledge_rule(config, "large") == "truth"
    config["recipes"]["bad"] = {"kind": "gold", "target": "answer"}
    with pytest.raises(InputError, match="recipes.bad.target: only teacher recipes"):
        check_config(config)


def test_own_recipe_has_no_mismatch_and_same_size_as_teacher():
    own = teacher_recipe(STUDENT, STUDENT)
    teacher = teacher_recipe(TEACHER, STUDENT)
    assert list(own["target"]) == ["gold q1", None, "gold q3", None, None]
    assert recipe_stats(own)["mismatch_fraction"] == 0.0
    assert len(own) == len(teacher) == len(STUDENT)
    assert list(own["question_id"]) == list(teacher["question_id"])


def test_recipe_stats_arithmetic():
    stats = recipe_stats(teacher_recipe(TEACHER, STUDENT))
    assert stats["n_examples"] == 5
    assert stats["n_answered"] == 3
    assert stats["n_abstain"] == 2
    assert stats["n_mismatch"] == 2
    assert stats["abstention_share"] == pytest.approx(2 / 5)
    assert stats["mismatch_fraction"] == pytest.approx(2 / 3)
    assert stats["question_ids_sha256"] == question_ids_digest(["q5", "q4", "q3", "q2", "q1"])


def test_gold_recipe_answers_everything():
    recipe = gold_recipe(STUDENT)
    assert list(recipe["target"]) == ["gold q1", "gold q2", "gold q3", "gold q4", "gold q5"]
    stats = recipe_stats(recipe)
    assert stats["n_abstain"] == 0
    assert stats["mismatch_fraction"] == pytest.approx(3 / 5)


def test_all_abstain_has_undefined_mismatch():
    nobody = answer_table({"q1": False, "q2": False})
    stats = recipe_stats(teacher_recipe(nobody, nobody))
    assert stats["abstention_share"] == 1.0
    assert stats["mismatch_fraction"] is None


def test_different_question_ids_raise_naming_the_input():
    teacher = TEACHER[TEACHER["question_id"] != "q5"]
    with pytest.raises(InputError, match="answers/teacher/pool.parquet.*1 differ.*q5"):
        teacher_recipe(teacher, STUDENT, teacher_name="answers/teacher/pool.parquet")


def test_duplicate_ids_raise():
    doubled = pd.concat([STUDENT, STUDENT.iloc[:1]])
    with pytest.raises(InputError, match="student_pool: duplicate"):
        teacher_recipe(TEACHER, doubled)


def test_knowledge_rule_answer_is_the_graded_answer_unchanged():
    assert apply_knowledge_rule(TEACHER, "answer") is TEACHER


def test_knowledge_rule_contains_counts_a_verbose_right_answer():
    verbose = TEACHER.copy()
    # TEACHER's rows are q5, q4, q3, q2, q1
    verbose["answer"] = ["It was gold q5 indeed", "gold q4", "x", "alias q2!", "gold q10"]
    verbose["correct"] = [False, True, False, True, False]  # as exact grading said
    known = apply_knowledge_rule(verbose, "contains")
    assert dict(zip(known.question_id, known.correct, strict=True)) == {
        "q5": True, "q4": True, "q3": False, "q2": True, "q1": False
    }  # fmt: skip
    recipe = build_recipe(
        {"kind": "teacher", "teacher": "t"}, teacher_pool=known, student_pool=STUDENT
    )
    targets = dict(zip(recipe.question_id, recipe.target, strict=True))
    assert targets["q5"] == "gold q5" and targets["q1"] is None  # gold target, not the verbose text
    assert verbose.correct.tolist() == [False, True, False, True, False]  # input untouched


def test_knowledge_rule_slick_uses_greedy_p_correct():
    categories = pd.DataFrame(
        {
            "question_id": ["q1", "q2", "q3", "q4", "q5"],
            "p_correct_greedy": [1.0, 0.1, 0.0, 0.0, 0.5],
            "p_correct_sampled": [1.0, 0.0, 0.5, 0.0, 0.0],
            "category": ["HighlyKnown", "MaybeKnown", "WeaklyKnown", "Unknown", "MaybeKnown"],
        }
    )
    known = apply_knowledge_rule(TEACHER, "slick", categories)
    assert dict(zip(known.question_id, known.correct, strict=True)) == {
        "q1": True, "q2": True, "q3": False, "q4": False, "q5": True
    }  # fmt: skip
    with pytest.raises(InputError, match="needs the model's pool categories"):
        apply_knowledge_rule(TEACHER, "slick")
    with pytest.raises(InputError, match="no SliCK category for 1"):
        apply_knowledge_rule(TEACHER, "slick", categories.iloc[1:])
    with pytest.raises(InputError, match="unknown knowledge_rule"):
        apply_knowledge_rule(TEACHER, "greedy")


def test_knowledge_rule_truth_uses_what_the_model_was_given():
    """Under knowledge.basis truth a lucky guess is not knowledge and a miss on a known fact is
    not ignorance: the truth table decides, whatever the model answered."""
    truth = pd.DataFrame(
        {"question_id": ["q1", "q2", "q3", "q4", "q5"], "truly_known": [1, 0, 1, 1, 0]}
    )
    known = apply_knowledge_rule(TEACHER, "truth", truth=truth)
    assert dict(zip(known.question_id, known.correct, strict=True)) == {
        "q1": True, "q2": False, "q3": True, "q4": True, "q5": False
    }  # fmt: skip
    recipe = build_recipe(
        {"kind": "teacher", "teacher": "t"}, teacher_pool=known, student_pool=STUDENT
    )
    assert dict(zip(recipe.question_id, recipe.abstain, strict=True))["q2"]  # a guess, not taught
    with pytest.raises(InputError, match="needs the model's truth table"):
        apply_knowledge_rule(TEACHER, "truth")
    with pytest.raises(InputError, match="no ground truth for 1"):
        apply_knowledge_rule(TEACHER, "truth", truth=truth.iloc[1:])
