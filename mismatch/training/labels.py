"""Evaluating fine-tuned students on the test split and labelling their answers."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd

from mismatch.answers.answering import answer_questions
from mismatch.answers.grading import Grader, contains_alias, label_answer
from mismatch.answers.prompting import PromptFormat
from mismatch.answers.vocabulary import Vocabulary
from mismatch.errors import InputError
from mismatch.models.loading import load_model

LABEL_COLUMNS = (
    "question_id",
    "prediction",
    "stopped",
    "answer",
    "label",
    "well_formed",
    "student_knows",
    "student_knows_measured",
    "contains_alias",
)


def truly_known(truth: pd.DataFrame) -> pd.Series:
    """question_id -> whether the model was given the fact (a ``true_knowledge`` table)."""
    return truth.set_index("question_id")["truly_known"].astype(bool)


def is_well_formed(prediction: str, stopped: bool, prompt: PromptFormat) -> bool:
    """Not malformed: generation ended by itself (newline or eos, not ``max_new_tokens``) and
    the line fits the prompt's answer format (``PromptFormat.fits``, which rejects empty lines)."""
    return bool(stopped) and prompt.fits(prediction)


def label_answers(
    student_test: pd.DataFrame,
    base_test: pd.DataFrame,
    prompt: PromptFormat,
    *,
    grading_rule: str = "exact",
    student_name: str = "student_test",
    base_name: str = "base_test",
    knows: pd.Series | None = None,
    graders: Sequence[Grader | None] | None = None,
) -> pd.DataFrame:
    """Label each fine-tuned student answer ``correct``/``wrong``/``abstain``/``malformed``
    (``mismatch.answers.grading``; ``well_formed`` from ``is_well_formed``).

    ``student_knows`` is ``knows`` (question id -> bool; the true knowledge of the synthetic
    world under ``knowledge.basis: truth``) or else whether the base student's own (k-shot)
    answer was correct;
    ``contains_alias`` flags answers that contain a gold alias ("right but verbose").
    ``student_name`` and ``base_name`` (e.g. file paths) name the inputs in error messages.
    ``graders`` (one per answer: its relation's closed vocabulary, or None) go to
    ``label_answer``.
    """
    for table, name in ((student_test, student_name), (base_test, base_name)):
        if table["question_id"].duplicated().any():
            raise InputError(name, "duplicate question_id values")
    differ = set(student_test["question_id"]) ^ set(base_test["question_id"])
    if differ:
        raise InputError(
            student_name,
            f"covers different question ids than {base_name} "
            f"({len(differ)} differ, e.g. {sorted(differ)[:3]})",
        )
    measured = base_test.set_index("question_id")["correct"].astype(bool)
    base_correct = measured if knows is None else knows.astype(bool)
    if knows is not None:
        missing = sorted(set(student_test["question_id"]) - set(knows.index))
        if missing:
            raise InputError(
                base_name, f"no ground truth for {len(missing)} question(s), e.g. {missing[0]}"
            )
    answers = [list(a) for a in student_test["answers"]]
    stopped = student_test["stopped"]
    well_formed = [
        is_well_formed(p, s, prompt)
        for p, s in zip(student_test["prediction"], stopped, strict=True)
    ]
    return pd.DataFrame(
        {
            "question_id": student_test["question_id"].to_numpy(),
            "prediction": student_test["prediction"].to_numpy(),
            "stopped": [bool(s) for s in stopped],
            "answer": student_test["answer"].to_numpy(),
            "label": [
                label_answer(answer, aliases, grading_rule, well_formed=ok, grader=grader)
                for answer, aliases, ok, grader in zip(
                    student_test["answer"],
                    answers,
                    well_formed,
                    graders or [None] * len(answers),
                    strict=True,
                )
            ],
            "well_formed": well_formed,
            "student_knows": base_correct.loc[student_test["question_id"]].to_numpy(),
            "student_knows_measured": measured.loc[student_test["question_id"]].to_numpy(),
            "contains_alias": [
                contains_alias(answer, aliases)
                for answer, aliases in zip(student_test["answer"], answers, strict=True)
            ],
        },
        columns=list(LABEL_COLUMNS),
    )


def evaluate_student(
    base_model_dir: str | os.PathLike[str],
    adapter_dir: str | os.PathLike[str],
    test_questions: pd.DataFrame,
    prompt: PromptFormat,
    *,
    batch_size: int,
    max_new_tokens: int,
    grading_rule: str = "exact",
    device: str = "auto",
    dtype: str = "auto",
    device_map: str | dict | None = None,
    prefix_cache: bool = False,
    vocabulary: Vocabulary | None = None,
) -> pd.DataFrame:
    """Answer ``test_questions`` zero-shot with base model + adapter, as an answer table.

    ``device_map`` (e.g. ``"auto"``) goes to ``from_pretrained`` (then ``device`` is unused).
    ``prefix_cache``: prefill the prompts' shared start once (a chat template's system turn;
    ``mismatch.answers.prefix_cache``), as k-shot answering does with the same setting.

    Columns: question_id, question, answers, prediction (first generated line), answer (the
    prediction with the answer template stripped), correct.
    """
    model, tokenizer = load_model(
        base_model_dir, dtype=dtype, device=device, device_map=device_map, adapter=adapter_dir
    )
    return answer_questions(
        model,
        tokenizer,
        test_questions,
        test_questions.iloc[:0],  # no exemplars: students answer as they were fine-tuned
        prompt,
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
        grading_rule=grading_rule,
        prefix_cache=prefix_cache,
        vocabulary=vocabulary,
    )
