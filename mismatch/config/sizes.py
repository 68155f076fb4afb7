"""How much work a config asks of each stage (questions, shards, units) and the cluster resources
of a job from it (``mismatch.resources`` holds the rates; the question source's registry entry,
``mismatch.questions.sources``, counts each split's questions)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mismatch.config.settings import estimated_params, finetune_settings
from mismatch.questions.sources import answered_splits, question_count


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


def rule_resources(
    config: Mapping[str, Any], work_of: Callable[[Any], tuple[Mapping[str, float], Sequence[str]]]
) -> dict[str, Callable[[Any, int], int]]:
    """A rule's ``mem_mb``, ``runtime`` and ``gpu``: callables of (wildcards, attempt) that
    Snakemake calls per job; ``work_of(wildcards)`` gives the job's work (stage -> units) and its
    models."""

    def one(resource: str) -> Callable[[Any, int], int]:
        def value(wildcards: Any, attempt: int) -> int:
            work, models = work_of(wildcards)
            return model_job_resources(config, work, models, attempt)[resource]

        return value

    return {resource: one(resource) for resource in ("mem_mb", "runtime", "gpu")}


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


def shard_job_resources(config: Mapping[str, Any], stage: str) -> dict[str, Callable]:
    """Resources of a job of ``stage`` on one (model, split) shard (the ``model`` and ``split``
    wildcards)."""
    return rule_resources(
        config,
        lambda w: (shard_work(config, stage, w.model, getattr(w, "split", None)), [w.model]),
    )


def answer_job_resources(config: Mapping[str, Any]) -> dict[str, Callable]:
    """Resources of an answer_questions job: its models answer their units one after another."""
    return rule_resources(config, lambda w: answer_job_work(config, dict(w.items()))[::-1])


def student_job_resources(config: Mapping[str, Any]) -> dict[str, Callable]:
    """Resources of a finetune_and_label job: fine-tuning and labelling of every unit in turn."""
    return rule_resources(config, lambda w: (student_job_work(config, w.student), [w.student]))
