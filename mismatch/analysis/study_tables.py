"""A study's analysis tables from its gathered inputs: the one function behind the ``analyse``
rule and ``tools/recompute_tables.py`` (names and files: ``mismatch.analysis.outputs``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from mismatch.analysis.outputs import computed_tables
from mismatch.analysis.relations import knowledge_by_relation, who_knows
from mismatch.analysis.tables import AnalysisSettings, analyse
from mismatch.answers.unmatched import frequent_unmatched_answers
from mismatch.knowing.knowledge_checks import study_definition
from mismatch.knowing.probes import probe_report, recall_by_exposure
from mismatch.recipes.kinds import controls_table


def analysis_tables(
    inputs: Mapping[str, pd.DataFrame],
    knowledge: pd.DataFrame,
    settings: AnalysisSettings,
) -> dict[str, Any]:
    """Every table of the study from its gathered inputs and its knowledge table."""
    tables = analyse(
        inputs["labels"],
        inputs["questions"],
        inputs["recipes"],
        inputs["losses"],
        settings,
        knowledge=knowledge,
    )
    tables["by_knowledge"] = name_knowing(tables["by_knowledge"], study_definition(knowledge))
    answers = inputs["answers"]
    tables["knowledge_by_relation"] = knowledge_by_relation(answers)
    tables["who_knows"] = who_knows(answers, list(pd.unique(inputs["labels"]["student"])))
    tables["unmatched_answers"] = frequent_unmatched_answers(inputs["labels"])
    tables["controls"] = controls_table(settings.recipes)
    probes = inputs.get("probes")
    if probes is not None and not probes.empty:  # the exposure world: probes against recall
        tables["probe_auroc"] = probe_report(probes, n_boot=settings.n_boot)
        tables["recall_by_exposure"] = recall_by_exposure(probes)
    tables.update(computed_tables(inputs, knowledge, settings, tables))
    return tables


def name_knowing(by_knowledge: pd.DataFrame, definition: str) -> pd.DataFrame:
    """The outcome-by-knowledge table with the definition each split groups by: the study's for
    ``student_knows``, SliCK for ``category``."""
    named = {"student_knows": definition, "category": "slick"}
    return by_knowledge.assign(definition=by_knowledge["split"].map(named))
