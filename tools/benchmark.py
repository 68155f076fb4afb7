"""Speed of the study on this machine: wall, CPU, processes, start-up, and ratios to a baseline.

Run from the repository root::

    .venv/bin/python tools/benchmark.py [--config FILE | --quick] [--baseline REV] [--json PATH]

It measures, in one run on the machine at hand,

- the study end to end in a fresh working directory: wall time, CPU time and peak memory of the
  whole process tree, and per rule from the Snakemake ``benchmark:`` files;
- the Python processes the study started (one per job) and each one's start-up: the CPU time
  from process start to the job's entry point, which every job records in its log
  (``mismatch.joblog``); their sum as a share of the study's CPU time;
- with ``--baseline REV``: the same study run by revision ``REV`` (a git worktree in a temporary
  folder), new/old ratios of wall time, CPU time and processes, and whether every labels file is
  identical to the baseline's;
- batched answering against one question at a time; prompt tokens prefilled per question;
- fine-tuning throughput in tokens per second, and as a share of this machine's float32 GEMM rate
  (the calibration that makes timings on different machines comparable);
- planning a grid of over 1,000 jobs (``configs/grid.yaml``) and a rerun with nothing to do;

prints a report and writes every number to a JSON file. Configs are loaded and checked the way
the workflow does (``rules/common.smk``). A developer tool, not part of the ``mismatch`` library;
it needs ``psutil`` (requirements.txt).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the mismatch library, when run as tools/benchmark.py

from mismatch.studies import study_dir, study_name  # noqa: E402

CORES = 2
GRID_CONFIG = ROOT / "configs" / "grid.yaml"
NOTHING_TO_DO = "Nothing to be done"
FLOPS_FORMULA = (
    "model FLOPs = 6 x N x tokens processed (padding included), N = weights of every matrix "
    "multiply in the forward pass (all linear layers incl. LoRA and the LM head; embedding "
    "lookups and attention scores left out), except the LM head, which runs only at target "
    "positions (its weights x target tokens); 6N is the full-training convention and overstates "
    "LoRA, whose frozen weights get no weight gradients (about 4N)"
)


@dataclass(frozen=True)
class Target:
    """A limit a measurement must meet on a 2-core CPU."""

    name: str
    key: str  # where the measurement is in the results, "section.field"
    limit: float
    unit: str
    higher_is_better: bool = False
    aim: float | None = None


TARGETS = (
    Target("study end to end", "study.wall_s", 600, "s", aim=300),
    Target("batched answering speed-up", "answering.speedup", 10, "x", higher_is_better=True),
    Target("plan the 1,000-job grid", "planning.wall_s", 10, "s"),
    Target("rerun with nothing changed", "rerun.wall_s", 5, "s"),
    Target("peak memory (process tree)", "study.peak_tree_rss_mib", 3072, "MiB"),
    Target("start-up share of the study's CPU", "study.startup_share_pct", 15, "%"),
    Target("study wall time / baseline's", "ratios.wall_s", 0.65, "x", aim=0.5),
)


# ---------------------------------------------------------------- pure helpers


def read_benchmark_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """One Snakemake benchmark TSV (a row per repeat); ``NA`` (job too short to sample) is NaN."""
    table = pd.read_csv(path, sep="\t", na_values=["NA"])
    missing = [c for c in ("s", "max_rss", "cpu_time") if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: not a Snakemake benchmark file (no {', '.join(missing)})")
    return table


def rule_of(relative: str | os.PathLike[str]) -> str:
    """The rule a benchmark file belongs to, from its path under ``benchmarks/``.

    ``w1/answer_questions/large/pool.0.tsv`` -> ``answer_questions``; ``w1/synthetic_world.tsv``
    -> ``synthetic_world``; ``summarize.tsv`` -> ``summarize``.
    """
    parts = list(Path(relative).parts)
    if len(parts) > 1 and re.fullmatch(r"w\d+", parts[0]):
        parts = parts[1:]
    return parts[0].removesuffix(".tsv")


def stage_table(benchmark_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Per rule: jobs, summed job wall and CPU seconds, largest job RSS (MiB), share of job time.

    Sorted by job wall time, largest first. CPU time and RSS are sampled by Snakemake, so jobs
    shorter than its sampling interval add none (NaN counts as 0, a rule with no samples is NaN).
    """
    rows = []
    for path in sorted(Path(benchmark_dir).rglob("*.tsv")):
        table = read_benchmark_file(path)
        rows.append(
            {
                "rule": rule_of(path.relative_to(benchmark_dir)),
                "wall_s": float(table["s"].sum()),
                "cpu_s": float(table["cpu_time"].sum()),
                "max_rss_mib": float(table["max_rss"].max()),
            }
        )
    if not rows:
        raise ValueError(f"{benchmark_dir}: no Snakemake benchmark files")
    jobs = pd.DataFrame(rows)
    table = jobs.groupby("rule").agg(
        jobs=("wall_s", "size"),
        wall_s=("wall_s", "sum"),
        cpu_s=("cpu_s", "sum"),
        max_rss_mib=("max_rss_mib", "max"),
    )
    table["share"] = table["wall_s"] / table["wall_s"].sum()
    return table.sort_values("wall_s", ascending=False).reset_index()


def planned_job_count(output: str) -> int:
    """Total jobs in the 'Job stats' table Snakemake prints when planning (0 if none)."""
    found = re.search(r"^total\s+(\d+)\s*$", output, re.M)
    return int(found.group(1)) if found else 0


def gemm_flop_rate(m: int, k: int, n: int, repeats: int, seconds: float) -> float:
    """FLOP/s of ``repeats`` products of an (m x k) and a (k x n) matrix done in ``seconds``."""
    return 2.0 * m * k * n * repeats / seconds


def training_flops(
    matmul_params: int, tokens: int, head_params: int = 0, head_tokens: int = 0
) -> float:
    """Rough training FLOPs: 6 per matrix-multiply weight per token (see ``FLOPS_FORMULA``);
    the language-model head's ``head_params`` (part of ``matmul_params``) count only for the
    ``head_tokens`` it runs at (the target positions:
    ``mismatch.training.finetune.target_token_loss``)."""
    return 6.0 * ((matmul_params - head_params) * tokens + head_params * head_tokens)


def token_counts(
    examples: Sequence[dict[str, Sequence[int]]], order: Sequence[int], batch_size: int
) -> dict[str, int]:
    """Tokens a training run over ``order`` (example indices, in batches) sees.

    ``target``: tokens with a loss (labels other than -100); ``real``: tokens of the examples;
    ``processed``: batch x longest example per batch, i.e. what the model computes incl. padding.
    """
    target = real = processed = 0
    for start in range(0, len(order), batch_size):
        batch = [examples[i] for i in order[start : start + batch_size]]
        lengths = [len(e["input_ids"]) for e in batch]
        real += sum(lengths)
        processed += len(batch) * max(lengths)
        target += sum(sum(1 for label in e["labels"] if label != -100) for e in batch)
    return {"target": target, "real": real, "processed": processed}


def lookup(results: dict[str, Any], key: str) -> Any:
    """``results["a"]["b"]`` for key ``"a.b"``; ``None`` where a part is missing."""
    value: Any = results
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def verdict(target: Target, value: float | None) -> str:
    """PASS, or MISS with how far off (factor and difference), or 'not measured'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not measured"
    if (value >= target.limit) if target.higher_is_better else (value < target.limit):
        return "PASS"
    if target.higher_is_better:
        return f"MISS: {target.limit / value:.1f}x short" if value > 0 else "MISS"
    return f"MISS: {value / target.limit:.2f}x the limit, {value - target.limit:+.1f} {target.unit}"


# ---------------------------------------------------------------- measuring processes


@dataclass(frozen=True)
class Measured:
    """A finished command: exit status, output, and what it cost (its whole process tree)."""

    returncode: int
    output: str
    wall_s: float
    cpu_s: float
    peak_tree_rss_mib: float
    peak_process_rss_mib: float


def run_measured(command: Sequence[str], interval: float = 0.2) -> Measured:
    """Run ``command``, sampling the RSS of its process tree every ``interval`` seconds.

    CPU time is that of every finished descendant (``RUSAGE_CHILDREN``); the tree's peak RSS is
    the largest sum over its processes at one sample, which can miss spikes shorter than
    ``interval``.
    """
    import psutil  # a Snakemake dependency

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_tree = peak_process = 0
    with tempfile.TemporaryFile(mode="w+") as log:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
        root = psutil.Process(process.pid)
        while process.poll() is None:
            sizes = []
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                tree = []
            for member in tree:
                try:
                    sizes.append(member.memory_info().rss)
                except psutil.Error:
                    continue
            if sizes:
                peak_tree = max(peak_tree, sum(sizes))
                peak_process = max(peak_process, max(sizes))
            time.sleep(interval)
        wall = time.perf_counter() - start
        log.seek(0)
        output = log.read()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    mib = 1024 * 1024
    return Measured(process.returncode, output, wall, cpu, peak_tree / mib, peak_process / mib)


def snakemake_command(workdir: Path, configfile: Path, *args: str, repo: Path = ROOT) -> list[str]:
    """The command line of a ``CORES``-core Snakemake run of ``repo``'s workflow in ``workdir``
    (the tests' runs use it too: tests/workflow_runs.py)."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(repo / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile),
        "--cores",
        str(CORES),
        *args,
    ]


def check_ran(measured: Measured, what: str) -> None:
    if measured.returncode != 0:
        tail = "\n".join(measured.output.splitlines()[-30:])
        raise RuntimeError(f"{what} failed (exit {measured.returncode}):\n{tail}")


# ---------------------------------------------------------------- the measurements


def load_study_config(configfile: Path) -> dict[str, Any]:
    """The config as the workflow sees it (``rules/common.smk``): checked against the schema with
    one-line errors, schema defaults filled in, sweeps expanded, cross-key checks run."""
    from snakemake.utils import validate

    from mismatch.configuration import (
        check_config,
        check_sizes,
        expand_sweeps,
        load_layered,
        schema_error,
    )
    from mismatch.errors import InputError

    schema = ROOT / "schemas" / "config.schema.yaml"
    try:
        config = load_layered(configfile)  # with its `extends:` layers, as the workflow reads it
    except (OSError, yaml.YAMLError) as exc:
        raise SystemExit(f"{configfile}: not a readable YAML config ({exc})") from None
    except InputError as exc:
        raise SystemExit(f"{configfile}: invalid config: {exc}") from None
    problem = schema_error(config, schema)
    if problem:
        raise SystemExit(f"{configfile}: invalid config: {problem}")
    validate(config, str(schema))
    expand_sweeps(config)
    try:
        check_config(config, str(configfile))
        check_sizes(config)
    except InputError as exc:
        raise SystemExit(f"{configfile}: invalid config: {exc}") from None
    return config


def startup_seconds(log_dir: Path) -> list[float]:
    """Start-up CPU seconds of every job process, from the ``start-up:`` line of each job log."""
    from mismatch.joblog import STARTUP_MARK

    pattern = re.compile(rf"\] {re.escape(STARTUP_MARK)} ([0-9.]+) s CPU")
    found = []
    for log in sorted(Path(log_dir).rglob("*.log")) if Path(log_dir).is_dir() else []:
        with open(log) as handle:
            for line in handle:
                match = pattern.search(line)
                if match:
                    found.append(float(match.group(1)))
                    break
    return found


@dataclass(frozen=True)
class RunLayout:
    """Where a run's outputs, job logs and benchmarks are: all under ``results/<study>/`` (this
    revision), or ``results/``, ``logs/`` and ``benchmarks/`` of the working directory (a
    baseline revision from before per-study folders)."""

    outputs: Path
    logs: Path
    benchmarks: Path


def run_layout(workdir: Path, configfile: Path, repo: Path = ROOT) -> RunLayout:
    """The layout of the run of ``configfile`` by ``repo``'s workflow in ``workdir``."""
    study = workdir / study_dir(study_name([configfile], None, repo))
    if study.is_dir():
        return RunLayout(study, study / "logs", study / "benchmarks")
    return RunLayout(workdir / "results", workdir / "logs", workdir / "benchmarks")


def measure_study(workdir: Path, configfile: Path, repo: Path = ROOT) -> dict[str, Any]:
    """Run the whole study of ``repo`` in ``workdir``: wall, CPU and peak memory of the process
    tree; job processes started and their start-up CPU time (where the jobs record it)."""
    measured = run_measured(snakemake_command(workdir, configfile, repo=repo))
    check_ran(measured, f"the study ({repo})")
    layout = run_layout(workdir, configfile, repo)
    return {"repo": str(repo), "workdir": str(workdir), **study_numbers(layout, measured)}


def study_numbers(layout: RunLayout, measured: Measured | None) -> dict[str, Any]:
    """Processes and start-up of a run (and the run's own cost when measured)."""
    jobs = int(stage_table(layout.benchmarks)["jobs"].sum())
    startups = startup_seconds(layout.logs)
    numbers: dict[str, Any] = {
        "python_processes": jobs + 1,  # one per job (every rule runs a script) + Snakemake
        "jobs": jobs,
        "startup_recorded": len(startups),
        "startup_cpu_s": sum(startups) if startups else None,
        "startup_cpu_per_process_s": sum(startups) / len(startups) if startups else None,
    }
    if measured is not None:
        numbers.update(
            wall_s=measured.wall_s,
            cpu_s=measured.cpu_s,
            peak_tree_rss_mib=measured.peak_tree_rss_mib,
            peak_process_rss_mib=measured.peak_process_rss_mib,
            startup_share=(sum(startups) / measured.cpu_s) if startups else None,
        )
        if numbers["startup_share"] is not None:
            numbers["startup_share_pct"] = 100 * numbers["startup_share"]
    return numbers


def label_files(outputs: Path) -> list[str]:
    """Every labels file of a run, relative to its outputs folder."""
    return sorted(str(p.relative_to(outputs)) for p in outputs.glob("w*/labels/*/*/ft*.parquet"))


def compare_labels(new: Path, old: Path) -> dict[str, Any]:
    """How many labels files two runs share, and which differ (``DataFrame.equals``)."""
    files = label_files(new)
    differ = [
        f
        for f in files
        if not (old / f).is_file() or not pd.read_parquet(new / f).equals(pd.read_parquet(old / f))
    ]
    return {
        "files": len(files),
        "missing_in_baseline": len(set(files) - set(label_files(old))),
        "differ": differ,
        "identical": bool(files) and not differ and set(files) == set(label_files(old)),
    }


def measure_baseline(rev: str, configfile: Path, scratch: Path) -> dict[str, Any]:
    """The study as revision ``rev`` runs it, in a git worktree of this repository under
    ``scratch``; its config file is the one at ``configfile``'s path in that revision."""
    tree = scratch / "baseline-repo"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev],
        check=True,
        capture_output=True,
        text=True,
    )
    try:
        commit = subprocess.run(
            ["git", "-C", str(tree), "rev-parse", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        config = configfile.resolve()
        if config.is_relative_to(ROOT):  # the revision's own version of the config
            config = tree / config.relative_to(ROOT)
        result = measure_study(scratch / "baseline-work", config, repo=tree)
        return {"rev": rev, "commit": commit, **result}
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
            check=False,
            capture_output=True,
        )


def ratios(new: dict[str, Any], old: dict[str, Any]) -> dict[str, float]:
    """new/old for wall time, CPU time and processes started."""
    return {
        key: new[key] / old[key]
        for key in ("wall_s", "cpu_s", "python_processes")
        if new.get(key) and old.get(key)
    }


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


def measure_planning(grid: Path, scratch: Path) -> dict[str, Any]:
    """Wall time of ``snakemake -n`` on the grid config (nothing runs)."""
    measured = run_measured(snakemake_command(scratch, grid, "-n"))
    check_ran(measured, f"planning {grid}")
    return {
        "config": str(grid.relative_to(ROOT)),
        "jobs": planned_job_count(measured.output),
        "wall_s": measured.wall_s,
    }


def measure_rerun(workdir: Path, configfile: Path) -> dict[str, Any]:
    """Wall time of ``snakemake --cores 2`` on a completed run, which should have nothing to do.

    If it did work (e.g. a library file changed since the run), the time is not a rerun time:
    it is left out and the first reason Snakemake gave is kept instead.
    """
    measured = run_measured(snakemake_command(workdir, configfile))
    check_ran(measured, "the rerun")
    if NOTHING_TO_DO in measured.output:
        return {"wall_s": measured.wall_s, "nothing_to_do": True}
    reason = re.search(r"^\s*reason: (.*)$", measured.output, re.M)
    return {
        "did_work_s": measured.wall_s,
        "nothing_to_do": False,
        "reason": reason.group(1) if reason else "unknown",
    }


def quiet_transformers() -> None:
    """No progress bars or advisory warnings from transformers between the benchmark's lines."""
    import warnings

    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning)


# ---------------------------------------------------------------- report


def format_rows(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table, first column left-aligned, the others right-aligned."""
    cells = [list(map(str, headers)), *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        first = row[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join([first, *rest]).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(results: dict[str, Any]) -> str:
    """The human-readable summary of ``results``."""
    machine, out = results["machine"], []
    out.append(
        f"mismatch benchmark: {results['study_name']}, {machine['cpus']} CPUs "
        f"({machine['processor']}), torch {machine['torch']}, snakemake --cores {CORES}"
    )
    out.append(f"workdir: {results['workdir']}")
    out.append(
        f"load average (1 min) before / after: {machine['load_average_before']:.1f} / "
        f"{machine['load_average_after']:.1f}\n"
    )
    stages = pd.DataFrame(results["stages"])
    rows = [
        [
            r.rule,
            r.jobs,
            f"{r.wall_s:.1f}",
            f"{r.cpu_s:.1f}",
            f"{r.max_rss_mib:.0f}",
            f"{100 * r.share:.0f}%",
        ]
        for r in stages.itertuples()
    ]
    rows.append(
        [
            "all jobs",
            int(stages.jobs.sum()),
            f"{stages.wall_s.sum():.1f}",
            f"{stages.cpu_s.sum():.1f}",
            f"{stages.max_rss_mib.max():.0f}",
            "100%",
        ]
    )
    study = results.get("study")
    if study:
        rows.append(
            [
                "end to end (snakemake)",
                "",
                f"{study['wall_s']:.1f}",
                f"{study['cpu_s']:.1f}",
                f"{study['peak_tree_rss_mib']:.0f} (tree)",
                "",
            ]
        )
    out.append("Per stage (job wall and CPU summed over jobs; RSS: largest job):")
    out.append(format_rows(["rule", "jobs", "wall s", "cpu s", "max RSS MiB", "share"], rows))
    out.extend(study_report(results))
    startup = results["startup"]
    out.append(
        f"\nImport calibration (wall, best of 2): Python {startup['python_s']:.2f} s, "
        f"+ model stack imports {startup['model_stack_s']:.2f} s."
    )
    answering = results["answering"]
    out.append(
        f"\nAnswering {answering['questions']} test questions with {answering['model']} "
        f"({answering['threads']} thread): batch 64 {answering['batched_s']:.2f} s, "
        f"one at a time {answering['one_at_a_time_s']:.2f} s -> {answering['speedup']:.1f}x "
        f"(same predictions: {100 * answering['same_predictions']:.0f}%)"
    )
    prefill = results.get("prefill")
    if prefill:
        k, slick = prefill["k_shot"], prefill["slick"]
        out.append(
            f"\nPrompt tokens prefilled per question ({prefill['model']}, "
            f"{prefill['questions']} pool and test questions), plain -> shared-prefix cache: "
            f"k-shot answering {k['plain_per_question']:.1f} -> {k['cached_per_question']:.1f}; "
            f"SliCK ({slick['settings']['n_exemplar_sets']} exemplar sets x (greedy + "
            f"{slick['settings']['n_samples']} samples)) {slick['plain_per_question']:.0f} -> "
            f"{slick['cached_per_question']:.0f}. Greedy answers with the cache: "
            + (
                "identical"
                if prefill["greedy_identical"]
                else f"{prefill['differing_answers']} differ"
            )
            + f" ({prefill['plain_s']:.2f} s plain, {prefill['cached_s']:.2f} s cached)"
        )
    tune = results["finetuning"]
    gemm = results["gemm"]
    out.append(
        f"\nFine-tuning {tune['recipe']}: {tune['steps']} steps of {tune['batch_size']} "
        f"in {tune['seconds']:.2f} s ({tune['threads']} thread): "
        f"{tune['target_tokens_per_s']:.0f} target tokens/s, "
        f"{tune['real_tokens_per_s']:.0f} tokens/s, "
        f"{tune['processed_tokens_per_s']:.0f} tokens/s incl. padding"
    )
    out.append(f"  {tune.get('flops_formula', FLOPS_FORMULA)}; N = {tune['matmul_params']:,}")
    out.append(f"  -> {tune['model_flops_per_s'] / 1e9:.2f} GFLOP/s model FLOPs")
    for rate in gemm:
        shape = "x".join(map(str, rate["shape"]))
        share = tune["model_flops_per_s"] / rate["flops_per_s"]
        out.append(
            f"  float32 GEMM {shape}: {rate['flops_per_s'] / 1e9:.2f} GFLOP/s; "
            f"fine-tuning reaches {100 * share:.1f}% of it"
        )
    planning, rerun = results["planning"], results["rerun"]
    out.append(
        f"\nPlanning {planning['config']} ({planning['jobs']} jobs): {planning['wall_s']:.2f} s"
    )
    if rerun["nothing_to_do"]:
        out.append(f"Rerun with nothing changed: {rerun['wall_s']:.2f} s (nothing to be done)")
    else:
        out.append(
            f"Rerun was not a no-change rerun: it did work for {rerun['did_work_s']:.0f} s "
            f"({rerun['reason']})"
        )
    rows = []
    for target in TARGETS:
        value = lookup(results, target.key)
        digits = 3 if target.unit == "x" else 1
        shown = "-" if value is None else f"{value:.{digits}f} {target.unit}"
        limit = f"{'>=' if target.higher_is_better else '<'} {target.limit:g} {target.unit}"
        if target.aim is not None:
            limit += f" (aim {target.aim:g})"
        rows.append([target.name, shown, limit, verdict(target, value)])
    out.append(f"\nTargets on a 2-core CPU ({results['study_name']}):")
    out.append(format_rows(["target", "measured", "limit", "verdict"], rows))
    return "\n".join(out)


def study_report(results: dict[str, Any]) -> list[str]:
    """Processes, start-up share and, with a baseline, the new/old ratios."""
    study, baseline = results.get("study"), results.get("baseline")
    if not study:
        return []

    def cell(run: dict[str, Any], key: str, fmt: str) -> str:
        value = run.get(key)
        return "-" if value is None else format(value, fmt)

    runs = [("this revision", study)] + (
        [(f"baseline {baseline['rev']}", baseline)] if baseline else []
    )
    rows = [
        [
            name,
            cell(run, "wall_s", ".1f"),
            cell(run, "cpu_s", ".1f"),
            cell(run, "python_processes", "d"),
            cell(run, "startup_cpu_s", ".1f"),
            cell(run, "startup_cpu_per_process_s", ".2f"),
            "-" if run.get("startup_share") is None else f"{100 * run['startup_share']:.1f}%",
        ]
        for name, run in runs
    ]
    out = [
        "\nThe study (start-up = CPU from process start to the job's entry point, from the "
        "job logs; '-' where a revision's jobs do not record it):",
        format_rows(
            [
                "run",
                "wall s",
                "cpu s",
                "processes",
                "start-up cpu s",
                "per process s",
                "start-up share",
            ],
            rows,
        ),
    ]
    if baseline:
        ratio = results["ratios"]
        out.append("new/old: " + ", ".join(f"{k} {v:.3f}" for k, v in ratio.items()))
        labels = results["labels"]
        verdict_ = (
            "identical"
            if labels["identical"]
            else f"DIFFERENT ({len(labels['differ'])} files differ, "
            f"{labels['missing_in_baseline']} missing in the baseline)"
        )
        out.append(f"labels: {labels['files']} files, {verdict_} to the baseline's")
    return out


def machine_info() -> dict[str, Any]:
    """CPU count and model, versions, and the load average (other work slows every number)."""
    import torch

    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text() if cpuinfo.exists() else ""
    names = re.findall(r"^model name\s*: (.*)$", text, re.M)
    return {
        "cpus": os.cpu_count(),
        "processor": names[0] if names else platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "load_average_before": os.getloadavg()[0],
        "date": time.strftime("%Y-%m-%d"),
        "revision": git_revision(),
    }


def git_revision() -> str | None:
    """The commit this tree is at (``+dirty`` if tracked files differ from it)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "diff", "--quiet", "HEAD"], check=False
        ).returncode
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def main(
    argv: Sequence[str] | None = None,
    progress: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
) -> dict[str, Any]:
    from mismatch.configuration import teacher_of

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config",
        type=Path,
        default=ROOT / "config.yaml",
        help="the study's config (default: %(default)s)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="benchmark the tiny study (configs/tiny.yaml)"
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also run the study of git revision REV (same config path) and print new/old ratios",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="a completed run of the same config to measure instead of a new one",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=Path("benchmark-results.json"),
        help="where to write the results (default: %(default)s)",
    )
    parser.add_argument(
        "--study-only",
        action="store_true",
        help="measure the study (and the baseline) only: no rerun, planning or micro-benchmarks",
    )
    parser.add_argument(
        "--per-model",
        action="store_true",
        help="with --workdir (a finished real-model run): each stage's share of the job time, "
        "fine-tuning against labelling inside the student jobs, and every model's answering "
        "(questions/s) and fine-tuning (examples/s, share of the GEMM rate); no rerun",
    )
    parser.add_argument(
        "--publish",
        metavar="JSON",
        type=Path,
        help="run nothing: copy JSON (a --baseline run's results) to docs/results/benchmark.json "
        "and render the README's performance section and docs/performance.md's report from it",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="run nothing: exit 1 unless the README and docs/performance.md show what "
        "docs/results/benchmark.json renders",
    )
    args = parser.parse_args(argv)
    if args.publish or args.check:
        raise SystemExit(publish(args.publish, args.check))
    configfile = (ROOT / "configs/tiny.yaml" if args.quick else args.config).resolve()
    if args.baseline and args.workdir:
        parser.error("--baseline runs both studies; it cannot be combined with --workdir")
    config = load_study_config(configfile)
    threads = config["threads"]
    results: dict[str, Any] = {
        "study_name": str(
            configfile.relative_to(ROOT) if configfile.is_relative_to(ROOT) else configfile
        ),
        "machine": machine_info(),
    }
    scratch = Path(tempfile.mkdtemp(prefix="mismatch-benchmark-"))
    if args.workdir:
        workdir = args.workdir.resolve()
        layout = run_layout(workdir, configfile)
        if not (layout.outputs / "summary" / "summary.md").is_file():
            parser.error(f"--workdir {workdir}: not a completed run (no summary.md)")
        results["study"] = study_numbers(layout, None)
    else:
        workdir = scratch / "work"
        progress(f"running the study in {workdir} ...")
        results["study"] = measure_study(workdir, configfile)
        layout = run_layout(workdir, configfile)
    results["workdir"] = str(workdir)
    results["stages"] = stage_table(layout.benchmarks).to_dict(orient="records")
    save(results, args.json)  # after each measurement, so a failure later loses nothing
    if args.baseline:
        progress(f"running the study of {args.baseline} in {scratch / 'baseline-work'} ...")
        results["baseline"] = measure_baseline(args.baseline, configfile, scratch)
        results["ratios"] = ratios(results["study"], results["baseline"])
        baseline = scratch / "baseline-work"
        results["labels"] = compare_labels(layout.outputs, run_layout(baseline, configfile).outputs)
        save(results, args.json)
    if args.per_model:
        results.update(per_model_measurements(layout, config, threads, progress))
        save(results, args.json)
        print(per_model_report(results))
        progress(f"results written to {args.json}")
        return results
    if args.study_only:
        print("\n".join(study_report(results)).strip())
        progress(f"results written to {args.json}; runs kept under {scratch}")
        return results
    progress("timing a rerun and planning ...")
    results["rerun"] = measure_rerun(workdir, configfile)
    results["planning"] = measure_planning(GRID_CONFIG, scratch / "planning")
    save(results, args.json)
    progress("timing job start-up, answering, fine-tuning and GEMM ...")
    quiet_transformers()
    results["startup"] = measure_startup()
    student = config["students"][0]
    recipe = next(r for r in config["recipes"] if teacher_of(config, r, student) != student)
    teacher = teacher_of(config, recipe, student)
    results["answering"] = measure_answering(layout.outputs, config, teacher, threads)
    results["prefill"] = measure_prefill(layout.outputs, config, teacher, threads)
    save(results, args.json)
    results["finetuning"] = measure_finetuning(layout.outputs, config, student, recipe, 30, threads)
    tune = results["finetuning"]
    model_shape = (int(tune["mean_batch_tokens"]), tune["hidden_size"], tune["hidden_size"])
    results["gemm"] = measure_gemm([(1024, 1024, 1024), (512, 512, 512), model_shape], threads)
    results["machine"]["load_average_after"] = os.getloadavg()[0]
    results["targets"] = [
        {
            "name": t.name,
            "value": lookup(results, t.key),
            "limit": t.limit,
            "unit": t.unit,
            "verdict": verdict(t, lookup(results, t.key)),
        }
        for t in TARGETS
    ]
    save(results, args.json)
    print(report(results))
    progress(f"results written to {args.json}; runs kept under {scratch}")
    return results


def job_phases(log_dir: Path) -> dict[str, float]:
    """Seconds the student jobs spent fine-tuning (from each unit's 'fine-tuning on' line to its
    last step) and the rest (loading, labelling the test questions), from their job logs."""
    from mismatch.joblog import fine_tuning_seconds

    tuning = total = 0.0
    for log in sorted(Path(log_dir).rglob("finetune_and_label/**/*.log")):
        unit_tuning, job = fine_tuning_seconds(log.read_text(errors="replace"))
        tuning, total = tuning + unit_tuning, total + job
    return {"fine_tuning_s": tuning, "other_s": total - tuning, "jobs_s": total}


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


def per_model_report(results: dict[str, Any]) -> str:
    """The real-model benchmark as text: stage shares, phases, per-model speeds."""
    stages = pd.DataFrame(results["stages"])
    lines = [f"Study {results['study_name']}: job time per rule (summed over jobs)"]
    lines.append(
        format_rows(
            ["rule", "jobs", "wall s", "share"],
            [
                [r.rule, r.jobs, f"{r.wall_s:.0f}", f"{100 * r.share:.1f}%"]
                for r in stages.itertuples()
            ],
        )
    )
    phases = results["phases"]
    if phases["jobs_s"]:
        lines.append(
            f"Student jobs: fine-tuning {phases['fine_tuning_s']:.0f} s "
            f"({100 * phases['fine_tuning_s'] / phases['jobs_s']:.1f}%), loading and labelling "
            f"{phases['other_s']:.0f} s"
        )
    gemm = results["gemm"][0]["flops_per_s"]
    lines.append(f"float32 GEMM 1024^3: {gemm / 1e9:.1f} GFLOP/s")
    for model, numbers in results["models"].items():
        answering = numbers["answering"]
        lines.append(
            f"{model}: answering {answering['batched_questions_per_s']:.1f} questions/s batched, "
            f"{answering['questions'] / answering['one_at_a_time_s']:.1f} one at a time "
            f"({answering['questions']} test questions, k-shot)"
        )
        tune = numbers.get("finetuning")
        if tune:
            lines.append(
                f"{model}: fine-tuning {tune['examples_per_s']:.1f} examples/s, "
                f"{tune['model_flops_per_s'] / 1e9:.1f} GFLOP/s = "
                f"{100 * tune['model_flops_per_s'] / gemm:.1f}% of the GEMM rate"
            )
    return "\n".join(lines)


# ---------------------------------------------------------------- publishing


def performance_block(results: dict[str, Any]) -> str:
    """The README's performance section, rendered from a benchmark's results (a baseline run)."""
    machine, study, base = results["machine"], results["study"], results["baseline"]
    ratio, labels, prefill = results["ratios"], results["labels"], results["prefill"]
    when = f" on {machine['date']}" if machine.get("date") else ""
    gemm = next(g for g in results["gemm"] if g["shape"] == [1024, 1024, 1024])
    worlds = sum(s["jobs"] for s in results["stages"] if s["rule"] == "synthetic_world")
    share = "{:.1f}%".format
    rows = [
        ["wall time, s", f"{study['wall_s']:.0f}", f"{base['wall_s']:.0f}", ratio["wall_s"]],
        ["CPU time, s", f"{study['cpu_s']:.0f}", f"{base['cpu_s']:.0f}", ratio["cpu_s"]],
        [
            "Python processes started",
            str(study["python_processes"]),
            str(base["python_processes"]),
            ratio["python_processes"],
        ],
    ]
    lines = [
        f"Measured by `tools/benchmark.py --baseline {base['rev']}`{when}, both studies in one "
        f"run on {machine['cpus']} CPUs ({machine['processor']}), torch {machine['torch']}; "
        f"1-minute load average {machine['load_average_before']:.1f} before, "
        f"{machine['load_average_after']:.1f} after. Seconds differ 1.5-2x between machines "
        f"(this one: float32 GEMM 1024^3 at {gemm['flops_per_s'] / 1e9:.0f} GFLOP/s); the "
        "ratios are the result.",
        "",
        f"| {results['study_name']}, {worlds} worlds "
        f"| {machine.get('revision') or 'this revision'} "
        f"| {base['rev']} (before the speed work) | new/old |",
        "|---|---:|---:|---:|",
        *(f"| {name} | {new} | {old} | {r:.3f}x |" for name, new, old, r in rows),
        "",
        f"- Start-up (process start to the job's entry point, getrusage CPU, summed over "
        f"{study['python_processes']} processes): {study['startup_cpu_s']:.0f} s, "
        f"**{share(100 * study['startup_share'])}** of the study's CPU time.",
        f"- Labels: {labels['files']} files, "
        + (
            "identical to the baseline's."
            if labels["identical"]
            else "DIFFERENT from the baseline's."
        ),
        f"- Prompt tokens prefilled per question with `answering.prefix_cache`: k-shot answering "
        f"{prefill['k_shot']['plain_per_question']:.1f} -> "
        f"{prefill['k_shot']['cached_per_question']:.1f}, SliCK "
        f"{prefill['slick']['plain_per_question']:.0f} -> "
        f"{prefill['slick']['cached_per_question']:.0f}; greedy answers "
        + ("identical." if prefill["greedy_identical"] else "NOT identical."),
        f"- Batched answering (batch 64) is {results['answering']['speedup']:.1f}x one question "
        "at a time.",
    ]
    return "\n".join(lines)


PUBLISHED = ROOT / "docs" / "results" / "benchmark.json"
README = ROOT / "README.md"
PERFORMANCE = ROOT / "docs" / "performance.md"
BLOCKS = {
    README: ("<!-- performance:start -->", "<!-- performance:end -->"),
    PERFORMANCE: ("<!-- benchmark:start -->", "<!-- benchmark:end -->"),
}


def published_blocks(results: dict[str, Any]) -> dict[Path, str]:
    """What goes between each file's markers: the README's section, the full report."""
    return {README: performance_block(results), PERFORMANCE: f"```\n{report(results)}\n```"}


def with_block(text: str, markers: tuple[str, str], block: str, where: Path) -> str:
    start, end = markers
    if start not in text or end not in text:
        raise SystemExit(f"{where}: no {start} ... {end} markers")
    head, rest = text.split(start, 1)
    return f"{head}{start}\n{block}\n{end}{rest.split(end, 1)[1]}"


def publish(source: Path | None, check: bool) -> int:
    """Copy a benchmark's JSON to docs/results/ and render the README's and performance.md's
    blocks from it; with ``check``, only report whether they are current (exit status 1 if not)."""
    if source is not None:
        PUBLISHED.write_text(source.read_text())
    results = json.loads(PUBLISHED.read_text())
    stale = []
    for path, block in published_blocks(results).items():
        text = path.read_text()
        new = with_block(text, BLOCKS[path], block, path)
        if new != text:
            stale.append(path)
            if not check:
                path.write_text(new)
    if check and stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        print(
            f"{names}: not what {PUBLISHED.relative_to(ROOT)} renders; run "
            "tools/benchmark.py --publish",
            file=sys.stderr,
        )
        return 1
    return 0


def save(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
