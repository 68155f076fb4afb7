"""Targets the config does not describe: another study's file, a world or model it does not list.

The workflow has one catch-all rule (rules/targets.smk) whose output matches only such paths under
``results/``; its input function stops planning with the line ``target_problem`` writes, which
names the config that does describe the target, instead of Snakemake's bare "No rule to produce"
or, for an unlisted world, a plan for that world.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from mismatch.studies import RESULTS_ROOT

_MODEL_DIRS = r"(?:answers|categories|knows/[^/]+|probes|truth)"


def _one_of(values: Iterable[object]) -> str:
    return "|".join(re.escape(str(v)) for v in values)


def foreign_pattern(study: str, worlds: Iterable[int], models: Iterable[str]) -> str:
    """A regex for the path below ``results/`` of a target this config does not describe: another
    study's folder, a world not in ``seeds.world``, a model not in ``models``."""
    here = re.escape(study)
    return (
        rf"(?!{here}/)[^/]+/.+"
        rf"|{here}/(?:logs/|benchmarks/)?w(?!(?:{_one_of(worlds)})/)\d+/.+"
        rf"|{here}/w\d+/{_MODEL_DIRS}/(?!(?:{_one_of(models)})[/.])[^/]+(?:/.*)?"
    )


def config_of_study(name: str, repo: str | Path) -> str | None:
    """The config file of study ``name`` in this checkout (``config.yaml`` for the default, a
    file of ``configs/`` with that stem or ``study:`` key), or None."""
    repo = Path(repo)
    if name == "default":
        return "config.yaml"
    for path in sorted((repo / "configs").glob("*.yaml")):
        if path.stem == name:
            return f"configs/{path.name}"
    for path in sorted((repo / "configs").glob("*.yaml")):
        try:
            own = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(own, dict) and own.get("study") == name:
            return f"configs/{path.name}"
    return None


def target_problem(
    path: str,
    study: str,
    worlds: Iterable[int],
    models: Iterable[str],
    source: str,
    repo: str | Path,
) -> str:
    """One line saying why ``results/<path>`` is not a target of this config, and what to do."""
    target = f"{RESULTS_ROOT}/{path}"
    other = path.split("/", 1)[0]
    if other != study:
        config = config_of_study(other, repo)
        if config == "config.yaml":
            hint = "run it without --configfile (the embedded config.yaml)"
        elif config:
            hint = f"add --configfile {config}"
        else:
            hint = f"add the --configfile of study {other!r} (or --config study={other})"
        return f"{target}: belongs to study {other!r}, not {study!r} ({source}); {hint}"
    world = re.search(r"(?:^|/)w(\d+)/", path.split("/", 1)[1])
    listed = [int(w) for w in worlds]
    if world and int(world.group(1)) not in listed:
        return (
            f"{target}: world {world.group(1)} is not in seeds.world {listed} of "
            f"{source}; add it there or name a listed world"
        )
    return (
        f"{target}: names a model that is not in models ({', '.join(models)}) of "
        f"{source}; check the name"
    )
