"""SliCK knowledge categories (Gekhman et al. 2024) of questions for one model.

Per question, the model answers under ``n_exemplar_sets`` different k-shot exemplar sets from the
format split, once greedily and ``n_samples`` times at ``temperature``. From the share of correct
greedy answers (P_greedy) and of correct samples (P_sampled):

- HighlyKnown: P_greedy = 1          - MaybeKnown: 0 < P_greedy < 1
- WeaklyKnown: P_greedy = 0 < P_sampled - Unknown: P_greedy = P_sampled = 0

``categorize`` is a pure function of the correctness arrays; ``measure_correctness`` generates.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from mismatch.answers.generation import SamplingSettings, generate, sample
from mismatch.answers.grading import is_correct
from mismatch.answers.prompting import PromptFormat, k_shot_prompts
from mismatch.errors import InputError
from mismatch.questions.triviaqa import question_keys

CATEGORIES = ("HighlyKnown", "MaybeKnown", "WeaklyKnown", "Unknown")
CATEGORY_COLUMNS = ["question_id", "p_correct_greedy", "p_correct_sampled", "category"]


@dataclass(frozen=True)
class SlickSettings:
    """How many exemplar sets, exemplars per set and samples per set; sampling temperature."""

    n_exemplar_sets: int
    n_exemplars: int
    n_samples: int
    temperature: float
    seed: int

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> SlickSettings:
        """The validated ``knowledge_categories`` section (``enabled`` is read by the rules)."""
        return cls(**{f.name: section[f.name] for f in fields(cls)})


def category(p_greedy: float, p_sampled: float) -> str:
    """The SliCK category of one question from its greedy and sampled accuracies."""
    if p_greedy == 1.0:
        return "HighlyKnown"
    if p_greedy > 0.0:
        return "MaybeKnown"
    return "WeaklyKnown" if p_sampled > 0.0 else "Unknown"


def categorize(
    question_ids: Sequence[str], greedy_correct: np.ndarray, sampled_correct: np.ndarray
) -> pd.DataFrame:
    """Categories from correctness: ``greedy_correct`` [question, set], ``sampled_correct``
    [question, set, sample] (booleans)."""
    greedy = np.asarray(greedy_correct, dtype=bool)
    sampled = np.asarray(sampled_correct, dtype=bool)
    if greedy.ndim != 2 or sampled.ndim != 3 or sampled.shape[:2] != greedy.shape:
        raise ValueError(f"shapes {greedy.shape} and {sampled.shape} are not [q, n] and [q, n, s]")
    if len(question_ids) != greedy.shape[0]:
        raise ValueError(f"{len(question_ids)} question ids for {greedy.shape[0]} rows")
    p_greedy = greedy.mean(axis=1)
    p_sampled = sampled.reshape(len(sampled), -1).mean(axis=1)
    return pd.DataFrame(
        {
            "question_id": list(question_ids),
            "p_correct_greedy": p_greedy,
            "p_correct_sampled": p_sampled,
            "category": [category(g, s) for g, s in zip(p_greedy, p_sampled, strict=True)],
        },
        columns=CATEGORY_COLUMNS,
    )


def exemplar_sets(
    format_questions: pd.DataFrame, n_sets: int, k: int, seed: int
) -> list[pd.DataFrame]:
    """``n_sets`` seeded samples of ``k`` format questions, all different while that is possible."""
    if not 0 <= k <= len(format_questions):
        raise InputError(
            "knowledge_categories.n_exemplars",
            f"cannot choose {k} exemplars from {len(format_questions)} format questions",
        )
    rng = random.Random(seed)
    possible = math.comb(len(format_questions), k)
    chosen: list[list[int]] = []
    seen: set[frozenset[int]] = set()
    while len(chosen) < n_sets:
        rows = rng.sample(range(len(format_questions)), k)
        if frozenset(rows) in seen and len(seen) < possible:
            continue
        seen.add(frozenset(rows))
        chosen.append(rows)
    return [format_questions.iloc[rows].reset_index(drop=True) for rows in chosen]


def measure_correctness(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    questions: pd.DataFrame,
    format_questions: pd.DataFrame,
    prompt: PromptFormat,
    settings: SlickSettings,
    *,
    batch_size: int,
    max_new_tokens: int,
    grading_rule: str = "exact",
    prefix_cache: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy [question, set] and sampled [question, set, sample] correctness of the model.

    Samples of exemplar set i use seed ``settings.seed + 1000 * (i + 1)``; a sampling batch holds
    ``batch_size // n_samples`` prompts so it has about ``batch_size`` sequences.
    ``prefix_cache``: prefill each exemplar set's block once, and each prompt once for all its
    samples (``mismatch.answers.prefix_cache``).
    """
    check_no_overlap(format_questions, questions)
    prompt = prompt.for_tokenizer(tokenizer)  # a chat model's own template, where it has one
    aliases = [list(a) for a in questions["answers"]]
    sampling = SamplingSettings(temperature=settings.temperature, num_samples=settings.n_samples)
    sample_batch = max(1, batch_size // settings.n_samples)
    sets = exemplar_sets(
        format_questions, settings.n_exemplar_sets, settings.n_exemplars, settings.seed
    )
    greedy = np.zeros((len(questions), len(sets)), dtype=bool)
    sampled = np.zeros((len(questions), len(sets), settings.n_samples), dtype=bool)
    for i, exemplars in enumerate(sets):
        prompts = k_shot_prompts(prompt, questions["question"], exemplars)
        answers = generate(
            model,
            tokenizer,
            prompts,
            batch_size=batch_size,
            max_new_tokens=max_new_tokens,
            prefix_cache=prefix_cache,
        )
        greedy[:, i] = _graded(prompt, answers, aliases, grading_rule)
        samples = sample(
            model,
            tokenizer,
            prompts,
            batch_size=sample_batch,
            max_new_tokens=max_new_tokens,
            sampling=sampling,
            seed=settings.seed + 1000 * (i + 1),
            prefix_cache=prefix_cache,
        )
        for q, texts in enumerate(samples):
            sampled[q, i] = _graded(prompt, texts, [aliases[q]] * len(texts), grading_rule)
    return greedy, sampled


def check_no_overlap(exemplars: pd.DataFrame, questions: pd.DataFrame) -> None:
    """Exemplars must not be among the questions asked (by id or normalised text)."""
    shared = set(exemplars["question_id"]) & set(questions["question_id"])
    shared |= set(
        exemplars.loc[question_keys(exemplars).isin(set(question_keys(questions))), "question_id"]
    )
    if shared:
        raise InputError(
            "format split", f"{len(shared)} exemplar(s) are also asked, e.g. {sorted(shared)[0]}"
        )


def attach_categories(labels: pd.DataFrame, categories: pd.DataFrame) -> pd.DataFrame:
    """``labels`` with the student's ``category``, ``p_correct_greedy`` and ``p_correct_sampled``
    of each question (every labelled question must have a category)."""
    if categories["question_id"].duplicated().any():
        raise InputError("categories", "duplicate question_id values")
    missing = sorted(set(labels["question_id"]) - set(categories["question_id"]))
    if missing:
        raise InputError(
            "categories", f"no category for {len(missing)} labelled question(s), e.g. {missing[0]}"
        )
    columns = [c for c in CATEGORY_COLUMNS if c != "question_id"]
    by_id = categories.set_index("question_id")[columns]
    attached = labels.drop(columns=[c for c in columns if c in labels.columns])
    return attached.join(by_id, on="question_id")


def _graded(
    prompt: PromptFormat, generations: Sequence[str], aliases: Sequence[list[str]], rule: str
) -> list[bool]:
    return [
        is_correct(prompt.extract_answer(g), gold, rule)
        for g, gold in zip(generations, aliases, strict=True)
    ]
