"""Where a model comes from: one registry entry per kind of model source.

A model spec in the config names exactly one source by its key (``pretrain``, ``path``, ``hub``,
``gguf``). Each entry says whether the workflow makes the model (``pretrained``), whether a rule
writes a pointer file that the jobs load from (``pointer_rule``), and what is checked while
planning, before any job runs. Adding a source is one entry here, its schema key under
``$defs/model`` in schemas/config.schema.yaml, and, for a pointer source, its rule and script.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mismatch.errors import InputError

# Model folders this project builds itself for its test configs, and the command that builds them.
BUILT_HERE = {".cache/real-tokenizers/": ".venv/bin/python tools/real_tokenizers.py"}


def _check_path(value: Any, where: str) -> None:
    """A local model directory must exist and hold a Hugging Face config."""
    directory = Path(value)
    if not directory.is_dir():
        built = [cmd for folder, cmd in BUILT_HERE.items() if folder in f"{directory.as_posix()}/"]
        hint = f": build it first with `{built[0]}`" if built else ""
        raise InputError(where, f"model directory {value} does not exist{hint}")
    if not (directory / "config.json").is_file():
        raise InputError(where, f"{value} has no config.json")


def _check_gguf(value: Any, where: str) -> None:
    from mismatch.models.gguf import check_spec

    check_spec(value, where)


def _no_check(value: Any, where: str) -> None:
    """Nothing to check before the run (a hub id is checked by its fetch job)."""


def _path_chat(value: Any) -> bool | None:
    folder = Path(value)
    config = folder / "tokenizer_config.json"
    if (folder / "chat_template.jinja").is_file():
        return True
    return "chat_template" in config.read_text() if config.is_file() else None


def _gguf_chat(value: Any) -> bool | None:
    from mismatch.models.gguf import spec_has_chat_template

    return spec_has_chat_template(value, "gguf")


def _unknown(value: Any) -> bool | None:
    """Not known before the model is fetched or made."""
    return None


@dataclass(frozen=True)
class ModelSource:
    """One kind of model source."""

    key: str  # the model spec's key that names it
    description: str
    pretrained: bool  # the workflow pretrains the model (the synthetic world only)
    pointer_rule: str | None  # the rule writing results/<study>/models/<name>.json, if any
    check: Callable[[Any, str], None]  # planning-time check of the key's value
    has_chat_template: Callable[[Any], bool | None]  # known before the run, else None


SOURCES: dict[str, ModelSource] = {
    source.key: source
    for source in (
        ModelSource("pretrain", "a tiny model pretrained here", True, None, _no_check, _unknown),
        ModelSource(
            "path", "a local Hugging Face model folder", False, None, _check_path, _path_chat
        ),
        ModelSource(
            "hub", "a Hugging Face hub id, fetched once", False, "fetch_model", _no_check, _unknown
        ),
        ModelSource(
            "gguf", "a GGUF file, converted once", False, "convert_gguf", _check_gguf, _gguf_chat
        ),
    )
}


def given_sources(spec: Mapping[str, Any]) -> list[str]:
    """The source keys a model spec names (one, in a valid config)."""
    return [key for key in SOURCES if key in spec]


def source_of(spec: Mapping[str, Any], name: str) -> ModelSource:
    """The one source of model ``name``; a one-line error naming what to drop otherwise."""
    given = given_sources(spec)
    if len(given) != 1:
        keys = ", ".join(SOURCES)
        found = " and ".join(given) if given else "none"
        raise InputError(f"models.{name}", f"give exactly one of {keys} (found {found})")
    return SOURCES[given[0]]


def load_location(spec: Mapping[str, Any], name: str, world_seed: int) -> tuple[bool, str]:
    """Where model ``name`` is loaded from: ``(True, path inside the study folder)`` for a model
    pretrained here (``w<seed>/models/<name>``) or one whose rule writes a pointer
    (``models/<name>.json``); ``(False, the spec's own path)`` otherwise."""
    source = source_of(spec, name)
    if source.pretrained:
        return True, f"w{world_seed}/models/{name}"
    if source.pointer_rule:
        return True, f"models/{name}.json"
    return False, str(spec[source.key])


def models_with_pointer_rule(models: Mapping[str, Mapping[str, Any]], rule: str) -> list[str]:
    """The models whose pointer file ``rule`` writes."""
    return [n for n, spec in models.items() if source_of(spec, n).pointer_rule == rule]
