"""Answering a question set with a model: k-shot prompts, one-line greedy answers, grading."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from mismatch.answers.generation import generate_lines
from mismatch.answers.grading import Grader, is_correct
from mismatch.answers.prompting import PromptFormat, k_shot_prompts
from mismatch.answers.shards import shard_rows
from mismatch.answers.vocabulary import Vocabulary
from mismatch.errors import InputError
from mismatch.io import read_parquet, write_parquet
from mismatch.models.loading import load_model, model_source
from mismatch.provenance import git_commit, library_versions
from mismatch.questions.fact_sets import fact_vocabulary

ANSWER_COLUMNS = [
    "question_id",
    "question",
    "answers",
    "prediction",
    "stopped",
    "answer",
    "correct",
]


def choose_exemplars(format_questions: pd.DataFrame, k: int, seed: int) -> pd.DataFrame:
    """A seeded sample of ``k`` rows of the ``format`` split (no rows when ``k`` is 0)."""
    if not 0 <= k <= len(format_questions):
        raise ValueError(f"cannot choose {k} exemplars from {len(format_questions)} questions")
    return format_questions.sample(n=k, random_state=seed).reset_index(drop=True)


def answer_questions(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    questions: pd.DataFrame,
    exemplars: pd.DataFrame,
    prompt: PromptFormat,
    *,
    batch_size: int,
    max_new_tokens: int,
    grading_rule: str = "exact",
    prefix_cache: bool = False,
    vocabulary: Vocabulary | None = None,
) -> pd.DataFrame:
    """Greedy answers to ``questions`` after the ``exemplars`` (answered with their first alias).

    ``vocabulary`` (closed answer vocabularies per relation; needs a ``relation`` column) makes
    ``contains`` grading reject an alias inside another member's name (``label_answer``).

    ``prefix_cache``: prefill the exemplar block once for all questions
    (``mismatch.answers.prefix_cache``).

    Columns: question_id, question, answers, prediction (first generated line), stopped (the
    answer ended at a newline or eos, not at ``max_new_tokens``), answer (the prediction with
    the answer template stripped) and correct (graded with ``grading_rule``).
    """
    prompt = prompt.for_tokenizer(tokenizer)  # a chat model's own template, where it has one
    prompts = k_shot_prompts(prompt, questions["question"], exemplars)
    lines = generate_lines(
        model,
        tokenizer,
        prompts,
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
        prefix_cache=prefix_cache,
    )
    predictions = [line.text for line in lines]
    answers = [prompt.extract_answer(p) for p in predictions]
    aliases = [list(a) for a in questions["answers"]]
    return pd.DataFrame(
        {
            "question_id": questions["question_id"].to_list(),
            "question": questions["question"].to_list(),
            "answers": aliases,
            "prediction": predictions,
            "stopped": [line.stopped for line in lines],
            "answer": answers,
            "correct": [
                is_correct(a, gold, grading_rule, well_formed=ok, grader=grader)
                for a, gold, ok, grader in zip(
                    answers,
                    aliases,
                    [line.stopped and prompt.fits(line.text) for line in lines],
                    graders_of(questions, vocabulary),
                    strict=True,
                )
            ],
        },
        columns=ANSWER_COLUMNS,
    )


def answer_provenance(
    *,
    model_name: str,
    model_path: str | os.PathLike[str],
    prompt: PromptFormat,
    exemplars: pd.DataFrame,
    decoding: dict[str, Any],
    dtype: str,
    batch_size: int,
) -> dict[str, Any]:
    """Everything needed to reproduce an answer file, for its parquet metadata.

    The git commit is that of the repository holding the ``mismatch`` package (the code);
    ``path`` is the local model directory the weights were read from, ``model_commit`` the hub
    commit a fetched model resolved to (with ``model_hub``, ``model_revision`` and the
    ``model_pointer`` file; all ``None`` for a local directory).
    """
    source = model_source(model_path)
    return {
        "model": model_name,
        "path": source["path"],
        "model_pointer": source["pointer"],
        "model_hub": source["hub"],
        "model_revision": source["revision"],
        "model_commit": source["commit"],
        "prompt": prompt.as_dict(),
        "exemplar_question_ids": exemplars["question_id"].to_list(),
        "decoding": dict(decoding),
        "dtype": dtype,
        "batch_size": batch_size,
        "versions": library_versions(),
        "git_commit": git_commit(Path(__file__).parent),
    }


def graders_of(questions: pd.DataFrame, vocabulary: Vocabulary | None) -> list[Grader | None]:
    """Each question's relation vocabulary for grading (None for all without a vocabulary)."""
    if vocabulary is None:
        return [None] * len(questions)
    if "relation" not in questions.columns:
        raise InputError("questions", "grading with a vocabulary needs a relation column")
    return [vocabulary.grader(str(r)) for r in questions["relation"]]


def answer_with_provenance(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    *,
    model_name: str,
    model_path: str | os.PathLike[str],
    questions: pd.DataFrame,
    exemplars: pd.DataFrame,
    prompt: PromptFormat,
    settings: Mapping[str, Any],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One model's graded answers to ``questions`` with ``settings`` (``answering_settings`` of
    ``mismatch.configuration``), and the provenance its answer file carries."""
    answers = answer_questions(
        model,
        tokenizer,
        questions,
        exemplars,
        prompt,
        batch_size=settings["batch_size"],
        max_new_tokens=settings["max_new_tokens"],
        grading_rule=settings["grading"],
        prefix_cache=settings["prefix_cache"],
        vocabulary=fact_vocabulary(settings.get("vocabulary")),
    )
    provenance = answer_provenance(
        model_name=model_name,
        model_path=model_path,
        prompt=prompt,
        exemplars=exemplars,
        decoding={"greedy": True, "max_new_tokens": settings["max_new_tokens"], "stop": "\\n"},
        dtype=str(model.dtype),
        batch_size=settings["batch_size"],
    )
    return answers, provenance


@dataclass(frozen=True)
class AnswerUnit:
    """One unit of an answering job: ``model`` answers shard ``shard`` of ``n_shards`` of
    ``split`` (a whole split: shard 0 of 1) and writes ``output``."""

    model: str
    split: str
    shard: int
    n_shards: int
    output: str


def answer_units(
    units: Sequence[AnswerUnit],
    models: Mapping[str, str],
    question_files: Mapping[str, str],
    exemplars: pd.DataFrame,
    prompts: Mapping[str, PromptFormat],
    settings: Mapping[str, Mapping[str, Any]],
    log: Callable[[str], None],
) -> None:
    """Answer every unit of one job (``answering.job_per``: every model and split of a world, one
    model's splits, or one shard), each model loaded once, with its own prompt (``prompts``: name
    -> format) and settings; ``models``: name -> directory, ``question_files``: split -> parquet.

    Each unit's file holds its graded answers and provenance (``shard``: index and count), the
    same whichever way the units are grouped into jobs. Models are loaded one at a time.
    """
    question_sets = {split: read_parquet(path) for split, path in question_files.items()}
    for name in dict.fromkeys(unit.model for unit in units):
        model_settings = settings[name]
        model, tokenizer = load_model(
            models[name],
            dtype=model_settings["dtype"],
            device_map=model_settings["device_map"],
            trust_remote_code=model_settings["trust_remote_code"],
        )
        for unit in (u for u in units if u.model == name):
            questions = question_sets[unit.split]
            if unit.n_shards > 1:
                questions = shard_rows(questions, unit.shard, unit.n_shards)
            of = f" (shard {unit.shard + 1} of {unit.n_shards})" if unit.n_shards > 1 else ""
            log(f"{name}: answering {len(questions)} {unit.split} questions{of}")
            answers, provenance = answer_with_provenance(
                model,
                tokenizer,
                model_name=name,
                model_path=models[name],
                questions=questions,
                exemplars=exemplars,
                prompt=prompts[name],
                settings=model_settings,
            )
            provenance["shard"] = {"index": unit.shard, "of": unit.n_shards}
            write_parquet(answers, unit.output, provenance)
            log(f"{name} {unit.split}{of}: accuracy {answers.correct.mean():.3f}")
        del model, tokenizer
        gc.collect()
