"""Cutting a question set into answering jobs and gathering their answers back into one table."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mismatch.errors import InputError


def shard_rows(questions: pd.DataFrame, shard: int, n_shards: int) -> pd.DataFrame:
    """Shard ``shard`` (0-based) of ``n_shards`` contiguous, near-equal slices of ``questions``."""
    if not 0 <= shard < n_shards:
        raise ValueError(f"shard {shard} is outside 0..{n_shards - 1}")
    bounds = [round(i * len(questions) / n_shards) for i in range(n_shards + 1)]
    return questions.iloc[bounds[shard] : bounds[shard + 1]].reset_index(drop=True)


def gather_shards(shards: Sequence[pd.DataFrame], questions: pd.DataFrame) -> pd.DataFrame:
    """One answer table from its shards, checked to cover ``questions`` exactly, in their order."""
    answers = pd.concat(list(shards), ignore_index=True)
    if answers["question_id"].tolist() != questions["question_id"].tolist():
        raise InputError("answer shards", "do not cover the question set exactly once, in order")
    return answers
