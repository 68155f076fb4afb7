"""Time every model stage of configs/paper.yaml on one GPU with the paper's architectures.

No Llama-2 weights can be fetched here or on a lent GPU machine, but timing depends on the
architecture, the tokens and the settings, not on the weights' values. So this builds Llama-2-7B
and Llama-2-13B with random weights (the published shapes, bfloat16) and the real Llama-2
tokenizer (the `llama-spm` fixture of tools/real_tokenizers.py), and runs the library functions the
workflow's jobs call, with the paper config's settings, on TriviaQA-fixture questions:

    answer      k-shot greedy answering (mismatch.answers.answering.answer_questions), both models
    categories  SliCK's greedy and sampled generations
    (mismatch.knowing.slick.measure_correctness), 7B
    finetune    LoRA fine-tuning (mismatch.training.finetune.finetune, from a saved checkpoint), 7B
    label       the fine-tuned student answering zero-shot
    (mismatch.training.labels.evaluate_student), 7B

Random weights almost never emit a newline, so every generation runs to max_new_tokens: the
answering rates are upper bounds on a real model's, which stops after a short answer. The JSON
records seconds and units of work per stage, the start-up (imports and the first CUDA call) and the
loading time, for `mismatch.gpu_timing` to turn into rates and compare with a plan's requests:

    python3 tools/measure_gpu_rates.py --json h200-run1.json   # on the GPU machine
    .venv/bin/python tools/measure_gpu_rates.py --plan configs/paper.yaml  # here: the table
    .venv/bin/python tools/measure_gpu_rates.py --plan configs/paper.yaml --check DOC

`--plan` dry-runs the config with `--profile slurm`, sizes each GPU job's work as the rules do,
and prints each rule's request against the runtimes the measured runs give, with the rates fitted
from them; `--write DOC` puts the table between DOC's `<!-- gpu-plan:start/end -->` markers and
`--check DOC` fails when the table there differs.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

FIXTURE = ROOT / "tests" / "fixtures" / "trivia_qa" / "rc.nocontext"
ARCHITECTURES = {  # Llama-2's published shapes (config.json of meta-llama/Llama-2-{7,13}b-hf)
    "llama2-7b": {"hidden_size": 4096, "intermediate_size": 11008, "layers": 32, "heads": 32},
    "llama2-13b": {"hidden_size": 5120, "intermediate_size": 13824, "layers": 40, "heads": 40},
}
TINY = {"hidden_size": 64, "intermediate_size": 128, "layers": 2, "heads": 4}  # --smoke, on a CPU
SMOKE = "--smoke" in sys.argv
DEVICE = "cpu" if SMOKE else "cuda"


def fixture_questions(split: str, n: int):
    """``n`` TriviaQA-fixture questions of ``split``, the fixture's rows repeated under new ids."""
    import pandas as pd
    import pyarrow.parquet as pq

    from mismatch.questions.triviaqa import to_questions

    rows = to_questions(pq.read_table(next(FIXTURE.glob(f"{split}-*.parquet"))).to_pylist())
    copies = []
    for i in range(-(-n // len(rows))):
        copy = rows.copy()
        copy["question_id"] = f"{split}-" + copy["question_id"] + f"-{i}"
        copies.append(copy)
    return pd.concat(copies, ignore_index=True).iloc[:n].reset_index(drop=True)


def random_llama(name: str, tokenizer):
    """A Llama-2 model of ``name``'s shape with random bfloat16 weights, on the GPU."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    shape = TINY if SMOKE else ARCHITECTURES[name]
    config = LlamaConfig(
        vocab_size=32000,
        hidden_size=shape["hidden_size"],
        intermediate_size=shape["intermediate_size"],
        num_hidden_layers=shape["layers"],
        num_attention_heads=shape["heads"],
        num_key_value_heads=shape["heads"],
        max_position_embeddings=4096,
        rms_norm_eps=1e-5,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device(DEVICE):
            model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    return model.eval()


def timed_stage(results: dict, path: Path, key: str, units: float, call, **extra):
    """Run ``call``, store its seconds, units and peak GPU memory under ``results["stages"]
    [key]``; its value back. The results so far are written to ``path`` after each stage,
    marked incomplete until the last."""
    import torch

    gpu = torch.cuda.is_available()
    if gpu:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    value = call()
    if gpu:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**30 if gpu else 0.0
    stage = {"seconds": round(seconds, 3), "units": units, "peak_gib": round(peak, 2), **extra}
    results["stages"][key] = stage
    print(key, stage, flush=True)
    save({**results, "complete": False}, path)
    return value


def measure(args: argparse.Namespace) -> dict:
    """Every stage's seconds and units (see the module's docstring)."""
    import torch
    import yaml

    from mismatch.answers.answering import answer_questions, choose_exemplars
    from mismatch.answers.prompting import PromptFormat
    from mismatch.knowing.slick import SlickSettings, measure_correctness
    from mismatch.models.loading import load_model
    from mismatch.questions.user_sets import question_keys
    from mismatch.training.finetune import FinetuneSettings, LoraSettings, finetune
    from mismatch.training.labels import evaluate_student

    config = yaml.safe_load((ROOT / "configs" / "paper.yaml").read_text())
    answering, tuning = config["answering"], config["finetune"]
    slick = config["knowledge_categories"]
    prompt = PromptFormat(*(config["prompt"][k] for k in PromptFormat.__dataclass_fields__))
    torch.ones(1, device=DEVICE)  # the first CUDA call belongs to a job's start-up
    results = {
        "gpu": torch.cuda.get_device_name() if DEVICE == "cuda" else "none (--smoke)",
        "torch": torch.__version__,
        "startup_s": round(time.perf_counter() - STARTED, 2),
        "settings": {"answering": answering, "finetune": tuning, "knowledge_categories": slick},
        "stages": {},
    }
    import transformers

    results["transformers"] = transformers.__version__
    stages = results["stages"]
    timed = functools.partial(timed_stage, results, args.json)
    _, tokenizer = load_model(args.tokenizer, device="cpu")
    pool = fixture_questions("train", args.questions)
    test = fixture_questions("validation", args.questions)
    exemplars = choose_exemplars(fixture_questions("validation", 27), 4, 0)
    exemplars["question_id"] = "x" + exemplars["question_id"]
    generate = {key: answering[key] for key in ("batch_size", "max_new_tokens")}
    with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
        settings = SlickSettings(
            n_exemplar_sets=2, n_exemplars=slick["n_exemplars"], n_samples=slick["n_samples"],
            temperature=slick["temperature"], seed=0,
        )  # fmt: skip
        asked = test.iloc[: args.slick_questions]
        # the fixture's train and validation share two question texts
        formats = pool[~question_keys(pool).isin(set(question_keys(asked)))]
        student = Path(scratch) / "llama2-7b"
        for name in ("llama2-13b", "llama2-7b"):
            model = timed(f"build/{name}", 0, lambda n=name: random_llama(n, tokenizer))
            results.setdefault("params", {})[name] = sum(p.numel() for p in model.parameters())
            answers = timed(
                f"answer/{name}", len(pool),
                lambda m=model: answer_questions(m, tokenizer, pool, exemplars, prompt, **generate),
            )  # fmt: skip
            stages[f"answer/{name}"]["stopped"] = float(answers["stopped"].mean())
            if name == "llama2-7b":
                units = len(asked) * settings.n_exemplar_sets * (1 + settings.n_samples)
                timed(
                    f"categories/{name}", units,
                    lambda m=model: measure_correctness(
                        m, tokenizer, asked, formats, prompt, settings, **generate
                    ),
                )  # fmt: skip
                timed(f"save/{name}", 0, lambda m=model: m.save_pretrained(student))
                tokenizer.save_pretrained(student)
            del model
            if DEVICE == "cuda":
                torch.cuda.empty_cache()
        timed("load/llama2-7b", 0, lambda: load_model(student, dtype="bfloat16"))
        recipe = pool.copy()
        recipe["target"] = [a[0] if i % 2 else None for i, a in enumerate(recipe["answers"])]
        lora = tuning["lora"]
        fine = FinetuneSettings(
            steps=args.steps, batch_size=tuning["batch_size"],
            learning_rate=tuning["learning_rate"], max_length=tuning["max_length"],
            gradient_accumulation=tuning["gradient_accumulation"], warmup_steps=2,
            weight_decay=0.0, gradient_checkpointing=tuning["gradient_checkpointing"],
            checkpoint_every=10**6, lr_schedule="constant", max_grad_norm=1.0,
        )  # fmt: skip
        adapter = Path(scratch) / "adapter"
        per_step = fine.batch_size * fine.gradient_accumulation
        timed(
            "finetune/llama2-7b", args.steps * per_step,
            lambda: finetune(
                student, recipe, prompt,
                LoraSettings(
                    lora["r"], lora["alpha"], lora["dropout"], tuple(lora["target_modules"])
                ),
                fine, 0, adapter, log=lambda _: None, dtype="bfloat16",
            ),
            steps=args.steps, examples_per_step=per_step, includes="loading",
        )  # fmt: skip
        labels = timed(
            "label/llama2-7b", len(test),
            lambda: evaluate_student(student, adapter, test, prompt, dtype="bfloat16", **generate),
            includes="loading",
        )  # fmt: skip
        stages["label/llama2-7b"]["stopped"] = float(labels["stopped"].mean())
    results["total_s"] = round(time.perf_counter() - STARTED, 1)
    results["complete"] = True
    return results


def save(results: dict, path: Path) -> None:
    """Write ``results`` to ``path`` through a temporary file."""
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(results, indent=1) + "\n")
    partial.replace(path)


MEASURED = ROOT / "docs" / "results" / "gpu-timing"
MARKERS = ("<!-- gpu-plan:start -->", "<!-- gpu-plan:end -->")


def dry_run(configfile: Path) -> str:
    """``snakemake -n --profile slurm`` of ``configfile`` in a scratch folder, its output."""
    import os
    import subprocess

    with tempfile.TemporaryDirectory() as work:
        run = subprocess.run(
            [sys.executable, "-m", "snakemake", "-n", "--profile", "slurm", "--directory", work,
             "--configfile", str(configfile.resolve())],
            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )  # fmt: skip
    if run.returncode != 0:
        raise SystemExit(f"dry run of {configfile} failed:\n{run.stderr[-3000:]}")
    return run.stdout + run.stderr


def plan(configfile: Path, runs_dir: Path = MEASURED):
    """The request table of ``configfile``'s GPU jobs (``gpu_timing.request_table``) and its
    Markdown, with the rates fitted from the measured runs in ``runs_dir``."""
    from mismatch.configuration import expand_sweeps, layered_config, validated
    from mismatch.gpu_timing import (
        Measurement,
        fitted_rates,
        planned_jobs,
        request_markdown,
        request_table,
    )

    runs = [Measurement.read(path) for path in sorted(runs_dir.glob("*.json"))]
    config = validated(layered_config([configfile]))
    expand_sweeps(config)  # as the workflow holds it: a grid's cells are recipes
    table = request_table(config, planned_jobs(dry_run(configfile)), runs)
    fitted = fitted_rates(runs)
    floors = {stage: f" (floor {rate['floor']} s per unit)" for stage, rate in fitted.items()
              if "floor" in rate}  # fmt: skip
    rates = ", ".join(
        f"{stage} {rate['per_b']}{floors.get(stage, '')}" for stage, rate in fitted.items()
    )
    shown = configfile.resolve()
    shown = shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown
    return table, (
        f"`{shown.as_posix()}` on {runs[0].gpu}, {len(runs)} measured runs "
        f"({', '.join(r.name for r in runs)}); fitted seconds per unit per billion parameters: "
        f"{rates}.\n\n{request_markdown(table, runs)}"
    )


def with_table(text: str, table: str, doc: Path) -> str:
    """``text`` with ``table`` between its markers."""
    start, end = MARKERS
    if start not in text or end not in text:
        raise SystemExit(f"{doc}: no {start} ... {end} block")
    before, rest = text.split(start, 1)
    return f"{before}{start}\n{table}\n{end}{rest.split(end, 1)[1]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="measure on this machine's GPU, write here")
    parser.add_argument("--tokenizer", type=Path, default=ROOT / ".cache/real-tokenizers/llama-spm")
    parser.add_argument("--questions", type=int, default=512, help="questions answered per model")
    parser.add_argument("--slick-questions", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20, help="fine-tuning optimizer steps")
    parser.add_argument("--scratch", type=Path, default=None, help="where the 7B is saved")
    parser.add_argument("--smoke", action="store_true", help="tiny shapes on the CPU: a dry run")
    parser.add_argument("--plan", type=Path, help="a config: its GPU jobs' requests vs measured")
    parser.add_argument("--write", type=Path, help="with --plan: put the table in this doc")
    parser.add_argument("--check", type=Path, help="with --plan: fail if this doc's table differs")
    args = parser.parse_args()
    if args.plan:
        _, table = plan(args.plan)
        for doc in filter(None, (args.write, args.check)):
            text = doc.read_text()
            if with_table(text, table, doc) != text:
                if args.check:
                    print(f"{doc}: the GPU plan table is stale; rerun with --write {doc}")
                    return 1
                doc.write_text(with_table(text, table, doc))
        print(table)
        return 0
    if args.json is None:
        parser.error("give --json (measure) or --plan (compare)")
    save(measure(args), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
