"""Batched one-line generation: greedy answers, and seeded temperature samples.

Prompts are tokenised by ``encode_prompts`` (shared with fine-tuning so training and evaluation
see the same tokens), sorted by length, left-padded into batches, and continued until the first
newline, the eos token or ``max_new_tokens``. Each result is the continuation text before the
first newline, with the answer template left in (``PromptFormat.extract_answer`` removes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import (
    GenerationConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteriaList,
    StopStringCriteria,
)

from mismatch.answers.lines import STOP_STRING, Line, first_lines, model_device


@dataclass(frozen=True)
class SamplingSettings:
    """Temperature sampling of ``num_samples`` continuations per prompt (no top-k/top-p)."""

    temperature: float
    num_samples: int


def encode_prompts(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text, always starting with the bos token when the tokenizer has one.

    Texts are encoded with ``add_special_tokens=True`` (so tokenizers whose post-processor adds
    bos, e.g. Llama's, do so; a bos the text already holds is not doubled); bos is prepended
    where it is still missing (tokenizers without a
    post-processor, like the synthetic world's, whose pretraining puts bos before every sequence;
    GPT-2's ``<|endoftext|>`` likewise). Tokenizers without a bos token (e.g. Qwen) are unchanged.
    """
    encoded = tokenizer(list(texts), add_special_tokens=True)["input_ids"]
    bos = tokenizer.bos_token_id
    if bos is None:
        return [list(ids) for ids in encoded]
    # a chat template writes bos into the text itself (Gemma's "<bos>"): keep one
    return [
        list(ids[1:]) if ids[:2] == [bos, bos] else list(ids) if ids[:1] == [bos] else [bos, *ids]
        for ids in encoded
    ]


def generate(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    *,
    batch_size: int,
    max_new_tokens: int,
    prefix_cache: bool = False,
) -> list[str]:
    """Greedy continuation of each prompt, cut before the first newline (order preserved).

    ``prefix_cache``: prefill the prompts' shared token prefix once
    (``mismatch.answers.prefix_cache``).
    """
    lines = generate_lines(
        model,
        tokenizer,
        prompts,
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
        prefix_cache=prefix_cache,
    )
    return [line.text for line in lines]


def generate_lines(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    *,
    batch_size: int,
    max_new_tokens: int,
    prefix_cache: bool = False,
) -> list[Line]:
    """Like ``generate``, with whether each answer stopped by itself (``Line.stopped``)."""
    config = _generation_config(model, tokenizer, max_new_tokens, do_sample=False)
    per_prompt = _generate_batches(model, tokenizer, prompts, batch_size, config, prefix_cache)
    return [samples[0] for samples in per_prompt]


def sample(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    *,
    batch_size: int,
    max_new_tokens: int,
    sampling: SamplingSettings,
    seed: int,
    prefix_cache: bool = False,
) -> list[list[str]]:
    """``sampling.num_samples`` temperature samples per prompt, each cut before the first newline.

    Reproducible for the same prompts, ``batch_size``, ``seed`` and device; the global torch RNG
    is left as it was.
    """
    config = _generation_config(
        model,
        tokenizer,
        max_new_tokens,
        do_sample=True,
        temperature=sampling.temperature,
        top_k=0,
        top_p=1.0,
        num_return_sequences=sampling.num_samples,
    )
    device = model_device(model)
    cuda_devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(seed)
        per_prompt = _generate_batches(model, tokenizer, prompts, batch_size, config, prefix_cache)
    return [[line.text for line in lines] for lines in per_prompt]


def _generation_config(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    max_new_tokens: int,
    **settings: object,
) -> GenerationConfig:
    """A fresh config, so settings stored with the model (e.g. sampling defaults) do not leak in."""
    eos = model.generation_config.eos_token_id
    return GenerationConfig(
        max_new_tokens=max_new_tokens,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id if eos is None else eos,
        bos_token_id=tokenizer.bos_token_id,
        **settings,
    )


@torch.inference_mode()
def _generate_batches(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    batch_size: int,
    config: GenerationConfig,
    prefix_cache: bool = False,
) -> list[list[Line]]:
    """Run ``model.generate`` on length-sorted left-padded batches; the lines of each prompt."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if not prompts:
        return []
    encoded = encode_prompts(tokenizer, prompts)
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]), reverse=True)
    stop = StoppingCriteriaList([StopStringCriteria(tokenizer, [STOP_STRING])])
    if prefix_cache:
        from mismatch.answers.prefix_cache import generate_batches_with_prefix

        return generate_batches_with_prefix(
            model, tokenizer, encoded, order, batch_size, config, stop
        )
    per_prompt = config.num_return_sequences or 1
    device = model_device(model)
    results: list[list[Line]] = [[] for _ in encoded]
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        padded = tokenizer.pad(
            {"input_ids": [encoded[i] for i in batch]}, padding_side="left", return_tensors="pt"
        )
        input_ids = padded["input_ids"]
        output = model.generate(
            input_ids=input_ids.to(device),
            attention_mask=padded["attention_mask"].to(device),
            generation_config=config,
            stopping_criteria=stop,
        )
        lines = first_lines(tokenizer, output[:, input_ids.shape[1] :], config.eos_token_id)
        for row, line in enumerate(lines):
            results[batch[row // per_prompt]].append(line)
    return results
