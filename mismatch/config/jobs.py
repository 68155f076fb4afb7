"""How the model stages' units are grouped into jobs: one rule per stage, whose job takes a list of
units (``answering.job_per``, ``finetune.job_per``); a job of one unit is a list of one.

Read by the rules (``rules/common.smk``) and by the GPU plan check alike. ``wildcards`` is a job's
wildcards as a mapping; patterns keep Snakemake's ``{wildcard}`` placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mismatch.config.sizes import answer_shards, answered_splits

ANSWER_JOB_NAMES = {"world": "all_models", "model": "{model}", "split": "{model}/{split}.{shard}"}
STUDENT_JOB_NAMES = {
    "student": "{student}",
    "recipe": "{student}/{recipe}",
    "seed": "{student}/{recipe}/ft{seed}",
}


def answer_job_name(config: Mapping[str, Any]) -> str:
    """An answer_questions job's name in logs and benchmarks, as a pattern."""
    return ANSWER_JOB_NAMES[config["answering"]["job_per"]]


def answer_job_models(config: Mapping[str, Any], wildcards: Mapping[str, str]) -> list[str]:
    """The models one answer_questions job answers with, in unit order: every model of the world
    (``job_per: world``) or the job's own."""
    if config["answering"]["job_per"] == "world":
        return list(config["models"])
    return [wildcards["model"]]


def answer_job_splits(config: Mapping[str, Any], wildcards: Mapping[str, str]) -> list[str]:
    """The splits one answer_questions job reads, in unit order: every answered split, or the
    job's own shard's (``job_per: split``)."""
    if config["answering"]["job_per"] == "split":
        return [wildcards["split"]]
    return answered_splits(config)


def answer_job_units(
    config: Mapping[str, Any], wildcards: Mapping[str, str]
) -> list[tuple[str, str, int, int]]:
    """The (model, split, shard, shards) units of one answer_questions job, in output order: a
    whole split is shard 0 of 1; ``job_per: split`` is a list of one shard."""
    if config["answering"]["job_per"] == "split":
        split = wildcards["split"]
        return [(wildcards["model"], split, int(wildcards["shard"]), answer_shards(config, split))]
    models = answer_job_models(config, wildcards)
    return [(m, s, 0, 1) for m in models for s in answered_splits(config)]


def answer_job_outputs(config: Mapping[str, Any]) -> list[str]:
    """The answer files of one answer_questions job under ``w{w}/``, one per unit, as patterns."""
    job_per = config["answering"]["job_per"]
    if job_per == "split":
        return ["answers/{model}/{split}.shards/{shard}.parquet"]
    models = list(config["models"]) if job_per == "world" else ["{model}"]
    return [f"answers/{m}/{s}.parquet" for m in models for s in answered_splits(config)]


def student_job_name(config: Mapping[str, Any]) -> str:
    """A finetune_and_label job's name in logs and benchmarks, as a pattern."""
    return STUDENT_JOB_NAMES[config["finetune"]["job_per"]]


def student_unit_patterns(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (recipe, seed) units of one finetune_and_label job, in order, as patterns: every
    recipe's seeds (``job_per: student``), one recipe's (``recipe``) or one (``seed``)."""
    job_per = config["finetune"]["job_per"]
    recipes = list(config["recipes"]) if job_per == "student" else ["{recipe}"]
    seeds = ["{seed}"] if job_per == "seed" else [str(s) for s in config["seeds"]["finetune"]]
    return [(recipe, seed) for recipe in recipes for seed in seeds]


def student_unit_values(
    config: Mapping[str, Any], wildcards: Mapping[str, str]
) -> list[tuple[str, int]]:
    """The (recipe, seed) units of one finetune_and_label job, its wildcards filled in."""
    return [
        (wildcards.get("recipe", recipe), int(wildcards.get("seed", seed)))
        for recipe, seed in student_unit_patterns(config)
    ]
