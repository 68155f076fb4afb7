"""A config as files in layers: `extends:` a base, `remove:` keys of it, merged in order with the
command line's values last."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from mismatch.errors import InputError

EXTENDS = "extends"


REMOVE = "remove"  # keys of the base an overlay deletes


def load_layered(path: str | Path) -> dict[str, Any]:
    """A config file with its ``extends:`` chain resolved (bases first, this file merged over).

    ``extends`` names a base file relative to the directory of the file that names it; chains are
    allowed, cycles are an error naming the files. ``remove`` lists dotted keys of the base to
    delete before this file is merged over it (``recipes.gold``): a mapping merge cannot.
    """
    return _load_layer(Path(path), [])


def _load_layer(path: Path, chain: list[Path]) -> dict[str, Any]:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in [*chain[chain.index(resolved) :], resolved])
        raise InputError(str(chain[-1]), f"extends cycle: {cycle}")
    if not path.is_file():
        where = f"{chain[-1]}: {EXTENDS}" if chain else "config"
        raise InputError(where, f"no such config file {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
        problem = getattr(err, "problem", None) or " ".join(str(err).split())
        raise InputError(where, f"not valid YAML ({problem}); fix the file there") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(str(path), "a config file must be a mapping of keys")
    base = data.pop(EXTENDS, None)
    removed = data.pop(REMOVE, [])
    if base is None:
        if removed:
            raise InputError(f"{path}: {REMOVE}", f"needs {EXTENDS}: a base to remove keys from")
        return data
    if not isinstance(base, str):
        raise InputError(f"{path}: {EXTENDS}", f"expected a file path, got {base!r}")
    merged = _load_layer(path.parent / base, [*chain, resolved])
    for key in removed if isinstance(removed, list) else [removed]:
        _remove(merged, str(key), f"{path}: {REMOVE}")
    return deep_merge(merged, data)


def _remove(config: dict[str, Any], dotted: str, where: str) -> None:
    """Delete the key at ``dotted`` (e.g. ``recipes.gold``) from the base ``config``; then the
    schema's default applies, unless the overlay sets it again."""
    *parents, last = dotted.split(".")
    node: Any = config
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict) or last not in node:
        raise InputError(where, f"{dotted!r} is not a key of the base config")
    del node[last]


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """``overlay`` over ``base``: mappings merge recursively; lists and scalars replace."""
    merged = copy.deepcopy(dict(base))
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = _plain(value)
    return merged


def _plain(value: Any) -> Any:
    """Plain dicts and lists all the way down (Snakemake's --config values are frozen maps)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return copy.deepcopy(value)


def layered_config(
    configfiles: Iterable[str | Path], command_line: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The config the workflow runs: each file's layers resolved, the files merged in order, then
    the command line's ``--config`` values merged over them (they win)."""
    merged: dict[str, Any] = {}
    for path in configfiles:
        merged = deep_merge(merged, load_layered(path))
    return deep_merge(merged, command_line or {})


def override_scalars(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``--config`` overrides with the strings inside nested values parsed as YAML scalars.

    Snakemake parses a top-level ``--config key=4`` as a number, but the values inside
    ``--config 'finetune={lora: {r: 4}}'`` stay strings ('4'); this turns them into what the same
    text means in a config file (4, 0.5, true, null), leaving other strings as they are.
    """

    def parse(value: Any, nested: bool) -> Any:
        if isinstance(value, Mapping):
            return {k: parse(v, True) for k, v in value.items()}
        if isinstance(value, list):
            return [parse(v, True) for v in value]
        if nested and isinstance(value, str):
            try:
                parsed = yaml.safe_load(value)
            except yaml.YAMLError:
                return value
            if parsed is None or isinstance(parsed, bool | int | float):
                return parsed
        return value

    return {key: parse(value, False) for key, value in overrides.items()}
