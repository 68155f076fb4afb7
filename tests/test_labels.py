"""Labelling fine-tuned students' test answers."""

import pandas as pd
import pytest
from conftest import defaults

from mismatch.answers.prompting import PromptFormat
from mismatch.errors import InputError
from mismatch.training.labels import LABEL_COLUMNS, label_answers

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
    return QUESTIONS.assign(prediction=predictions, stopped=True, answer=answers, correct=False)


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
    labels = label_answers(student, base, PROMPT)
    assert tuple(labels.columns) == LABEL_COLUMNS
    assert list(labels["question_id"]) == ["t5", "t4", "t3", "t2", "t1"]
    assert list(labels["label"]) == ["correct", "abstain", "abstain", "wrong", "correct"]
    assert list(labels["student_knows"]) == [False, True, False, True, True]
    assert list(labels["contains_alias"]) == [True, False, False, True, True]
    assert labels.loc[labels["question_id"] == "t2", "prediction"].item().endswith("Ildra Fenn.")


def test_contains_rule_accepts_verbose_answers():
    student = student_answers([" The answer is the city of Quelm.", " x", " x", " x", " x"])
    assert label_answers(student, student, PROMPT).loc[0, "label"] == "wrong"
    assert (
        label_answers(student, student, PROMPT, grading_rule="contains").loc[0, "label"]
        == "correct"
    )


def test_different_question_ids_raise():
    student = student_answers([" x"] * 5)
    with pytest.raises(InputError, match="labels/in.parquet.*t5"):
        label_answers(student, student.iloc[:4], PROMPT, student_name="labels/in.parquet")


def test_malformed_answers_are_neither_wrong_nor_right():
    """Empty, cut off at max_new_tokens, or off the answer template -> malformed; a right answer
    or a refusal keeps its label whatever its form."""
    student = student_answers(
        [
            " The answer is b",  # cut-off prefix of an answer: no closing period
            " The answer is Ildra",  # stopped=False below: ran into max_new_tokens
            "",
            " I don't know",  # a refusal without the period: still abstain
            " The answer is 1204",  # right, off-template: still correct
        ]
    ).assign(stopped=[True, False, True, True, True])
    labels = label_answers(student, student, PROMPT)
    assert list(labels["label"]) == ["malformed", "malformed", "malformed", "abstain", "correct"]
    assert list(labels["well_formed"]) == [False, False, False, False, False]
    fine = student_answers([" The answer is b.", " x"] + [" I don't know."] * 3)
    assert list(label_answers(fine, fine, PROMPT)["label"][:2]) == ["wrong", "malformed"]


def test_student_knows_from_ground_truth_keeps_the_measured_value():
    student = student_answers([" The answer is Quelm."] * 5)
    base = student.assign(correct=[True, False, True, False, True])
    truth = pd.Series([True, True, False, False, True], index=QUESTIONS["question_id"])
    labels = label_answers(student, base, PROMPT, knows=truth)
    assert list(labels["student_knows"]) == [True, True, False, False, True]
    assert list(labels["student_knows_measured"]) == [True, False, True, False, True]
    with pytest.raises(InputError, match="no ground truth for 1 question"):
        label_answers(student, base, PROMPT, knows=truth.iloc[:4])
