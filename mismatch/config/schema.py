"""The config against its JSON schema: one-line errors naming the key, and the schema's defaults
filled in (the only place a default lives)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from mismatch.config.digests import PACKAGE_DIR
from mismatch.errors import InputError
from mismatch.models.sources import SOURCES, given_sources

SCHEMA_PATH = PACKAGE_DIR.parent / "schemas" / "config.schema.yaml"


def validated(config: Mapping[str, Any], schema_path: str | Path = SCHEMA_PATH) -> dict[str, Any]:
    """A copy of ``config`` checked against the schema with the schema's defaults filled in: the
    settings every stage reads (the schema is the only place a default lives)."""
    problem = schema_error(config, schema_path)
    if problem:
        raise InputError("config", problem)
    from snakemake.utils import validate  # fills in defaults exactly as the workflow does

    filled = copy.deepcopy(dict(config))
    validate(filled, str(schema_path))
    return filled


MODEL_SOURCES = tuple(SOURCES)  # mismatch.models.sources: one entry per kind of source


def drop_unset_model_sources(config: dict[str, Any]) -> None:
    """Remove model sources (and a GGUF spec's keys) set to null, so an overlay can switch a base
    config's hub model to a local directory (``hub: null`` and ``path: ...``: mappings merge, so
    the base's ``hub`` would otherwise stay)."""
    for spec in (config.get("models") or {}).values():
        if isinstance(spec, dict):
            for key in MODEL_SOURCES:
                if key in spec and spec[key] is None:
                    del spec[key]
            gguf = spec.get("gguf")
            if isinstance(gguf, dict):  # `package: null, file: null` beside `path:` likewise
                for key in [k for k, v in gguf.items() if v is None]:
                    del gguf[key]


def schema_error(config: Mapping[str, Any], schema_path: str | Path) -> str | None:
    """The most relevant JSON-schema violation of ``config`` as one line, or ``None`` (a model
    with two sources first: the schema alone would print its raw ``oneOf``)."""
    for name, spec in (config.get("models") or {}).items():
        given = given_sources(spec) if isinstance(spec, dict) else []
        if len(given) > 1:
            return (
                f"models.{name}: one model source, not {' and '.join(given)}; drop one (an "
                "overlay that replaces its base's source sets the base's to null, e.g. "
                "`hub: null` beside `path:`)"
            )
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return None
    return _describe(error)


def _describe(error: jsonschema.ValidationError) -> str:
    """Turn a jsonschema error into 'key.path: what is wrong'."""
    if error.validator == "oneOf" and error.context:
        return _describe(min(error.context, key=lambda e: len(list(e.path))))
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        prefix = f"{key}." if error.absolute_path else ""
        return f"{prefix}{unknown[0]}: unknown key{hint}"
    if error.validator == "type":
        got = f"{type(error.instance).__name__} {error.instance!r}"
        return f"{key}: expected {error.validator_value}, got {got}"
    if error.validator == "required":
        return f"{key}: {error.message}"
    return f"{key}: {error.message}"
