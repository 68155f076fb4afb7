"""Tiny causal language models built from a config and pretrained from scratch on world units."""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    GPT2Config,
    LlamaConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from mismatch.errors import InputError
from mismatch.io import replace_directory, write_text

ARCHITECTURES = ("llama", "gpt2")


@dataclass(frozen=True)
class PretrainSettings:
    """Model shape and optimisation of one tiny model (config key ``models.<name>.pretrain``;
    defaults and bounds live in the config schema)."""

    architecture: str
    hidden_size: int
    n_layers: int
    n_heads: int
    intermediate_size: int | None
    max_length: int
    steps: int
    learning_rate: float
    batch_size: int
    warmup_steps: int
    weight_decay: float

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> PretrainSettings:
        """The validated ``models.<name>.pretrain`` section (``knows`` is read elsewhere)."""
        return cls(**{f.name: section[f.name] for f in fields(cls)})

    @property
    def ffn_size(self) -> int:
        """Feed-forward width: ``intermediate_size``, else 4 x hidden (gpt2) or 8/3 x hidden
        rounded up to a multiple of 32 (llama: its three matrices then cost what gpt2's two do).
        """
        if self.intermediate_size is not None:
            return self.intermediate_size
        if self.architecture == "gpt2":
            return 4 * self.hidden_size
        return -(-8 * self.hidden_size // (3 * 32)) * 32


def validate_settings(settings: PretrainSettings, key: str = "pretrain") -> None:
    """Raise ``InputError`` naming ``key`` for what the schema cannot check (bounds and the
    architecture's name it does): the heads must divide the hidden size."""
    if settings.hidden_size % settings.n_heads:
        raise InputError(f"{key}.n_heads", "must divide hidden_size")


def _model_config(settings: PretrainSettings, tokenizer: PreTrainedTokenizerBase):
    ids = {
        "vocab_size": len(tokenizer),
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
        "tie_word_embeddings": True,
    }
    if settings.architecture == "gpt2":
        return GPT2Config(
            n_embd=settings.hidden_size,
            n_layer=settings.n_layers,
            n_head=settings.n_heads,
            n_inner=settings.ffn_size,
            n_positions=settings.max_length,
            **ids,
        )
    return LlamaConfig(
        hidden_size=settings.hidden_size,
        num_hidden_layers=settings.n_layers,
        num_attention_heads=settings.n_heads,
        num_key_value_heads=settings.n_heads,
        intermediate_size=settings.ffn_size,
        max_position_embeddings=settings.max_length,
        **ids,
    )


def build_model(
    settings: PretrainSettings, tokenizer: PreTrainedTokenizerBase, seed: int
) -> PreTrainedModel:
    """A randomly initialised float32 causal LM sized by ``settings`` for ``tokenizer``."""
    validate_settings(settings)
    config = _model_config(settings, tokenizer)
    torch.manual_seed(seed)
    return AutoModelForCausalLM.from_config(config, dtype=torch.float32)


def count_parameters(settings: PretrainSettings, vocab_size: int) -> int:
    """Number of trainable parameters of ``build_model`` (tied embeddings), by formula."""
    h, ffn, layers = settings.hidden_size, settings.ffn_size, settings.n_layers
    if settings.architecture == "gpt2":
        per_layer = 2 * 2 * h + (h * 3 * h + 3 * h) + (h * h + h) + (h * ffn + ffn) + (ffn * h + h)
        return vocab_size * h + settings.max_length * h + layers * per_layer + 2 * h
    per_layer = 4 * h * h + 3 * h * ffn + 2 * h
    return vocab_size * h + layers * per_layer + h


class UnitStream:
    """Endless shuffled passes over unit indices (every unit once per pass)."""

    def __init__(self, n_units: int, rng: random.Random) -> None:
        self._n_units = n_units
        self._rng = rng
        self._queue: list[int] = []

    def __call__(self) -> int:
        if not self._queue:
            order = list(range(self._n_units))
            self._rng.shuffle(order)
            self._queue = order[::-1]
        return self._queue.pop()

    def put_back(self, index: int) -> None:
        """Return ``index`` so that the next call yields it again."""
        self._queue.append(index)


def pack_batch(
    units: Sequence[list[int]],
    stream: UnitStream,
    batch_size: int,
    max_length: int,
    tokenizer: PreTrainedTokenizerBase,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``batch_size`` rows of BOS + whole units drawn from ``stream``, right-padded by the
    tokenizer.

    Returns input ids, attention mask and labels (-100 on padding).
    """
    rows: list[list[int]] = []
    for _ in range(batch_size):
        row = [tokenizer.bos_token_id]
        while True:
            index = stream()
            if len(row) + len(units[index]) > max_length and len(row) > 1:
                stream.put_back(index)
                break
            row.extend(units[index][: max_length - len(row)])
            if len(row) >= max_length:
                break
        rows.append(row)
    padded = tokenizer.pad({"input_ids": rows}, padding_side="right", return_tensors="pt")
    ids, mask = padded["input_ids"], padded["attention_mask"]
    labels = ids.masked_fill(mask == 0, -100)
    return ids, mask, labels


def learning_rate_factor(step: int, warmup_steps: int, total_steps: int) -> float:
    """Linear warmup to 1, then cosine decay to 0.

    Kept by hand rather than transformers' ``get_cosine_schedule_with_warmup``: that one starts
    the warmup at 0 (``step / warmup``, here ``(step + 1) / warmup``), so the pretrained models,
    and every label after them, would change.
    """
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def pretrain(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    units: Sequence[str],
    settings: PretrainSettings,
    seed: int,
    log: Callable[[str], None] | None = None,
) -> list[float]:
    """Train ``model`` on packed ``units`` (AdamW, warmup + cosine, clip 1.0); per-step losses."""
    validate_settings(settings)
    if not units:
        raise InputError("pretraining units", "no text to pretrain on")
    encoded = [tokenizer(u, add_special_tokens=False)["input_ids"] for u in units]
    stream = UnitStream(len(encoded), random.Random(f"pretrain-{seed}"))
    torch.manual_seed(seed)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: learning_rate_factor(step, settings.warmup_steps, settings.steps),
    )
    model.train()
    losses: list[float] = []
    start = time.perf_counter()
    for step in range(settings.steps):
        ids, mask, labels = pack_batch(
            encoded,
            stream,
            settings.batch_size,
            settings.max_length,
            tokenizer,
        )
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        if log is not None and (step % 50 == 0 or step == settings.steps - 1):
            elapsed = time.perf_counter() - start
            log(f"step {step + 1}/{settings.steps} loss {losses[-1]:.4f} ({elapsed:.1f} s)")
    model.eval()
    return losses


def save_model(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, directory: str | os.PathLike[str]
) -> None:
    """Save model (safetensors) and tokenizer as one Hugging Face directory, atomically (written
    to a temporary folder beside it, then renamed)."""
    with replace_directory(directory) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)


def write_loss_table(losses: Sequence[float], path: str | os.PathLike[str]) -> None:
    """Write per-step pretraining losses as TSV (``step loss``), atomically."""
    rows = [f"{step}\t{loss:.6f}" for step, loss in enumerate(losses, start=1)]
    write_text("\n".join(["step\tloss", *rows]) + "\n", path)
