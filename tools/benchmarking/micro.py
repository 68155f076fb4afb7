"""Micro-benchmarks on a finished run's models: job start-up, answering, prefill, fine-tuning,
GEMM, and each model's rates in a real-model run."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from tools.benchmarking.common import (
    FLOPS_FORMULA,
    ROOT,
    gemm_flop_rate,
    token_counts,
    training_flops,
)
from tools.benchmarking.study import RunLayout, job_phases


def measure_startup(repeats: int = 2) -> dict[str, float]:
    """Seconds a job spends starting Python and importing the model stack (best of ``repeats``)."""

    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}  # also where it is not installed

    def best(code: str) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            times.append(time.perf_counter() - start)
        return min(times)

    return {
        "python_s": best("pass"),
        "model_stack_s": best(
            "import mismatch.training.finetune, mismatch.answers.answering, "
            "mismatch.training.labels"
        ),
    }


def study_model(workdir: Path, config: dict[str, Any], model: str) -> Path:
    """Where the study's jobs load ``model`` from: pretrained in the study, a pointer its
    source's rule wrote (hub, GGUF), or the spec's local path (``mismatch.models.sources``)."""
    from mismatch.models.sources import load_location

    spec = config["models"][model]
    in_study, path = load_location(spec, model, config["seeds"]["world"][0])
    return workdir / path if in_study else Path(path)


def study_prompt(config: dict[str, Any], model: str) -> Any:
    """The prompt ``model`` is asked with (its chat template where its prompt_style is chat)."""
    from mismatch.answers.prompting import PromptFormat
    from mismatch.configuration import model_prompt

    return PromptFormat.from_config(model_prompt(config, model))


def measure_answering(
    workdir: Path,
    config: dict[str, Any],
    model: str,
    threads: int,
    max_questions: int | None = None,
) -> dict[str, Any]:
    """Batched (64) against one-at-a-time answering of the test questions (the first
    ``max_questions``) by one model, k-shot as the study asks it."""
    import torch

    from mismatch.answers.answering import answer_questions, choose_exemplars
    from mismatch.configuration import answering_settings
    from mismatch.io import read_parquet
    from mismatch.models.loading import load_model

    torch.set_num_threads(threads)
    world = f"w{config['seeds']['world'][0]}"
    questions = read_parquet(workdir / world / "questions" / "test.parquet")
    exemplars = choose_exemplars(
        read_parquet(workdir / world / "questions" / "format.parquet"),
        config["prompt"]["n_exemplars"],
        config["prompt"]["exemplar_seed"],
    )
    if max_questions:
        questions = questions.head(max_questions)
    settings = answering_settings(config, model)
    prompt = study_prompt(config, model)
    loaded, tokenizer = load_model(study_model(workdir, config, model), dtype=settings["dtype"])

    def answer(rows: pd.DataFrame, batch_size: int) -> tuple[pd.DataFrame, float]:
        start = time.perf_counter()
        answers = answer_questions(
            loaded,
            tokenizer,
            rows,
            exemplars,
            prompt,
            batch_size=batch_size,
            max_new_tokens=settings["max_new_tokens"],
            grading_rule=settings["grading"],
            prefix_cache=settings["prefix_cache"],
        )
        return answers, time.perf_counter() - start

    answer(questions.head(4), 4)  # warm-up: first-call overheads are not answering speed
    batched, batched_s = answer(questions, 64)
    single, single_s = answer(questions, 1)
    return {
        "model": model,
        "questions": len(questions),
        "batched_s": batched_s,
        "batched_questions_per_s": len(questions) / batched_s,
        "one_at_a_time_s": single_s,
        "speedup": single_s / batched_s,
        "same_predictions": float((batched.prediction == single.prediction).mean()),
        "threads": threads,
    }


def measure_prefill(
    workdir: Path, config: dict[str, Any], model: str, threads: int
) -> dict[str, Any]:
    """Prompt tokens prefilled per question, plain against a shared-prefix cache (counted, so
    deterministic), for k-shot answering and SliCK; and whether the cached greedy answers of the
    study's pool and test questions equal the plain path's, and how long each path took."""
    import torch

    from mismatch.answers.answering import choose_exemplars
    from mismatch.answers.generation import encode_prompts, generate
    from mismatch.answers.prefix_cache import common_prefix_length, prefill_tokens
    from mismatch.answers.prompting import k_shot_prompts
    from mismatch.configuration import answering_settings
    from mismatch.io import read_parquet
    from mismatch.knowing.slick import SlickSettings, exemplar_sets
    from mismatch.models.loading import load_model

    torch.set_num_threads(threads)
    world = workdir / f"w{config['seeds']['world'][0]}"
    questions = pd.concat(
        [read_parquet(world / "questions" / f"{split}.parquet") for split in ("pool", "test")],
        ignore_index=True,
    )
    format_questions = read_parquet(world / "questions" / "format.parquet")
    settings = answering_settings(config, model)
    batch = settings["batch_size"]
    loaded, tokenizer = load_model(study_model(workdir, config, model), dtype=settings["dtype"])
    prompt = study_prompt(config, model).for_tokenizer(tokenizer)

    def counts(exemplars: pd.DataFrame, samples: int, batch_size: int) -> tuple[int, int]:
        prompts = k_shot_prompts(prompt, questions["question"], exemplars)
        encoded = encode_prompts(tokenizer, prompts)
        lengths = [len(ids) for ids in encoded]
        plain = prefill_tokens(lengths, batch_size, samples=samples)
        cached = prefill_tokens(
            lengths, batch_size, samples=samples, prefix=common_prefix_length(encoded)
        )
        return plain, cached

    exemplars = choose_exemplars(
        format_questions, config["prompt"]["n_exemplars"], config["prompt"]["exemplar_seed"]
    )
    k_plain, k_cached = counts(exemplars, 1, batch)
    slick = SlickSettings.from_config(config["knowledge_categories"])
    s_plain = s_cached = 0
    for chosen in exemplar_sets(
        format_questions, slick.n_exemplar_sets, slick.n_exemplars, slick.seed
    ):
        greedy = counts(chosen, 1, batch)
        sampled = counts(chosen, slick.n_samples, max(1, batch // slick.n_samples))
        s_plain += greedy[0] + sampled[0]
        s_cached += greedy[1] + sampled[1]
    prompts = k_shot_prompts(prompt, questions["question"], exemplars)
    timed = {}
    for name, cached in (("plain", False), ("cached", True)):
        start = time.perf_counter()
        timed[name] = generate(
            loaded,
            tokenizer,
            prompts,
            batch_size=batch,
            max_new_tokens=settings["max_new_tokens"],
            prefix_cache=cached,
        )
        timed[f"{name}_s"] = time.perf_counter() - start
    n = len(questions)
    return {
        "model": model,
        "questions": n,
        "k_shot": {"plain_per_question": k_plain / n, "cached_per_question": k_cached / n},
        "slick": {
            "settings": vars(slick),
            "plain_per_question": s_plain / n,
            "cached_per_question": s_cached / n,
        },
        "greedy_identical": timed["plain"] == timed["cached"],
        "differing_answers": sum(
            a != b for a, b in zip(timed["plain"], timed["cached"], strict=True)
        ),
        "plain_s": timed["plain_s"],
        "cached_s": timed["cached_s"],
    }


def matmul_parameters(model: Any) -> int:
    """Weights of every matrix multiply in a forward pass (linear layers, LoRA, LM head)."""
    from torch import nn
    from transformers.pytorch_utils import Conv1D

    return sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear | Conv1D))


def measure_finetuning(
    workdir: Path, config: dict[str, Any], student: str, recipe: str, steps: int, threads: int
) -> dict[str, Any]:
    """Tokens per second of a short LoRA fine-tuning run on one of the study's recipes."""
    import torch
    from peft import get_peft_model

    from mismatch.configuration import finetune_settings
    from mismatch.io import read_parquet
    from mismatch.models.loading import load_model
    from mismatch.recipes.sets import seed_set
    from mismatch.training.finetune import (
        build_examples,
        example_order,
        finetune,
        lora_config,
        settings_from_config,
    )

    torch.set_num_threads(threads)
    world = f"w{config['seeds']['world'][0]}"
    base = study_model(workdir, config, student)
    recipe_path = workdir / world / "sets" / student / f"{recipe}.parquet"
    table = read_parquet(recipe_path)
    if "ft_seed" in table.columns:  # one set per fine-tuning seed: the first seed run's
        table = seed_set(table, config["seeds"]["finetune"][0], str(recipe_path))
    prompt = study_prompt(config, student)
    lora, train = settings_from_config(finetune_settings(config, student))
    train = replace(train, steps=steps, checkpoint_every=steps)
    model, tokenizer = load_model(base, dtype="float32")
    examples = build_examples(table, tokenizer, prompt, train.max_length)
    per_step = train.batch_size * train.gradient_accumulation
    seed = 1
    order = example_order(len(examples), steps * per_step, seed)
    tokens = token_counts(examples, order, train.batch_size)
    n_matmul = matmul_parameters(get_peft_model(model, lora_config(lora)))
    n_head = model.get_output_embeddings().weight.numel()
    hidden = model.config.hidden_size
    del model

    stamps: list[tuple[float, str]] = []
    with tempfile.TemporaryDirectory() as scratch:
        metrics = finetune(
            base,
            table,
            prompt,
            lora,
            train,
            seed,
            Path(scratch) / "adapter",
            log=lambda message: stamps.append((time.perf_counter(), message)),
            device="cpu",
            dtype="float32",
        )
    seconds = loop_seconds(stamps, steps)
    if sum(m["tokens"] for m in metrics) != tokens["target"]:
        raise RuntimeError("fine-tuning counted other target tokens than the benchmark")
    flops = training_flops(n_matmul, tokens["processed"], n_head, tokens["target"])
    return {
        "recipe": str(recipe_path.relative_to(workdir)),
        "steps": steps,
        "batch_size": per_step,
        "examples": len(examples),
        "seconds": seconds,
        "tokens": tokens,
        "examples_per_s": steps * per_step / seconds,
        "target_tokens_per_s": tokens["target"] / seconds,
        "real_tokens_per_s": tokens["real"] / seconds,
        "processed_tokens_per_s": tokens["processed"] / seconds,
        "matmul_params": n_matmul,
        "head_params": n_head,
        "model_flops_per_s": flops / seconds,
        "flops_formula": FLOPS_FORMULA,
        "mean_batch_tokens": tokens["processed"] / steps,
        "hidden_size": hidden,
        "threads": threads,
    }


def loop_seconds(stamps: Sequence[tuple[float, str]], steps: int) -> float:
    """Seconds from the 'fine-tuning on ...' message to the last step's, from timed log lines."""
    start = next(t for t, message in stamps if message.startswith("fine-tuning on"))
    end = next(t for t, message in reversed(stamps) if message.startswith(f"step {steps}/"))
    return end - start


def measure_gemm(
    shapes: Sequence[tuple[int, int, int]], threads: int, min_seconds: float = 1.0
) -> list[dict[str, Any]]:
    """float32 matrix-multiply FLOP/s of this machine for each (m, k, n), ``threads`` threads."""
    import torch

    torch.set_num_threads(threads)
    rates = []
    generator = torch.Generator().manual_seed(0)
    for m, k, n in shapes:
        a = torch.randn(m, k, generator=generator)
        b = torch.randn(k, n, generator=generator)
        for _ in range(3):
            a @ b
        repeats, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < min_seconds or repeats < 3:
            a @ b
            repeats += 1
        rates.append({"shape": [m, k, n], "flops_per_s": gemm_flop_rate(m, k, n, repeats, elapsed)})
    return rates


def quiet_transformers() -> None:
    """No progress bars or advisory warnings from transformers between the benchmark's lines."""
    import warnings

    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning)


def per_model_measurements(
    layout: RunLayout, config: dict[str, Any], threads: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Stage shares, the student jobs' phases, and each model's answering and fine-tuning speed
    on this machine, with the GEMM rate they are compared with."""
    from mismatch.configuration import teacher_of

    quiet_transformers()
    results: dict[str, Any] = {"phases": job_phases(layout.logs), "models": {}}
    for model in config["models"]:
        progress(f"timing {model}: answering and fine-tuning ...")
        numbers = {"answering": measure_answering(layout.outputs, config, model, threads, 96)}
        if model in config["students"]:
            recipe = next(r for r in config["recipes"] if teacher_of(config, r, model) == model)
            numbers["finetuning"] = measure_finetuning(
                layout.outputs, config, model, recipe, 8, threads
            )
        results["models"][model] = numbers
    results["gemm"] = measure_gemm([(1024, 1024, 1024)], threads)
    return results
