"""The knows tables: one definition of knowing per table, decided from a model's answers."""

import pandas as pd
import pytest

from mismatch.configuration import check_config, knowledge_definitions, layered_config, validated
from mismatch.errors import InputError
from mismatch.knowing.knows import (
    DEFINITIONS,
    KNOWS_COLUMNS,
    definition_of,
    knows_column,
    knows_table,
    with_knows,
)
from mismatch.recipes.kinds import build_recipe
from tests.test_recipes import STUDENT, TEACHER

# TEACHER's rows are q5, q4, q3, q2, q1; it answered q1, q2 and q4 correctly.


def test_measured_is_the_graded_answer_and_leaves_correct_alone():
    answers = TEACHER.drop(columns="knows")
    table = knows_table(answers, "measured")
    assert tuple(table.columns) == KNOWS_COLUMNS
    assert dict(zip(table.question_id, table.knows, strict=True)) == {
        "q5": False, "q4": True, "q3": False, "q2": True, "q1": True
    }  # fmt: skip
    assert definition_of(table) == "measured"
    joined = with_knows(answers, table)
    assert joined["correct"].tolist() == answers["correct"].tolist()  # graded stays graded
    assert joined["knows"].tolist() == answers["correct"].tolist()


def test_contains_counts_a_verbose_right_answer():
    verbose = TEACHER.drop(columns="knows")
    verbose["answer"] = ["It was gold q5 indeed", "gold q4", "x", "alias q2!", "gold q10"]
    verbose["correct"] = [False, True, False, True, False]  # as exact grading said
    table = knows_table(verbose, "contains")
    assert dict(zip(table.question_id, table.knows, strict=True)) == {
        "q5": True, "q4": True, "q3": False, "q2": True, "q1": False
    }  # fmt: skip
    recipe = build_recipe(
        {"kind": "teacher", "teacher": "t"},
        teacher_pool=with_knows(verbose, table),
        student_pool=STUDENT,
    )
    targets = dict(zip(recipe.question_id, recipe.target, strict=True))
    assert targets["q5"] == "gold q5" and targets["q1"] is None  # gold target, not the verbose text
    assert verbose.correct.tolist() == [False, True, False, True, False]  # input untouched


def test_slick_uses_greedy_p_correct():
    categories = pd.DataFrame(
        {
            "question_id": ["q1", "q2", "q3", "q4", "q5"],
            "p_correct_greedy": [1.0, 0.1, 0.0, 0.0, 0.5],
            "category": ["HighlyKnown", "MaybeKnown", "WeaklyKnown", "Unknown", "MaybeKnown"],
        }
    )
    table = knows_table(TEACHER, "slick", categories=categories)
    assert dict(zip(table.question_id, table.knows, strict=True)) == {
        "q1": True, "q2": True, "q3": False, "q4": False, "q5": True
    }  # fmt: skip
    with pytest.raises(InputError, match="needs the model's SliCK categories"):
        knows_table(TEACHER, "slick")
    with pytest.raises(InputError, match="no SliCK category for 1"):
        knows_table(TEACHER, "slick", categories=categories.iloc[1:])
    with pytest.raises(InputError, match="unknown definition of knowing 'greedy'"):
        knows_table(TEACHER, "greedy")


def test_truth_uses_what_the_model_was_given():
    """A lucky guess is not knowledge and a miss on a known fact is not ignorance: the truth
    table decides, whatever the model answered; its recipe does not teach the guess."""
    truth = pd.DataFrame(
        {"question_id": ["q1", "q2", "q3", "q4", "q5"], "truly_known": [1, 0, 1, 1, 0]}
    )
    table = knows_table(TEACHER, "truth", truth=truth)
    assert dict(zip(table.question_id, table.knows, strict=True)) == {
        "q1": True, "q2": False, "q3": True, "q4": True, "q5": False
    }  # fmt: skip
    recipe = build_recipe(
        {"kind": "teacher", "teacher": "t"},
        teacher_pool=with_knows(TEACHER.drop(columns="knows"), table),
        student_pool=STUDENT,
    )
    assert dict(zip(recipe.question_id, recipe.abstain, strict=True))["q2"]  # a guess, not taught
    with pytest.raises(InputError, match="needs the model's ground-truth table"):
        knows_table(TEACHER, "truth")
    with pytest.raises(InputError, match="no ground truth for 1"):
        knows_table(TEACHER, "truth", truth=truth.iloc[1:])


def test_with_knows_names_a_missing_question_and_a_mixed_table():
    table = knows_table(TEACHER, "measured")
    with pytest.raises(InputError, match="teacher knows: no knows entry for 1 question"):
        with_knows(TEACHER, table.iloc[1:], "teacher knows")
    mixed = pd.concat([table.iloc[:2], table.iloc[2:].assign(definition="truth")])
    with pytest.raises(InputError, match="expected one definition of knowing"):
        definition_of(mixed)


def test_recipes_read_knows_not_correct():
    """A teacher whose graded answers say one thing and whose knows table another is taught by
    its knows table: recipes never read ``correct``."""
    flipped = TEACHER.assign(knows=~TEACHER["correct"])
    recipe = build_recipe(
        {"kind": "teacher", "teacher": "t"}, teacher_pool=flipped, student_pool=STUDENT
    )
    taught = dict(zip(recipe.question_id, ~recipe.abstain, strict=True))
    assert taught == {"q1": False, "q2": False, "q3": True, "q4": False, "q5": True}
    with pytest.raises(InputError, match="not an answer table with knows"):
        build_recipe(
            {"kind": "teacher", "teacher": "t"},
            teacher_pool=TEACHER.drop(columns="knows"),
            student_pool=STUDENT,
        )


def test_gathered_answers_name_their_knows_column():
    with pytest.raises(InputError, match=r"^gathered answers: no knows column; regather them"):
        knows_column(TEACHER.drop(columns="knows"))
    knows, definition = knows_column(TEACHER.assign(definition="truth"))
    assert definition == "truth" and knows.tolist() == TEACHER["knows"].tolist()


def test_the_study_names_every_definition_it_reads():
    config = validated(layered_config(["config.yaml"]))
    assert knowledge_definitions(config) == ["truth"]  # synthetic default: auto is truth
    config["recipes"]["words"] = {"kind": "teacher", "teacher": "large", "target": "answer"}
    config["recipes"]["verbose"] = {
        "kind": "teacher",
        "teacher": "large",
        "knowledge_rule": "contains",
    }
    assert knowledge_definitions(config) == ["contains", "measured", "truth"]
    config["recipes"]["slick"] = {"kind": "teacher", "teacher": "large", "knowledge_rule": "slick"}
    with pytest.raises(InputError, match="recipes.slick.knowledge_rule: slick needs the SliCK"):
        check_config(config)
    real = validated(layered_config(["configs/real-small.yaml"]))
    real["knowledge"]["basis"] = "truth"
    with pytest.raises(InputError, match="knowledge.basis: truth needs the synthetic world"):
        check_config(real)


def test_outcomes_by_knowledge_name_the_definition_of_each_split():
    from mismatch.analysis.study_tables import name_knowing

    table = pd.DataFrame({"split": ["student_knows", "student_knows", "category"],
                          "group": ["known", "unknown", "HighlyKnown"]})  # fmt: skip
    named = name_knowing(table, "truth")
    assert named["definition"].tolist() == ["truth", "truth", "slick"]


def test_the_schema_offers_exactly_the_definitions_the_knows_step_writes():
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[1]
    schema = yaml.safe_load((root / "schemas" / "config.schema.yaml").read_text())
    properties = schema["properties"]
    basis = properties["knowledge"]["properties"]["basis"]["enum"]
    recipe_rule = properties["recipes"]["additionalProperties"]["properties"]["knowledge_rule"]
    assert set(basis) == {"auto", *DEFINITIONS}
    assert set(recipe_rule["enum"]) == set(DEFINITIONS)
