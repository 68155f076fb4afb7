"""The gold-value probability probe: how much of a model's probability, among the closed
vocabulary's candidate answers, goes to the gold one (one forward pass per candidate line)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from mismatch.answers.generation import encode_prompts
from mismatch.answers.lines import model_device
from mismatch.answers.prompting import PromptFormat


@torch.no_grad()
def continuation_logprobs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    continuations: Sequence[str],
    batch_size: int = 64,
) -> np.ndarray:
    """Sum of the log-probabilities of each continuation's tokens after its prompt (prompt and
    continuation encoded apart, so the continuation's tokens are the same after every prompt)."""
    prompt_ids = encode_prompts(tokenizer, prompts)
    cont_ids = tokenizer(list(continuations), add_special_tokens=False)["input_ids"]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    device = model_device(model)
    scores = np.zeros(len(prompt_ids))
    pairs = list(zip(prompt_ids, cont_ids, strict=True))
    for start in range(0, len(pairs), batch_size):
        rows = pairs[start : start + batch_size]
        width = max(len(p) + len(c) for p, c in rows)
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, (p, c) in enumerate(rows):  # right padding: positions start at 0 for every row
            ids[i, : len(p) + len(c)] = torch.tensor(p + c)
            mask[i, : len(p) + len(c)] = 1
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
        logprobs = torch.log_softmax(logits.float(), dim=-1).cpu()
        for i, (p, c) in enumerate(rows):
            positions = torch.arange(len(p) - 1, len(p) + len(c) - 1)
            scores[start + i] = float(logprobs[i, positions, torch.tensor(c)].sum())
    return scores


def gold_probability(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompt: PromptFormat,
    prompts: Sequence[str],
    candidates: Sequence[Sequence[str]],
    golds: Sequence[str],
    batch_size: int = 64,
) -> np.ndarray:
    """For each question (its k-shot ``prompts`` entry), the softmax share of the gold answer
    line among the answer lines of its ``candidates`` (which include the gold value)."""
    flat_prompts, flat_lines, owner = [], [], []
    for i, (text, values) in enumerate(zip(prompts, candidates, strict=True)):
        if golds[i] not in values:
            raise ValueError(f"gold value {golds[i]!r} is not among the candidates of question {i}")
        for value in values:
            flat_prompts.append(text)
            flat_lines.append(prompt.target(value))
            owner.append(i)
    scores = continuation_logprobs(model, tokenizer, flat_prompts, flat_lines, batch_size)
    owner_array = np.asarray(owner)
    result = np.zeros(len(prompts))
    for i, values in enumerate(candidates):
        own = scores[owner_array == i]
        weights = np.exp(own - own.max())
        result[i] = weights[list(values).index(golds[i])] / weights.sum()
    return result
