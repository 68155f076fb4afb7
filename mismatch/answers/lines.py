"""A generated continuation's first line, and where a model's weights are: what the plain and the
prefix-cached generation paths share (``mismatch.answers.generation``,
``mismatch.answers.prefix_cache``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

STOP_STRING = "\n"


@dataclass(frozen=True)
class Line:
    """A continuation's first line, and whether generation stopped by itself (at a newline or
    the eos token) rather than at ``max_new_tokens``."""

    text: str
    stopped: bool


def first_lines(
    tokenizer: PreTrainedTokenizerBase, generated: torch.Tensor, eos: int | Sequence[int] | None
) -> list[Line]:
    """The first line of each row of generated token ids (prompt removed), and whether the row
    reached a newline or eos within its budget (padding after a finished row is eos or pad)."""
    eos_ids = {eos} if isinstance(eos, int) else set(eos or ())
    texts = tokenizer.batch_decode(generated, skip_special_tokens=True)
    lines = []
    for ids, text in zip(generated.tolist(), texts, strict=True):
        stopped = STOP_STRING in text or bool(eos_ids.intersection(ids))
        lines.append(Line(text.split(STOP_STRING, 1)[0], stopped))
    return lines


def model_device(model: PreTrainedModel) -> torch.device:
    """The device of the model's (first) parameters."""
    return next(model.parameters()).device
