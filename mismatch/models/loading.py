"""Loading causal language models (and optional LoRA adapters) from local directories."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from mismatch.errors import InputError
from mismatch.io import read_json

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_device(device: str) -> str:
    """``auto`` means ``cuda`` when a GPU is visible, else ``cpu``; anything else is kept."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def resolve_dtype(name: str, device: str) -> torch.dtype:
    """The torch dtype for ``name``; ``auto`` = bfloat16 (or float16) on CUDA, float32 elsewhere."""
    if name in DTYPES:
        return DTYPES[name]
    if name != "auto":
        raise InputError("dtype", f"unknown dtype {name!r}; expected auto, {', '.join(DTYPES)}")
    if not resolve_device(device).startswith("cuda"):
        return torch.float32
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def resolve_model_path(path: str | os.PathLike[str]) -> Path:
    """A model directory itself, or the directory a fetched hub model's JSON pointer names."""
    path = Path(path)
    if path.suffix != ".json":
        return path
    pointer = read_json(path)
    if not isinstance(pointer, dict) or "path" not in pointer:
        raise InputError(str(path), "not a model pointer (no 'path' key)")
    return Path(pointer["path"])


def model_source(path: str | os.PathLike[str]) -> dict[str, str | None]:
    """Where a model is loaded from, for provenance: the local directory (``path``), and for a
    fetched hub model the pointer file, hub id, requested revision and the resolved ``commit``
    (``None`` for a local directory)."""
    if Path(path).suffix != ".json":
        return {"path": str(path), "pointer": None, "hub": None, "revision": None, "commit": None}
    pointer = read_json(path)
    if not isinstance(pointer, dict) or "path" not in pointer:
        raise InputError(str(path), "not a model pointer (no 'path' key)")
    return {
        "path": str(pointer["path"]),
        "pointer": str(path),
        "hub": pointer.get("hub"),
        "revision": pointer.get("revision"),
        "commit": pointer.get("commit"),
    }


def check_model_dir(path: str | os.PathLike[str], marker: str = "config.json") -> None:
    """Raise ``InputError`` unless ``path`` (or the directory it points to) holds ``marker``."""
    path = resolve_model_path(path)
    if not Path(path).is_dir():
        raise InputError(str(path), "model directory does not exist")
    if not (Path(path) / marker).is_file():
        raise InputError(str(path), f"not a model directory (no {marker})")


def load_model(
    path: str | os.PathLike[str],
    *,
    dtype: str = "auto",
    device: str = "auto",
    device_map: str | dict | None = None,
    trust_remote_code: bool = False,
    adapter: str | os.PathLike[str] | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a model and its tokenizer from a local directory, ready for batched generation.

    ``path`` may also be a fetched hub model's JSON pointer (``results/models/<name>.json``).
    Nothing is downloaded (``local_files_only``), so jobs never touch the network.

    The model is in eval mode, optionally wrapped with the LoRA ``adapter`` (a
    ``PeftModel.from_pretrained`` directory). The tokenizer pads on the left and has a pad token
    (the eos token when it had none; a new ``<pad>`` token only when it has no eos either).
    ``device_map`` (e.g. ``"auto"``) is passed to ``from_pretrained`` and then ``device`` is unused.
    """
    path = resolve_model_path(path)
    check_model_dir(path)
    if adapter is not None:
        check_model_dir(adapter, marker="adapter_config.json")
    device = resolve_device(device)
    tokenizer = AutoTokenizer.from_pretrained(
        path, trust_remote_code=trust_remote_code, local_files_only=True
    )
    tokenizer.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(
        path,
        dtype=resolve_dtype(dtype, device),
        device_map=device_map,
        trust_remote_code=trust_remote_code,
        local_files_only=True,
    )
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is not None:
            tokenizer.pad_token = tokenizer.eos_token
        else:
            tokenizer.add_special_tokens({"pad_token": "<pad>"})
            model.resize_token_embeddings(len(tokenizer))
    if device_map is None:
        model.to(device)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter)
    model.eval()
    return model, tokenizer
