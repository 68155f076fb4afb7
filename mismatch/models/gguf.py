"""GGUF model files, by path or inside an installed package, converted once into a cached
safetensors model folder that every job loads.

transformers reads a GGUF file (``from_pretrained(folder, gguf_file=name)``) and dequantizes it
to float weights; that takes seconds to a minute on a CPU, a reload of the saved folder a fraction
of a second. The folder is keyed by the file's sha256 and the dtype, under a cache outside the
study (``gguf_cache``), so rerunning, moving or cloning a study never converts again.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata as metadata
import json
import os
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mismatch.errors import InputError

PROVENANCE = "gguf_provenance.json"


def default_cache() -> Path:
    """The user's cache of converted GGUF models: ``$XDG_CACHE_HOME/mismatch/gguf``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mismatch" / "gguf"


def _package_file(package: str, file: str, where: str) -> Path | None:
    """``file`` as installed by distribution ``package`` (None where the package does not ship
    it); a one-line error where the package is not installed."""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        raise InputError(where, f"package {package!r} is not installed (pip install it)") from None
    for entry in dist.files or []:
        if Path(str(entry)).name == file:
            return Path(str(dist.locate_file(entry)))
    return None


def _assembler(package: str, where: str) -> Any:
    """The module of ``package`` whose ``assemble(output_path=...)`` writes its GGUF file."""
    dist = metadata.distribution(package)
    top_level = (dist.read_text("top_level.txt") or package.replace("-", "_")).split()
    module = importlib.import_module(top_level[0])
    if not callable(getattr(module, "assemble", None)):
        raise InputError(where, f"package {package!r} ships no such file and has no assemble()")
    return module


def check_spec(spec: Mapping[str, Any], where: str) -> None:
    """Refuse, in one line, a GGUF spec whose file cannot be had (before any job runs)."""
    if "path" in spec:
        path = Path(spec["path"])
        if not path.is_file():
            raise InputError(f"{where}.path", f"no such GGUF file {path}")
        return
    if "package" not in spec or "file" not in spec:
        raise InputError(where, "give path, or package and file")
    if _package_file(spec["package"], spec["file"], where) is None:
        module = _assembler(spec["package"], where)
        name = getattr(module, "MODEL_NAME", None)
        if name is not None and name != spec["file"]:
            raise InputError(
                f"{where}.file",
                f"package {spec['package']!r} assembles {name!r}, not {spec['file']!r}",
            )


def shipped_file(spec: Mapping[str, Any], where: str) -> Path | None:
    """The GGUF file of ``spec`` where it already exists (a path, or a file a package ships);
    None where a package's ``assemble()`` writes it first."""
    if "path" in spec:
        return Path(spec["path"])
    return _package_file(spec["package"], spec["file"], where)


def has_chat_template(path: Path) -> bool:
    """Whether a GGUF file carries a chat template (instruct models do, base models do not)."""
    from gguf import GGUFReader

    return "tokenizer.chat_template" in GGUFReader(path).fields


def locate(spec: Mapping[str, Any], cache: Path, where: str) -> Path:
    """The GGUF file of ``spec``: its ``path``, the file a package ships, or the file the
    package's own ``assemble()`` writes (into ``cache``; it checks its sha256)."""
    check_spec(spec, where)
    if "path" in spec:
        return Path(spec["path"])
    shipped = _package_file(spec["package"], spec["file"], where)
    if shipped is not None:
        return shipped
    module = _assembler(spec["package"], where)
    cache.mkdir(parents=True, exist_ok=True)
    return Path(module.assemble(output_path=cache / "assembled" / spec["file"]))


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
