"""Generation that prefills a prompt set's shared token prefix once (a reused key/value cache).

k-shot prompts share their exemplar block: the plain path (``generation._generate_batches``)
runs it through the model again for every question, and for every sample of a question. Here
the longest token prefix common to all prompts is encoded once into a ``DynamicCache``; each
batch gets a copy, expanded to its rows, and only the questions' own tokens are prefilled. With
``num_return_sequences`` > 1 each prompt is prefilled once and its cache copied for its samples.

Rows are laid out as ``prefix + padding + own tokens`` (padding in the middle, masked), so each
token keeps the position it has in the left-padded plain path. Greedy outputs match the plain
path up to floating-point rounding (the prefix is computed in another matrix shape), which is
why the workflow keeps this behind ``answering.prefix_cache``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from transformers import (
    DynamicCache,
    GenerationConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteriaList,
)

from mismatch.answers.lines import Line, first_lines, model_device


def common_prefix_length(sequences: Sequence[Sequence[int]]) -> int:
    """Length of the longest token prefix shared by all ``sequences``, leaving each at least one
    token of its own (the model must see a token to predict the next)."""
    if not sequences:
        return 0
    first, limit = sequences[0], min(len(s) for s in sequences) - 1
    length = 0
    while length < limit and all(s[length] == first[length] for s in sequences):
        length += 1
    return max(0, length)


def prefill_tokens(
    lengths: Sequence[int],
    batch_size: int,
    *,
    samples: int = 1,
    prefix: int | None = None,
) -> int:
    """Tokens run through the model before the first new token, padding included.

    Prompts of ``lengths`` in length-sorted batches of ``batch_size``, each continued ``samples``
    times. ``prefix=None``: the plain path (each batch row, and each sample's copy of it, holds
    the whole prompt). ``prefix=P``: the shared P tokens once, then per batch its rows' own tokens
    (and, with samples, the last token of each sample's copy).
    """
    ordered = sorted(lengths, reverse=True)
    total = 0 if prefix is None else prefix
    for start in range(0, len(ordered), batch_size):
        batch = ordered[start : start + batch_size]
        if prefix is None:
            total += len(batch) * samples * batch[0]
        elif samples == 1:
            total += len(batch) * (batch[0] - prefix)
        else:
            total += len(batch) * (batch[0] - prefix - 1) + len(batch) * samples
    return total


@torch.inference_mode()
def generate_batches_with_prefix(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    encoded: Sequence[Sequence[int]],
    order: Sequence[int],
    batch_size: int,
    config: GenerationConfig,
    stop: StoppingCriteriaList,
) -> list[list[Line]]:
    """Like ``generation._generate_batches`` on already encoded, ordered prompts, prefilling
    their shared prefix once and each prompt once for all its samples."""
    samples = config.num_return_sequences or 1
    device = model_device(model)
    prefix_len = common_prefix_length(encoded)
    prefix_cache = DynamicCache(config=model.config)
    if prefix_len:
        prefix = torch.tensor([list(encoded[0][:prefix_len])], dtype=torch.long, device=device)
        model(input_ids=prefix, past_key_values=prefix_cache, use_cache=True)
    single = copy.deepcopy(config)
    single.num_return_sequences = 1
    pad = tokenizer.pad_token_id
    results: list[list[Line]] = [[] for _ in encoded]
    for start in range(0, len(order), batch_size):
        batch = list(order[start : start + batch_size])
        own = [list(encoded[i][prefix_len:]) for i in batch]
        width = max(len(ids) for ids in own)
        rows = [
            list(encoded[batch[0]][:prefix_len]) + [pad] * (width - len(ids)) + ids for ids in own
        ]
        masks = [[1] * prefix_len + [0] * (width - len(ids)) + [1] * len(ids) for ids in own]
        input_ids = torch.tensor(rows, dtype=torch.long, device=device)
        attention_mask = torch.tensor(masks, dtype=torch.long, device=device)
        cache = copy.deepcopy(prefix_cache)
        if prefix_len:
            cache.batch_repeat_interleave(len(batch))
        if samples > 1:  # prefill all but the last token once, then copy it for each sample
            positions = (attention_mask.cumsum(-1) - 1).clamp(min=0)
            if width > 1:
                model(
                    input_ids=input_ids[:, prefix_len:-1],
                    attention_mask=attention_mask[:, :-1],
                    position_ids=positions[:, prefix_len:-1],
                    past_key_values=cache,
                    use_cache=True,
                )
            cache.batch_repeat_interleave(samples)
            input_ids = input_ids.repeat_interleave(samples, dim=0)
            attention_mask = attention_mask.repeat_interleave(samples, dim=0)
        output = model.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            past_key_values=cache,
            generation_config=single,
            stopping_criteria=stop,
        )
        lines = first_lines(tokenizer, output[:, input_ids.shape[1] :], config.eos_token_id)
        for row, line in enumerate(lines):
            results[batch[row // samples]].append(line)
    return results
