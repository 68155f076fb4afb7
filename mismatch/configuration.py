"""Plan-time view of the study configuration: one-line validation errors and derived settings.

The work is done by the modules of ``mismatch.config`` (layers, schema, checks, settings,
sweeps, sizes, digests), one job each, and the question-source registry
(``mismatch.questions.sources``); this module gathers their public names for the rules
(``from mismatch import configuration as cfg``) and the tools. Imported by the Snakefile while
planning, so it stays light (no torch, no transformers).
"""

from __future__ import annotations

from mismatch.config.checks import check_config, check_sizes
from mismatch.config.digests import PACKAGE_DIR, code_digest, export_package_path, library_sources
from mismatch.config.layers import (
    EXTENDS,
    REMOVE,
    deep_merge,
    layered_config,
    load_layered,
    override_scalars,
)
from mismatch.config.planned import planned_config
from mismatch.config.schema import (
    MODEL_SOURCES,
    SCHEMA_PATH,
    drop_unset_model_sources,
    schema_error,
    validated,
)
from mismatch.config.settings import (
    answering_settings,
    estimated_params,
    finetune_settings,
    knowledge_basis,
    knowledge_definitions,
    larger_teachers,
    model_prompt,
    recipe_knowledge_rule,
    recipe_size,
    recipe_stopping,
    source_models,
    teacher_of,
    vocabulary_setting,
)
from mismatch.config.sizes import (
    answer_job_resources,
    answer_job_work,
    answer_shards,
    answering_work,
    category_shards,
    model_job_resources,
    rule_resources,
    shard_job_resources,
    shard_work,
    stage_units,
    student_job_resources,
    student_job_units,
    student_job_work,
)
from mismatch.config.sweeps import OTHER, SELF, expand_sweeps, grid_recipe_name, grid_recipes
from mismatch.questions.sources import (
    answered_splits,
    fetch_rule,
    pretrained_world,
    question_count,
    question_source,
    question_splits,
)

__all__ = [
    "EXTENDS",
    "MODEL_SOURCES",
    "OTHER",
    "PACKAGE_DIR",
    "REMOVE",
    "SCHEMA_PATH",
    "SELF",
    "answer_job_resources",
    "answer_job_work",
    "answer_shards",
    "answered_splits",
    "answering_settings",
    "answering_work",
    "category_shards",
    "check_config",
    "check_sizes",
    "code_digest",
    "deep_merge",
    "drop_unset_model_sources",
    "estimated_params",
    "expand_sweeps",
    "export_package_path",
    "fetch_rule",
    "finetune_settings",
    "grid_recipe_name",
    "grid_recipes",
    "knowledge_basis",
    "knowledge_definitions",
    "larger_teachers",
    "layered_config",
    "library_sources",
    "load_layered",
    "model_job_resources",
    "model_prompt",
    "override_scalars",
    "planned_config",
    "pretrained_world",
    "question_count",
    "question_source",
    "question_splits",
    "recipe_knowledge_rule",
    "recipe_size",
    "recipe_stopping",
    "rule_resources",
    "schema_error",
    "source_models",
    "shard_job_resources",
    "shard_work",
    "stage_units",
    "student_job_units",
    "student_job_resources",
    "student_job_work",
    "teacher_of",
    "validated",
    "vocabulary_setting",
]
