"""How much work a config asks of each stage (questions, shards, units) and the cluster resources
of a job from it (``mismatch.resources`` holds the rates)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from mismatch.config.settings import estimated_params, finetune_settings


def model_job_resources(
    config: Mapping[str, Any], work: Mapping[str, float], models: Sequence[str], attempt: int
) -> dict[str, int]:
    """The resources of one job (one process) in which each of ``models`` does ``work`` (stage
    -> units; ``stage_units`` counts them): the summed work time with one start-up, the largest
    memory and GPU need (see ``mismatch.resources``)."""
    from mismatch.resources import memory_and_gpus, runtime_minutes, work_seconds

    vocab = config["questions"]["synthetic"]["vocab_size"]
    settings = config["resources"]
    seconds, needs = 0.0, []
    for model in models:
        spec = config["models"][model]
        params, dtype, gpus = estimated_params(spec, vocab), spec["dtype"], spec.get("gpus")
        for stage, units in work.items():
            seconds += work_seconds(stage, params, units, dtype, gpus, settings["rates"])
            needs.append(memory_and_gpus(stage, params, dtype, gpus))
    return {
        "mem_mb": max(n["mem_mb"] for n in needs),
        "gpu": max(n["gpu"] for n in needs),
        "runtime": runtime_minutes(seconds, attempt, settings["margin"], settings["min_runtime"]),
    }


def stage_units(
    config: Mapping[str, Any], stage: str, model: str, questions: int | None = None
) -> float:
    """Units of work of one job of ``stage`` on ``model``: questions answered (``answer``: the
    job's ``questions``; ``label``: the test split), fine-tuning examples processed (steps x
    batch size x gradient accumulation), or SliCK generations (``questions`` x exemplar sets x
    (1 + samples))."""
    if stage == "finetune":
        settings = finetune_settings(config, model)
        return settings["steps"] * settings["batch_size"] * settings["gradient_accumulation"]
    if stage == "label":
        return question_count(config, "test")
    if stage == "categories":
        slick = config["knowledge_categories"]
        return (questions or 0) * slick["n_exemplar_sets"] * (1 + slick["n_samples"])
    return questions or 0


def shard_work(
    config: Mapping[str, Any], stage: str, model: str, split: str | None = None
) -> dict[str, float]:
    """The work of a one-stage job: one shard of ``split`` (``answer``, ``categories``: its
    questions, the split cut as ``answer_shards``/``category_shards`` cut it) or one seed
    (``finetune``, ``label``)."""
    questions = None
    if stage in ("answer", "categories"):
        shards = answer_shards if stage == "answer" else category_shards
        questions = -(-question_count(config, split) // shards(config, split))
    return {stage: stage_units(config, stage, model, questions)}


def answered_splits(config: Mapping[str, Any]) -> list[str]:
    """The splits every model answers: pool and test (format holds exemplars), and in the
    exposure world the held-out paraphrases, whose answers are its ground truth of knowing."""
    synthetic = config["questions"]["source"] == "synthetic"
    exposure = synthetic and config["questions"]["synthetic"]["knowledge_model"] == "exposure"
    return ["pool", "test"] + (["heldout"] if exposure else [])


def answering_work(config: Mapping[str, Any]) -> dict[str, float]:
    """The work of each model of a grouped answering job: every question it answers."""
    return {"answer": sum(question_count(config, split) for split in answered_splits(config))}


def answer_job_work(
    config: Mapping[str, Any], wildcards: Mapping[str, str]
) -> tuple[list[str], dict[str, float]]:
    """The models an answer_questions job loads and the work of each: every question of every
    answered split (``answering.job_per: world``: every model; ``model``: the job's) or one shard
    of one split (``split``: a list of one unit)."""
    if config["answering"]["job_per"] == "split":
        model, split = wildcards["model"], wildcards["split"]
        return [model], shard_work(config, "answer", model, split)
    models = [wildcards["model"]] if "model" in wildcards else list(config["models"])
    return models, answering_work(config)


def student_job_units(config: Mapping[str, Any]) -> int:
    """(recipe, seed) units of one finetune_and_label job: every recipe's seeds (``job_per:
    student``), one recipe's (``recipe``) or one (``seed``); a sweep-expanded config counts every
    level."""
    job_per = config["finetune"]["job_per"]
    recipes = len(config["recipes"]) if job_per == "student" else 1
    return recipes * (1 if job_per == "seed" else len(config["seeds"]["finetune"]))


def student_job_work(config: Mapping[str, Any], student: str) -> dict[str, float]:
    """The work of a finetune_and_label job: its units' fine-tunings and labellings of
    ``student``, one after another."""
    units = student_job_units(config)
    return {stage: units * stage_units(config, stage, student) for stage in ("finetune", "label")}


def question_count(config: Mapping[str, Any], split: str) -> int:
    """How many questions a split will hold, known from the config alone (planning needs it)."""
    questions = config["questions"]
    source = questions["source"]
    if source == "synthetic":
        synthetic = questions["synthetic"]
        if split == "heldout":  # the exposure world asks every pool and test fact once more
            return question_count(config, "pool") + question_count(config, "test")
        return synthetic["split_entities"][split] * len(synthetic["attributes"])
    if source == "triviaqa":
        return questions["triviaqa"][f"{split}_size"]
    if source == "facts":
        return _fact_counts(json.dumps(questions["facts"], sort_keys=True))[split]
    import pyarrow.parquet as pq  # a user's file: its footer says how many rows it has

    path = questions["files"][split]
    if path.endswith(".parquet"):
        return pq.read_metadata(path).num_rows
    with open(path) as handle:
        return sum(1 for line in handle if line.strip())


@lru_cache(maxsize=8)
def _fact_counts(settings: str) -> dict[str, int]:
    """Questions per split of the facts source (split seed 0; other seeds differ by a cluster)."""
    from mismatch.questions.fact_sets import fact_sets

    return {split: len(table) for split, table in fact_sets(json.loads(settings), 0).items()}


def answer_shards(config: Mapping[str, Any], split: str) -> int:
    """Number of answering jobs a split is cut into (``answering.questions_per_shard``)."""
    return _shard_count(question_count(config, split), config["answering"]["questions_per_shard"])


def category_shards(config: Mapping[str, Any], split: str) -> int:
    """Number of SliCK jobs a split is cut into: ``knowledge_categories.questions_per_shard``,
    or answering's when that is unset (null)."""
    size = config["knowledge_categories"].get("questions_per_shard")
    if size is None:
        return answer_shards(config, split)
    return _shard_count(question_count(config, split), size)


def _shard_count(n_questions: int, size: int) -> int:
    if size <= 0:
        return 1
    return max(1, -(-n_questions // size))
