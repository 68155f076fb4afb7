"""Labelling fine-tuned students' test answers."""

import pandas as pd
import pytest
from conftest import defaults

from mismatch.errors import InputError
from mismatch.labels import LABEL_COLUMNS, label_answers
from mismatch.prompting import PromptFormat

QUESTIONS = pd.DataFrame(
    {
        "question_id": ["t1", "t2", "t3", "t4", "t5"],
        "question": ["capital of Zorbia?", "founder of Varnox?", "colour?", "river?", "year?"],
        "answers": [["Quelm"], ["Ildra Fenn", "Fenn"], ["green"], ["Oss"], ["1204"]],
    }
)
PROMPT = PromptFormat.from_config(
    {**defaults("prompt"), "answer_template": " The answer is {answer}."}
)


def student_answers(predictions: list[str]) -> pd.DataFrame:
    """An answer table for ``QUESTIONS``, all ``correct`` False (set it for a base table)."""
    answers = [PROMPT.extract_answer(p) for p in predictions]
    return QUESTIONS.assign(prediction=predictions, answer=answers, correct=False)


def test_label_answers_correct_wrong_abstain():
    student = student_answers(
        [
            " The answer is Quelm.",
            " The answer is the founder Ildra Fenn.",  # right but verbose
            " I do not know.",
            " I don't know.",
            " The answer is 1204.",
        ]
    ).iloc[::-1]
    base = student_answers([" Quelm", " Fenn", " blue", " Oss", " 1999"])
    base["correct"] = [True, True, False, True, False]
    labels = label_answers(student, base)
    assert tuple(labels.columns) == LABEL_COLUMNS
    assert list(labels["question_id"]) == ["t5", "t4", "t3", "t2", "t1"]
    assert list(labels["label"]) == ["correct", "abstain", "abstain", "wrong", "correct"]
    assert list(labels["student_knows"]) == [False, True, False, True, True]
    assert list(labels["contains_alias"]) == [True, False, False, True, True]
    assert labels.loc[labels["question_id"] == "t2", "prediction"].item().endswith("Ildra Fenn.")


def test_contains_rule_accepts_verbose_answers():
    student = student_answers([" The answer is the city of Quelm.", " x", " x", " x", " x"])
    assert label_answers(student, student).loc[0, "label"] == "wrong"
    assert label_answers(student, student, grading_rule="contains").loc[0, "label"] == "correct"


def test_different_question_ids_raise():
    student = student_answers([" x"] * 5)
    with pytest.raises(InputError, match="labels/in.parquet.*t5"):
        label_answers(student, student.iloc[:4], student_name="labels/in.parquet")
