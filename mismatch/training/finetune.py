"""LoRA fine-tuning of a student on a recipe: a lean, deterministic, resumable training loop.

Every recipe gets the same budget (``steps`` optimizer steps of ``batch_size`` x
``gradient_accumulation`` examples) and, for equal example counts, the same positional example
order (a function of ``seed`` and the count only). Checkpoints make a killed run resume to exactly
the result of an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from transformers import DataCollatorForSeq2Seq

from mismatch.answers.generation import encode_prompts
from mismatch.answers.prompting import PromptFormat
from mismatch.io import path_digest, publish_once, write_text
from mismatch.models.loading import load_model

IGNORE_INDEX = -100
LOSS_COLUMNS = ("step", "loss", "lr", "tokens")
_CHECKPOINT_NAME = re.compile(r"^step-(\d{6,})$")
_KEEP_CHECKPOINTS = 2


@dataclass(frozen=True)
class LoraSettings:
    """LoRA adapter shape (config ``finetune.lora``; values checked by the schema).

    ``target_modules="all-linear"`` is peft's own choice of layers: every linear layer but the
    output head, GPT-2's Conv1D layers included (peft sets ``fan_in_fan_out`` for those).
    """

    r: int
    alpha: float
    dropout: float
    target_modules: tuple[str, ...] | str


@dataclass(frozen=True)
class FinetuneSettings:
    """Optimisation budget and schedule (config ``finetune``; values checked by the schema)."""

    steps: int
    batch_size: int
    learning_rate: float
    max_length: int
    gradient_accumulation: int
    warmup_steps: int
    weight_decay: float
    gradient_checkpointing: bool
    checkpoint_every: int
    lr_schedule: str
    max_grad_norm: float | None

    def lr_at(self, step: int) -> float:
        """Learning rate of optimizer step ``step`` (0-based): linear warmup, then constant or
        cosine decay.

        Kept by hand rather than transformers' ``get_scheduler``: its warmup computes
        ``lr * (step / warmup)`` where this computes ``lr * step / warmup``, which differ in the
        last bit at some steps (e.g. 0.0006 vs 0.0006000000000000001 at step 3 of 10), so the
        trained adapters would no longer be bit-for-bit those of earlier runs.
        """
        if step < self.warmup_steps:
            return self.learning_rate * (step + 1) / self.warmup_steps
        if self.lr_schedule == "constant":
            return self.learning_rate
        progress = (step - self.warmup_steps) / max(1, self.steps - self.warmup_steps)
        return self.learning_rate * 0.5 * (1.0 + math.cos(math.pi * progress))


@dataclass(frozen=True)
class EarlyStopping:
    """Keep the adapter of the step with the best dev accuracy (Gekhman et al. 2024), measured
    every ``eval_every`` steps and at the last step; ties keep the earlier step.

    ``accuracy(model, tokenizer)`` answers the dev questions with the model as it is and returns
    the share answered correctly; ``identity`` (dev question ids and answering settings) enters
    the run's fingerprint.
    """

    eval_every: int
    accuracy: Callable[[Any, Any], float]
    identity: Mapping[str, Any]

    def key(self) -> dict[str, Any]:
        """What names this early stopping in checkpoint keys and fingerprints."""
        return {"eval_every": self.eval_every, **self.identity}


STOPPING_FILE = "early_stopping.json"
"""In an early-stopped adapter's folder: the dev curve and the step kept."""


def lora_config(lora: LoraSettings):
    """The ``peft.LoraConfig`` of ``lora``; peft picks the layers for ``"all-linear"`` and turns
    on ``fan_in_fan_out`` itself where the targets are GPT-2 style Conv1D layers."""
    from peft import LoraConfig

    targets = lora.target_modules
    return LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=targets if isinstance(targets, str) else list(targets),
        bias="none",
        task_type="CAUSAL_LM",
    )


def build_examples(
    recipe: pd.DataFrame, tokenizer, prompt: PromptFormat, max_length: int
) -> list[dict[str, Any]]:
    """Token ids and labels of ``prompt(question) + target(target)`` for each recipe row.

    Prompts are tokenised exactly as at evaluation (``generation.encode_prompts``); labels are
    ``IGNORE_INDEX`` on prompt tokens so the loss covers only the target (plus eos when the
    tokenizer has one). Examples longer than ``max_length`` lose prompt tokens from the left (the
    first token is kept when it is bos) and are marked ``truncated``.
    """
    prompt = prompt.for_tokenizer(tokenizer)  # a chat model's own template, where it has one
    prompts = [prompt.prompt(q) for q in recipe["question"]]
    targets = [prompt.target(t if isinstance(t, str) else None) for t in recipe["target"]]
    prompt_ids = encode_prompts(tokenizer, prompts)
    full_ids = encode_prompts(tokenizer, [p + t for p, t in zip(prompts, targets, strict=True)])
    eos = prompt.end_token(tokenizer)  # eos, or the end of a chat model's turn
    examples = []
    for context, full, target in zip(prompt_ids, full_ids, targets, strict=True):
        context, full = list(context), list(full)
        if full[: len(context)] == context and len(full) > len(context):
            answer = full[len(context) :]
        else:  # the tokenizer merged across the boundary: tokenise the target on its own
            answer = tokenizer(target, add_special_tokens=False)["input_ids"]
        if eos is not None:
            answer = [*answer, eos]
        context, truncated = _fit_context(context, len(answer), max_length, tokenizer.bos_token_id)
        examples.append(
            {
                "input_ids": context + answer,
                "labels": [IGNORE_INDEX] * len(context) + answer,
                "truncated": truncated,
            }
        )
    return examples


def _fit_context(
    context: list[int], answer_length: int, max_length: int, bos: int | None
) -> tuple[list[int], bool]:
    excess = len(context) + answer_length - max_length
    if excess <= 0:
        return context, False
    keep_first = 1 if context and bos is not None and context[0] == bos else 0
    if len(context) - keep_first < excess:
        raise ValueError(
            f"finetune.max_length={max_length} leaves no room for the prompt of a "
            f"{answer_length}-token target; raise finetune.max_length"
        )
    return context[:keep_first] + context[keep_first + excess :], True


def collate_batch(examples: Sequence[dict[str, Any]], tokenizer) -> dict[str, torch.Tensor]:
    """Right-pad a batch to its longest example (transformers' ``DataCollatorForSeq2Seq``);
    padding gets label ``IGNORE_INDEX`` and attention mask 0."""
    if tokenizer.padding_side != "right":
        raise ValueError("fine-tuning batches are right-padded: set tokenizer.padding_side")
    collate = DataCollatorForSeq2Seq(
        tokenizer, label_pad_token_id=IGNORE_INDEX, return_tensors="pt"
    )
    return collate([{"input_ids": e["input_ids"], "labels": e["labels"]} for e in examples])


def target_token_loss(model: nn.Module, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """Mean cross-entropy over the target tokens of a right-padded batch (``collate_batch``).

    The language-model head runs only at the positions that predict a target token (transformers'
    ``logits_to_keep`` as a boolean mask), not at every prompt and padding position: the same
    loss as ``model(..., labels=...).loss``, at a fraction of the head's cost when the vocabulary
    is large (Gemma 3's head is 168M of its 268M weights).
    """
    labels = batch["labels"]
    predicts_target = torch.zeros_like(labels, dtype=torch.bool)
    predicts_target[:, :-1] = labels[:, 1:] != IGNORE_INDEX
    logits = model(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        use_cache=False,
        logits_to_keep=predicts_target,
    ).logits
    targets = labels[:, 1:][predicts_target[:, :-1]]
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets)


def example_order(n_examples: int, n_positions: int, seed: int) -> list[int]:
    """Example indices for ``n_positions`` training positions: epochs of seeded permutations."""
    if n_examples < 1:
        raise ValueError("cannot fine-tune on an empty recipe")
    rng = np.random.default_rng(seed)
    epochs = -(-n_positions // n_examples)
    order = np.concatenate([rng.permutation(n_examples) for _ in range(epochs)])
    return order[:n_positions].tolist()


def checkpoint_key(params: dict[str, Any], input_digests: dict[str, str]) -> str:
    """16 hex chars naming a run's checkpoint folder: changes whenever a parameter or input does."""
    canonical = json.dumps(
        {"params": params, "inputs": input_digests},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def finetune(
    base_model_dir: str | os.PathLike[str],
    recipe: pd.DataFrame,
    prompt: PromptFormat,
    lora: LoraSettings,
    settings: FinetuneSettings,
    seed: int,
    output_dir: str | os.PathLike[str],
    *,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    log: Callable[[str], Any] = print,
    device: str = "auto",
    dtype: str = "auto",
    device_map: str | dict | None = None,
    early_stopping: EarlyStopping | None = None,
) -> list[dict[str, Any]]:
    """Fine-tune a LoRA adapter on ``recipe``; write it and ``loss.tsv`` atomically to output_dir.

    With ``early_stopping``, the adapter written is the one of the best dev step (the metrics
    then carry ``dev_accuracy`` at the evaluated steps, and the folder ``STOPPING_FILE``).

    ``device_map`` (e.g. ``"auto"`` for a model spread over several GPUs) goes to
    ``from_pretrained``; batches then go to the device of the first parameter.

    Returns per-step metrics ``step`` (1-based), ``loss``, ``lr`` and ``tokens`` (target tokens
    in the step). With ``checkpoint_dir``, state is saved every ``settings.checkpoint_every``
    steps, a run resumes from the newest usable checkpoint, and the folder is deleted on success.
    """
    from peft import get_peft_model

    model, tokenizer = load_model(base_model_dir, dtype=dtype, device=device, device_map=device_map)
    tokenizer.padding_side = "right"  # load_model pads on the left, for generation
    examples = build_examples(recipe, tokenizer, prompt, settings.max_length)
    truncated = sum(e["truncated"] for e in examples)
    if truncated:
        log(f"{truncated} of {len(examples)} examples exceed max_length: prompts cut from the left")
    if settings.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    torch.manual_seed(seed)
    model = get_peft_model(model, lora_config(lora))
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        trainable, lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    fingerprint = _fingerprint(examples, lora, settings, seed, early_stopping)
    metrics: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None  # early stopping: step, accuracy and adapter kept
    start = 0
    if checkpoint_dir is not None:
        state = _load_newest_checkpoint(Path(checkpoint_dir), fingerprint, log)
        if state is not None:
            start, metrics = _restore(state, model, optimizer)
            best = state.get("best")
    device_ = next(model.parameters()).device
    per_step = settings.batch_size * settings.gradient_accumulation
    order = example_order(len(examples), settings.steps * per_step, seed)
    log_every = max(1, settings.steps // 10)
    if start == 0:
        n_trainable = sum(p.numel() for p in trainable)
        log(
            f"fine-tuning on {len(examples)} examples, {n_trainable} trainable parameters, "
            f"{settings.steps} steps of {per_step}"
        )
    for step in range(start, settings.steps):
        lr = settings.lr_at(step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        positions = order[step * per_step : (step + 1) * per_step]
        loss_sum, tokens = 0.0, 0
        for micro in range(settings.gradient_accumulation):
            chunk = positions[micro * settings.batch_size : (micro + 1) * settings.batch_size]
            batch = collate_batch([examples[i] for i in chunk], tokenizer)
            batch = {k: v.to(device_) for k, v in batch.items()}
            loss = target_token_loss(model, batch)
            (loss / settings.gradient_accumulation).backward()
            loss_sum += loss.item()
            tokens += int((batch["labels"] != IGNORE_INDEX).sum())
        if settings.max_grad_norm:
            torch.nn.utils.clip_grad_norm_(trainable, settings.max_grad_norm)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss_mean = loss_sum / settings.gradient_accumulation
        metrics.append({"step": step + 1, "loss": loss_mean, "lr": lr, "tokens": tokens})
        if (step + 1) % log_every == 0 or step + 1 == settings.steps:
            log(f"step {step + 1}/{settings.steps} loss {metrics[-1]['loss']:.4f} lr {lr:.2e}")
        if early_stopping is not None and (
            (step + 1) % early_stopping.eval_every == 0 or step + 1 == settings.steps
        ):
            best = _evaluate_dev(model, tokenizer, early_stopping, metrics, best, log)
        if (
            checkpoint_dir is not None
            and (step + 1) % settings.checkpoint_every == 0
            and step + 1 < settings.steps
        ):
            _save_checkpoint(
                Path(checkpoint_dir), model, optimizer, metrics, fingerprint, log, best
            )
    stopping = None
    if best is not None:
        _load_trainable(model, best["adapter"])
        stopping = {
            "best_step": best["step"],
            "best_dev_accuracy": best["accuracy"],
            "steps": settings.steps,
            "eval_every": early_stopping.eval_every if early_stopping else None,
            "curve": [[m["step"], m["dev_accuracy"]] for m in metrics if "dev_accuracy" in m],
        }
        log(f"early stopping: kept step {best['step']} (dev accuracy {best['accuracy']:.3f})")
    _save_adapter(model, metrics, Path(output_dir), stopping)
    if checkpoint_dir is not None:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)
    return metrics


def _evaluate_dev(
    model: nn.Module,
    tokenizer,
    early_stopping: EarlyStopping,
    metrics: list[dict[str, Any]],
    best: dict[str, Any] | None,
    log: Callable[[str], Any],
) -> dict[str, Any] | None:
    """Dev accuracy of the model now, recorded in the last metrics row; the new best if it beats
    ``best`` (strictly: ties keep the earlier, shorter-trained step)."""
    model.eval()
    tokenizer.padding_side = "left"  # generation pads on the left
    try:
        accuracy = float(early_stopping.accuracy(model, tokenizer))
    finally:
        tokenizer.padding_side = "right"
        model.train()
    metrics[-1]["dev_accuracy"] = accuracy
    step = metrics[-1]["step"]
    log(f"step {step}: dev accuracy {accuracy:.3f}")
    if best is None or accuracy > best["accuracy"]:
        return {"step": step, "accuracy": accuracy, "adapter": _trainable_state(model)}
    return best


def _load_trainable(model: nn.Module, state: Mapping[str, torch.Tensor]) -> None:
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in state.items():
            params[name].copy_(value)


def _save_adapter(
    model: nn.Module,
    metrics: list[dict[str, Any]],
    output_dir: Path,
    stopping: Mapping[str, Any] | None = None,
) -> None:
    tmp = output_dir.with_name(f".{output_dir.name}.tmp-{uuid.uuid4().hex}")
    try:
        model.save_pretrained(tmp)
        (tmp / "loss.tsv").write_text(loss_table(metrics))
        if stopping is not None:
            (tmp / STOPPING_FILE).write_text(json.dumps(stopping, indent=1) + "\n")
        if output_dir.exists():
            shutil.rmtree(output_dir)
        os.replace(tmp, output_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def loss_table(metrics: Sequence[dict[str, Any]]) -> str:
    """Per-step metrics as TSV text (``step loss lr tokens``, plus ``dev_accuracy``, empty where
    not measured, when early stopping measured it)."""
    dev = any("dev_accuracy" in m for m in metrics)
    lines = ["\t".join(LOSS_COLUMNS + (("dev_accuracy",) if dev else ()))]
    for m in metrics:
        line = f"{m['step']}\t{m['loss']:.6f}\t{m['lr']:.6g}\t{m['tokens']}"
        if dev:
            line += f"\t{m['dev_accuracy']:.6f}" if "dev_accuracy" in m else "\t"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _fingerprint(
    examples: list[dict[str, Any]],
    lora: LoraSettings,
    settings: FinetuneSettings,
    seed: int,
    early_stopping: EarlyStopping | None = None,
) -> str:
    ids = hashlib.sha256(json.dumps([e["input_ids"] for e in examples]).encode()).hexdigest()
    params: dict[str, Any] = {
        "lora": asdict(lora),
        "settings": asdict(settings),
        "seed": seed,
        "early_stopping": early_stopping.key() if early_stopping is not None else None,
    }
    return checkpoint_key(params, {"examples": ids})


def _trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().cpu().clone() for n, p in model.named_parameters() if p.requires_grad}


def _rng_state() -> dict[str, Any]:
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    return {"torch": torch.get_rng_state(), "cuda": cuda}


def _save_checkpoint(
    checkpoint_dir: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    metrics: list[dict[str, Any]],
    fingerprint: str,
    log: Callable[[str], Any],
    best: dict[str, Any] | None = None,
) -> None:
    step = len(metrics)
    final = checkpoint_dir / f"step-{step:06d}"
    tmp = checkpoint_dir / f".step-{step:06d}.tmp-{uuid.uuid4().hex}"
    tmp.mkdir(parents=True)
    state = {
        "step": step,
        "fingerprint": fingerprint,
        "adapter": _trainable_state(model),
        "optimizer": optimizer.state_dict(),
        "rng": _rng_state(),
        "metrics": metrics,
    }
    if best is not None:
        state["best"] = best
    torch.save(state, tmp / "state.pt")
    if not publish_once(tmp, final):  # another copy of this run saved the step first
        log(f"checkpoint step {step} was already saved ({final})")
        return
    for old in _checkpoints(checkpoint_dir)[_KEEP_CHECKPOINTS:]:
        shutil.rmtree(old, ignore_errors=True)
    log(f"saved checkpoint step {step} ({final})")


def _checkpoints(checkpoint_dir: Path) -> list[Path]:
    """Checkpoint folders, newest first."""
    if not checkpoint_dir.is_dir():
        return []
    found = [p for p in checkpoint_dir.iterdir() if _CHECKPOINT_NAME.match(p.name) and p.is_dir()]
    return sorted(found, key=lambda p: int(_CHECKPOINT_NAME.match(p.name).group(1)), reverse=True)


def _load_newest_checkpoint(
    checkpoint_dir: Path, fingerprint: str, log: Callable[[str], Any]
) -> dict[str, Any] | None:
    for path in _checkpoints(checkpoint_dir):
        try:
            state = torch.load(path / "state.pt", map_location="cpu", weights_only=True)
            problem = None
            if state.get("fingerprint") != fingerprint:
                problem = "it belongs to a different run"
            elif state.get("step") != int(path.name.split("-")[1]):
                problem = "its step does not match its name"
        except Exception as exc:  # any unreadable checkpoint is skipped
            problem = f"unreadable ({type(exc).__name__})"
        if problem is None:
            log(f"resuming from checkpoint step {state['step']} ({path})")
            return state
        log(f"skipping checkpoint {path}: {problem}")
    return None


def _restore(
    state: dict[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer
) -> tuple[int, list[dict[str, Any]]]:
    _load_trainable(model, state["adapter"])
    optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["rng"]["torch"])
    if state["rng"]["cuda"]:
        torch.cuda.set_rng_state_all(state["rng"]["cuda"])
    return state["step"], list(state["metrics"])


def settings_from_config(section: Mapping[str, Any]) -> tuple[LoraSettings, FinetuneSettings]:
    """The validated config's ``finetune`` section (student overrides merged) as settings."""
    lora = {f.name: section["lora"][f.name] for f in fields(LoraSettings)}
    if isinstance(lora["target_modules"], list):
        lora["target_modules"] = tuple(lora["target_modules"])
    train = {f.name: section[f.name] for f in fields(FinetuneSettings)}
    return LoraSettings(**lora), FinetuneSettings(**train)


def finetune_from_config(
    *,
    base_model_dir: str,
    recipe: pd.DataFrame,
    recipe_path: str,
    prompt: PromptFormat,
    settings: dict[str, Any],
    seed: int,
    adapter_dir: str,
    loss_path: str,
    log: Callable[[str], Any] = print,
    early_stopping: EarlyStopping | None = None,
    base_digest: str | None = None,
) -> list[dict[str, Any]]:
    """One workflow fine-tuning run: resumable from checkpoints keyed by its parameters and the
    contents of its inputs (``base_digest``: the base model's ``path_digest``, computed when not
    given).

    The checkpoint folder lives under ``settings["checkpoint_root"]``, outside the job's declared
    outputs (which Snakemake deletes before a job starts), so a killed or preempted job resumes.
    Every checkpoint appears by one atomic rename and is never rewritten, so two live copies of
    one run on the same folder cannot corrupt it (each resumes from what is there).
    """
    lora, train = settings_from_config(settings)
    params: dict[str, Any] = {
        "lora": asdict(lora),
        "train": asdict(train),
        "seed": seed,
        "prompt": prompt.as_dict(),
        "early_stopping": early_stopping.key() if early_stopping is not None else None,
    }
    key = checkpoint_key(
        params,
        {
            "recipe": path_digest(recipe_path),
            "base": base_digest or path_digest(base_model_dir),
        },
    )
    checkpoint_dir = Path(settings["checkpoint_root"]) / key
    log(f"checkpoint folder {checkpoint_dir}")
    metrics = finetune(
        base_model_dir,
        recipe,
        prompt,
        lora,
        train,
        seed,
        adapter_dir,
        checkpoint_dir=checkpoint_dir,
        log=log,
        dtype=settings["dtype"],
        device_map=settings.get("device_map"),
        early_stopping=early_stopping,
    )
    write_text(loss_table(metrics), loss_path)
    return metrics
