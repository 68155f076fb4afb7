"""GGUF model files, by path or inside an installed package, converted once into a cached
safetensors model folder that every job loads.

transformers reads a GGUF file (``from_pretrained(folder, gguf_file=name)``) and dequantizes it
to float weights; that takes seconds to a minute on a CPU, a reload of the saved folder a fraction
of a second. The folder is keyed by the file's sha256 and the dtype, under a cache outside the
study (``gguf_cache``), so rerunning, moving or cloning a study never converts again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import json
import os
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mismatch.errors import InputError
from mismatch.models.gguf_files import has_chat_template, metadata_keys, package_parts

PROVENANCE = "gguf_provenance.json"


def default_cache() -> Path:
    """The user's cache of converted GGUF models: ``$XDG_CACHE_HOME/mismatch/gguf``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mismatch" / "gguf"


def check_spec(spec: Mapping[str, Any], where: str) -> None:
    """Refuse, in one line, a GGUF spec whose file cannot be had or is not GGUF (before any job
    runs; the package's files are found through its RECORD, its code never runs)."""
    parts = spec_parts(spec, where)
    metadata_keys(parts, f"{where}: {parts[0]}")


def spec_parts(spec: Mapping[str, Any], where: str) -> list[Path]:
    """The installed file(s) making up the GGUF file of ``spec``: its ``path``, the file a
    package ships, or the chunks it ships for the workflow to assemble."""
    if "path" in spec:
        path = Path(spec["path"])
        if not path.is_file():
            raise InputError(f"{where}.path", f"no such GGUF file {path}")
        return [path]
    if "package" not in spec or "file" not in spec:
        raise InputError(where, "give path, or package and file")
    return package_parts(spec["package"], spec["file"], where)


def spec_has_chat_template(spec: Mapping[str, Any], where: str) -> bool | None:
    """Whether the GGUF file of ``spec`` carries a chat template (None where it cannot be read:
    the planning check of the file itself says why)."""
    try:
        return has_chat_template(spec_parts(spec, where))
    except (InputError, OSError):
        return None


def locate(spec: Mapping[str, Any], cache: Path, where: str) -> Path:
    """The GGUF file of ``spec``: its ``path``, the file a package ships, or the file assembled
    (once, atomically) from the chunks a package ships, under ``cache``."""
    parts = spec_parts(spec, where)
    if len(parts) == 1:
        return parts[0]
    target = cache / "assembled" / spec["file"]
    if target.is_file() and target.stat().st_size == sum(p.stat().st_size for p in parts):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    with open(staging, "wb") as out:
        for part in parts:
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)
    os.replace(staging, target)
    return target


def sha256_of(path: Path) -> str:
    """The file's sha256, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of the libraries that read and write the converted weights."""
    names = ("transformers", "gguf", "torch", "safetensors")
    return {name: metadata.version(name) for name in names}


def converted_folder(cache: Path, sha256: str, dtype: str) -> Path:
    """Where the conversion of a file with ``sha256`` to ``dtype`` lives in ``cache``."""
    return cache / f"{sha256[:16]}-{dtype}"


def convert(spec: Mapping[str, Any], cache: str | Path | None, dtype: str, where: str) -> dict:
    """The converted model folder of ``spec`` (converting once), with its provenance: the GGUF
    file, its sha256, the package and version, the dtype and the library versions."""
    cache = Path(cache).expanduser() if cache else default_cache()
    source = locate(spec, cache, where)
    sha256 = sha256_of(source)
    folder = converted_folder(cache, sha256, dtype)
    record = folder / PROVENANCE
    if record.is_file():
        return json.loads(record.read_text())
    provenance = {
        "path": str(folder),
        "gguf_file": str(source),
        "sha256": sha256,
        "package": spec.get("package"),
        "package_version": metadata.version(spec["package"]) if "package" in spec else None,
        "dtype": dtype,
        "libraries": library_versions(),
        "converted_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    staging = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    _save_dequantized(source, staging, dtype)
    (staging / PROVENANCE).write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    try:
        staging.rename(folder)  # atomic: a folder with its record is a finished conversion
    except OSError:  # another job converted it meanwhile
        shutil.rmtree(staging, ignore_errors=True)
    return json.loads(record.read_text())


def _save_dequantized(source: Path, folder: Path, dtype: str) -> None:
    """Load the GGUF file with transformers (dequantized) and save model and tokenizer as a
    safetensors folder; the generation config stops at the chat template's end of turn too."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
    model = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name)
    model.hf_quantizer = None  # the weights are dequantized floats: save them as such
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    if dtype != "auto":
        model.to(getattr(torch, dtype))
    end = end_of_turn_id(tokenizer)
    eos = model.generation_config.eos_token_id
    stops = [eos] if isinstance(eos, int) else list(eos or [])
    if end is not None and end not in stops:
        model.generation_config.eos_token_id = [*stops, end]
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def end_of_turn_id(tokenizer: Any) -> int | None:
    """The token a chat template puts after an assistant message (``<|im_end|>``,
    ``<end_of_turn>``), or None without a chat template."""
    if not getattr(tokenizer, "chat_template", None):
        return None
    marker = "XQZ"
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "a"}, {"role": "assistant", "content": marker}],
        tokenize=False,
    )
    after = text.split(marker, 1)[1]
    ids = tokenizer(after, add_special_tokens=False)["input_ids"]
    return ids[0] if ids else None
