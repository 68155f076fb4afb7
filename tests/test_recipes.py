"""Recipe construction on hand-made answer tables."""

import pandas as pd
import pytest

from mismatch.errors import InputError
from mismatch.recipes.kinds import build_recipe
from mismatch.recipes.sets import (
    RECIPE_COLUMNS,
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
            "knows": [correct[i] for i in ids],  # knowing = the graded answer (measured)
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
    assert list(recipe["teacher_knows"]) == [True, True, False, True, False]
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
    with pytest.raises(InputError, match="empty answer where the teacher knows q4"):
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
    assert recipe_knowledge_rule(config, "words") == "measured"  # not truth: what was graded
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
