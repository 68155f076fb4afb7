"""Real tokenizers with tiny random-weight models, for tests and CI (docs/real-tokenizers.md).

No model weights can be downloaded here, but real vocabularies can: the llama-cpp-python source
distribution on PyPI ships llama.cpp's vocabulary-only GGUF files (``ggml-vocab-<name>.gguf``) and,
beside them, the token ids the original Hugging Face tokenizers give for 46 test strings
(``.gguf.inp`` strings separated by ``__ggml_vocab_test__`` lines, ``.gguf.out`` ids, one line per
string, encoded without special tokens). This script

1. fetches the sdist through pip (once) and extracts only the vocabularies it needs and their
   reference pairs;
2. converts each to a Hugging Face tokenizer (``AutoTokenizer.from_pretrained(dir, gguf_file=...)``,
   needs the ``gguf`` package), applies the settings that make it match the original tokenizer
   (``FIXES``), and checks every reference case (it fails unless all match);
3. builds a tiny random-weight model of the matching architecture with the real vocabulary size
   and saves model and tokenizer with ``save_pretrained`` into ``<cache>/<name>/``.

The cache is ``$MISMATCH_REAL_TOKENIZERS`` or ``.cache/real-tokenizers`` in the repository; a
fixture whose ``fixture.json`` exists is complete (each is built in a temporary folder and renamed)
and is not built again. Usage::

    .venv/bin/python tools/real_tokenizers.py            # all four (about 3-5 min the first time)
    .venv/bin/python tools/real_tokenizers.py llama-spm  # only some
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

SDIST = "llama-cpp-python==0.3.36"
SDIST_MODELS = "vendor/llama.cpp/models/"
SEPARATOR = "\n__ggml_vocab_test__\n"
ROOT = Path(__file__).resolve().parents[1]
CACHE_ENV = "MISMATCH_REAL_TOKENIZERS"
MARKER = "fixture.json"
HIDDEN_SIZE = 16

# vocabulary name -> (model architecture, what the original Hugging Face tokenizer is)
VOCABS: dict[str, tuple[str, str]] = {
    "llama-spm": ("llama", "Llama-2 (SentencePiece, 32,000 tokens)"),
    "llama-bpe": ("llama", "Llama-3 (byte-level BPE, 128,256 + 1 tokens)"),
    "gpt-2": ("gpt2", "GPT-2 (byte-level BPE, 50,257 tokens)"),
    "qwen2": ("qwen2", "Qwen2 (byte-level BPE, 151,936 ids)"),
}


def cache_dir() -> Path:
    """Where the fixtures live: ``$MISMATCH_REAL_TOKENIZERS`` or ``.cache/real-tokenizers``."""
    return Path(os.environ.get(CACHE_ENV) or ROOT / ".cache" / "real-tokenizers")


def fixture_path(name: str, cache: Path | None = None) -> Path | None:
    """The model folder of vocabulary ``name`` when it is complete, else ``None``."""
    path = (cache or cache_dir()) / name
    return path if (path / MARKER).is_file() else None


# ------------------------------------------------------------------ fetching


def fetch_vocabularies(names: Sequence[str], vocab_dir: Path, log: Callable[[str], None]) -> None:
    """Extract ``ggml-vocab-<name>.gguf`` and its ``.inp``/``.out`` from the sdist (fetched once).

    ``--no-binary llama-cpp-python`` (not ``:all:``) keeps pip from compiling the build backend's
    own dependencies from source; the file pip saves is the same sdist either way.
    """
    wanted = {f"ggml-vocab-{n}.gguf{suffix}" for n in names for suffix in ("", ".inp", ".out")}
    missing = {w for w in wanted if not (vocab_dir / w).is_file()}
    if not missing:
        return
    vocab_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as download:
        log(f"downloading the {SDIST} sdist (77 MB) with pip")
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary",
            "llama-cpp-python", SDIST, "-d", download, "-q",
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True)
        archives = list(Path(download).glob("llama_cpp_python-*.tar.gz"))
        if done.returncode != 0 or not archives:
            raise SystemExit(f"pip download {SDIST} failed: {done.stderr.strip()[-500:]}")
        with tarfile.open(archives[0]) as archive:
            for member in archive.getmembers():
                base = member.name.rsplit("/", 1)[-1]
                if base in missing and SDIST_MODELS in member.name and member.isfile():
                    source = archive.extractfile(member)
                    assert source is not None
                    partial = vocab_dir / f"{base}.partial"
                    partial.write_bytes(source.read())
                    partial.replace(vocab_dir / base)
                    missing.discard(base)
    if missing:
        raise SystemExit(f"the {SDIST} sdist lacks {sorted(missing)}")


def reference_cases(vocab_dir: Path, name: str) -> list[tuple[str, list[int]]]:
    """llama.cpp's test strings and the original tokenizer's ids (no special tokens)."""
    texts = (vocab_dir / f"ggml-vocab-{name}.gguf.inp").read_text(encoding="utf-8")
    ids = (vocab_dir / f"ggml-vocab-{name}.gguf.out").read_text(encoding="utf-8")
    inputs = texts.split(SEPARATOR)
    if inputs[-1] != "":
        raise ValueError(f"{name}: .inp does not end with a separator line")
    inputs = inputs[:-1]
    outputs = ids.split("\n")[: len(inputs)]
    if len(outputs) != len(inputs):
        raise ValueError(f"{name}: {len(inputs)} test strings but {len(outputs)} id lines")
    return [(t, [int(x) for x in line.split()]) for t, line in zip(inputs, outputs, strict=True)]


# ------------------------------------------------------------------ conversion


def _edit_backend(tokenizer: Any, edit: Callable[[dict], None]) -> None:
    """Apply ``edit`` to the JSON of the tokenizer's ``tokenizers`` backend."""
    from tokenizers import Tokenizer

    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    edit(spec)
    tokenizer._tokenizer = Tokenizer.from_str(json.dumps(spec))


def _llama2_normalizer(spec: dict) -> None:
    # Llama-2's tokenizer.json: "▁" prepended to the whole text and every space made "▁", no
    # pre-tokenizer. The converted Metaspace(prepend_scheme=first) does not prepend to a text
    # that already starts with a space, so " Hello" lost the original's leading 29871.
    spec["normalizer"] = {
        "type": "Sequence",
        "normalizers": [
            {"type": "Prepend", "prepend": "▁"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
        ],
    }
    spec["pre_tokenizer"] = None


def _llama3_model(spec: dict) -> None:
    # Llama-3's tokenizer.json sets "ignore_merges": a pre-token that is itself in the vocabulary
    # is one token (" Việt" -> 101798, not three merged pieces); and its post-processor adds
    # <|begin_of_text|> as the original does.
    spec["model"]["ignore_merges"] = True
    bos = {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}
    sequence = {"Sequence": {"id": "A", "type_id": 0}}
    spec["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [bos, sequence],
        "pair": [bos, sequence, bos, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {
            "<|begin_of_text|>": {
                "id": "<|begin_of_text|>",
                "ids": [128000],
                "tokens": ["<|begin_of_text|>"],
            }
        },
    }


def _fix_llama_spm(tokenizer: Any) -> None:
    _edit_backend(tokenizer, _llama2_normalizer)


def _fix_llama_bpe(tokenizer: Any) -> None:
    _edit_backend(tokenizer, _llama3_model)


def _fix_qwen2(tokenizer: Any) -> None:
    # Qwen2's tokenizer_config.json has no bos token (the GGUF names <|endoftext|>), so prompts
    # start without one, as with the original.
    tokenizer.bos_token = None


FIXES: dict[str, tuple[Callable[[Any], None] | None, str]] = {
    "llama-spm": (_fix_llama_spm, "normalizer Prepend('▁') + Replace(' ', '▁'), no pre-tokenizer"),
    "llama-bpe": (_fix_llama_bpe, "BPE ignore_merges; post-processor adds <|begin_of_text|>"),
    "gpt-2": (None, "none"),
    "qwen2": (_fix_qwen2, "no bos token"),
}


def convert(name: str, vocab_dir: Path) -> Any:
    """The Hugging Face tokenizer of ``ggml-vocab-<name>.gguf`` with ``FIXES`` applied."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(vocab_dir, gguf_file=f"ggml-vocab-{name}.gguf")
    fix = FIXES[name][0]
    if fix is not None:
        fix(tokenizer)
    return tokenizer


def check_cases(tokenizer: Any, cases: Sequence[tuple[str, list[int]]]) -> list[dict[str, Any]]:
    """The reference cases the tokenizer does not reproduce (empty when it matches them all)."""
    differences = []
    for text, expected in cases:
        got = tokenizer.encode(text, add_special_tokens=False)
        if got != expected:
            differences.append({"text": text, "expected": expected, "got": got})
    return differences


# ------------------------------------------------------------------ tiny models


def tiny_model(architecture: str, tokenizer: Any, seed: int = 0) -> Any:
    """A random 2-layer model (hidden size 16) with the tokenizer's full vocabulary."""
    import torch
    from transformers import (
        GPT2Config,
        GPT2LMHeadModel,
        LlamaConfig,
        LlamaForCausalLM,
        Qwen2Config,
        Qwen2ForCausalLM,
    )

    torch.manual_seed(seed)
    ids = {
        "vocab_size": len(tokenizer),
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }
    shape = {
        "hidden_size": HIDDEN_SIZE,
        "intermediate_size": 2 * HIDDEN_SIZE,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "max_position_embeddings": 512,
        "tie_word_embeddings": True,
    }
    if architecture == "llama":
        return LlamaForCausalLM(LlamaConfig(**shape, **ids))
    if architecture == "qwen2":
        return Qwen2ForCausalLM(Qwen2Config(**shape, **ids))
    if architecture == "gpt2":
        config = GPT2Config(n_embd=HIDDEN_SIZE, n_layer=2, n_head=2, n_positions=512, **ids)
        return GPT2LMHeadModel(config)
    raise ValueError(f"unknown architecture {architecture!r}")


def build(name: str, cache: Path, log: Callable[[str], None]) -> Path:
    """Convert, check and save one fixture (a no-op when it is complete already)."""
    from transformers import AutoTokenizer

    done = fixture_path(name, cache)
    if done is not None:
        log(f"{name}: cached in {done}")
        return done
    vocab_dir = cache / "vocab"
    fetch_vocabularies([name], vocab_dir, log)
    start = time.time()
    tokenizer = convert(name, vocab_dir)
    cases = reference_cases(vocab_dir, name)
    differences = check_cases(tokenizer, cases)
    if differences:
        raise SystemExit(
            f"{name}: the converted tokenizer differs from the original on {len(differences)} of "
            f"{len(cases)} reference cases, e.g. {differences[0]}"
        )
    architecture, original = VOCABS[name]
    model = tiny_model(architecture, tokenizer)
    target = cache / name
    partial = Path(tempfile.mkdtemp(prefix=f"{name}.", dir=cache))
    try:
        tokenizer.save_pretrained(partial)
        model.save_pretrained(partial)
        reloaded = check_cases(AutoTokenizer.from_pretrained(partial), cases)
        if reloaded:
            raise SystemExit(f"{name}: the saved tokenizer differs on reloading: {reloaded[0]}")
        gguf = vocab_dir / f"ggml-vocab-{name}.gguf"
        record = {
            "name": name,
            "original": original,
            "architecture": architecture,
            "source": f"{SDIST} sdist, {SDIST_MODELS}{gguf.name}",
            "gguf_sha256": hashlib.sha256(gguf.read_bytes()).hexdigest(),
            "fix": FIXES[name][1],
            "vocab_size": len(tokenizer),
            "reference_cases": len(cases),
            "reference_matches": len(cases) - len(differences),
            "parameters": sum(p.numel() for p in model.parameters()),
            "build_seconds": round(time.time() - start, 1),
        }
        (partial / MARKER).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
        if target.exists():
            shutil.rmtree(target)
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    log(
        f"{name}: {record['reference_matches']}/{record['reference_cases']} reference cases, "
        f"{record['vocab_size']} tokens, {record['parameters']} parameters, "
        f"{record['build_seconds']} s -> {target}"
    )
    return target


def report(cache: Path) -> str:
    """A markdown table of the built fixtures, from their ``fixture.json`` records."""
    lines = [
        "| vocabulary | original | ids | reference cases matched | conversion settings fixed "
        "| tiny model (parameters) |",
        "|---|---|---|---|---|---|",
    ]
    for name in VOCABS:
        path = fixture_path(name, cache)
        if path is None:
            lines.append(f"| {name} | not built | | | | |")
            continue
        r = json.loads((path / MARKER).read_text())
        r["fix"] = r["fix"].replace("|", "\\|")
        lines.append(
            f"| {name} | {r['original']} | {r['vocab_size']:,} | {r['reference_matches']}/"
            f"{r['reference_cases']} | {r['fix']} | {r['architecture']} ({r['parameters']:,}) |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"some of {', '.join(VOCABS)} (default: all)")
    parser.add_argument("--cache", type=Path, default=None, help=f"default: ${CACHE_ENV}")
    parser.add_argument("--report", action="store_true", help="print the fixtures as a table")
    args = parser.parse_args(argv)
    cache = args.cache or cache_dir()
    if args.report:
        print(report(cache))
        return 0
    cache.mkdir(parents=True, exist_ok=True)
    names = args.names or list(VOCABS)
    unknown = sorted(set(names) - set(VOCABS))
    if unknown:
        parser.error(f"unknown vocabularies {unknown}; choose from {list(VOCABS)}")
    fetch_vocabularies([n for n in names if fixture_path(n, cache) is None], cache / "vocab",
                       lambda m: print(m, flush=True))  # fmt: skip
    for name in names:
        build(name, cache, lambda m: print(m, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
