"""Fine-tune and label the real-tokenizer fixtures on one device and dtype; write the numbers.

For docs/real-tokenizers.md: run it on the CPU in float32 and on a GPU in bfloat16 (and float32),
then compare the JSON files (``--compare``). Per vocabulary: a LoRA student fine-tuned for a few
steps on TriviaQA-fixture questions (gold answers and abstentions), then labelled on others; the
library functions the workflow's jobs call, without Snakemake. Nothing depends on it.

    .venv/bin/python tools/real_tokenizers_device.py --device cpu --dtype float32 --json cpu.json
    python3 tools/real_tokenizers_device.py --device cuda --dtype bfloat16 --json gpu-bf16.json
    .venv/bin/python tools/real_tokenizers_device.py --compare cpu.json gpu-bf16.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

FIXTURE = ROOT / "tests" / "fixtures" / "trivia_qa" / "rc.nocontext"


def questions():
    """Train rows (the recipe: even rows answered, odd rows abstain) and validation rows."""
    import pyarrow.parquet as pq

    from mismatch.questions.triviaqa import to_questions

    sets = {}
    for split in ("train", "validation"):
        rows = pq.read_table(next(FIXTURE.glob(f"{split}-*.parquet"))).to_pylist()
        sets[split] = to_questions(rows)
    recipe = sets["train"].iloc[:16].reset_index(drop=True)
    recipe["target"] = [a[0] if i % 2 == 0 else None for i, a in enumerate(recipe["answers"])]
    return recipe, sets["validation"].iloc[:16].reset_index(drop=True)


def run(names: list[str], device: str, dtype: str, cache: Path | None) -> dict:
    import real_tokenizers
    import torch

    from mismatch.answers.prompting import PromptFormat
    from mismatch.training.finetune import FinetuneSettings, LoraSettings, finetune
    from mismatch.training.labels import evaluate_student

    torch.set_num_threads(1)
    recipe, test = questions()
    prompt = PromptFormat(
        "Question: {question}\nAnswer:", " {answer}", " I don't know."
    )  # the schema's defaults
    settings = FinetuneSettings(steps=8, batch_size=4, learning_rate=1e-2, warmup_steps=1)
    results = {"device": device, "dtype": dtype, "torch": torch.__version__, "models": {}}
    if device == "cuda":
        results["gpu"] = torch.cuda.get_device_name()
    for name in names:
        path = real_tokenizers.fixture_path(name, cache)
        if path is None:
            raise SystemExit(f"no fixture {name}: run tools/real_tokenizers.py")
        with tempfile.TemporaryDirectory() as out:
            if device == "cuda":
                torch.cuda.reset_peak_memory_stats()
            start = time.perf_counter()
            metrics = finetune(
                path, recipe, prompt, LoraSettings(r=4, alpha=8), settings, 0, out,
                log=lambda _: None, device=device, dtype=dtype,
            )  # fmt: skip
            trained = time.perf_counter() - start
            answers = evaluate_student(
                path, out, test, prompt, batch_size=8, max_new_tokens=8, device=device, dtype=dtype
            )
            labelled = time.perf_counter() - start - trained
        peak = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else None
        results["models"][name] = {
            "finetune_s": round(trained, 2),
            "label_s": round(labelled, 2),
            "peak_gpu_mib": None if peak is None else round(peak, 1),
            "losses": [round(m["loss"], 5) for m in metrics],
            "predictions": answers["prediction"].tolist(),
        }
        print(name, results["models"][name]["finetune_s"], results["models"][name]["label_s"],
              peak, flush=True)  # fmt: skip
    return results


def compare(a: dict, b: dict) -> list[str]:
    """One line per vocabulary: largest loss difference and how many predictions agree."""
    lines = [f"{a['device']} {a['dtype']} vs {b['device']} {b['dtype']}"]
    for name, x in a["models"].items():
        y = b["models"].get(name)
        if y is None:
            continue
        diff = max(abs(p - q) for p, q in zip(x["losses"], y["losses"], strict=True))
        same = sum(p == q for p, q in zip(x["predictions"], y["predictions"], strict=True))
        lines.append(
            f"{name}: max |loss difference| {diff:.5f} over {len(x['losses'])} steps "
            f"(first loss {x['losses'][0]:.4f} vs {y['losses'][0]:.4f}); "
            f"{same}/{len(x['predictions'])} predictions identical"
        )
    return lines


def table(runs: list[dict]) -> str:
    """Markdown: per vocabulary and run, time, peak GPU memory, and agreement with the first run."""
    base = runs[0]
    lines = [
        "| vocabulary | run | fine-tune s | label s | peak GPU MiB | max loss diff vs "
        f"{base['device']} {base['dtype']} | predictions equal to it |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, ref in base["models"].items():
        for run_ in runs:
            m = run_["models"].get(name)
            if m is None:
                continue
            diff = max(abs(p - q) for p, q in zip(ref["losses"], m["losses"], strict=True))
            same = sum(p == q for p, q in zip(ref["predictions"], m["predictions"], strict=True))
            peak = "" if m["peak_gpu_mib"] is None else f"{m['peak_gpu_mib']:.0f}"
            lines.append(
                f"| {name} | {run_['device']} {run_['dtype']} | {m['finetune_s']:.1f} | "
                f"{m['label_s']:.1f} | {peak} | {diff:.5f} | {same}/{len(m['predictions'])} |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--names", nargs="*", default=["llama-spm", "llama-bpe", "gpt-2", "qwen2"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path)
    parser.add_argument("--table", nargs="+", type=Path, help="JSON files, the reference first")
    args = parser.parse_args()
    if args.table:
        print(table([json.loads(p.read_text()) for p in args.table]))
        return 0
    if args.compare:
        a, b = (json.loads(p.read_text()) for p in args.compare)
        print("\n".join(compare(a, b)))
        return 0
    results = run(args.names, args.device, args.dtype, args.cache)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
