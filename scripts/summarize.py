"""Gather every run's files, compute every number of the study as tables, render the report."""

import pandas as pd

from mismatch.analysis import AnalysisSettings, analyse
from mismatch.environment import run_environment
from mismatch.gathering import (
    base_student_labels,
    collect_checks,
    collect_knowledge,
    collect_labels,
    collect_losses,
    collect_probes,
    collect_questions,
    collect_recipes,
    collect_truths,
)
from mismatch.io import write_csv, write_json, write_parquet, write_text
from mismatch.joblog import job_log
from mismatch.probes import probe_report, recall_by_exposure
from mismatch.prompting import PromptFormat
from mismatch.rendering import headline_rst, study_markdown

with job_log(snakemake.log[0]) as log:
    params, inputs, outputs = snakemake.params, snakemake.input, snakemake.output
    patterns = params.patterns
    labels = pd.concat(
        [
            collect_labels(inputs.labels),
            base_student_labels(
                inputs.base,
                patterns["base"],
                params.grading,
                PromptFormat.from_config(params.prompt),
                truths=collect_truths(inputs.truth, patterns["truth"]),
            ),
        ],
        ignore_index=True,
    )
    settings = AnalysisSettings(
        recipes=params.recipes,
        grading=params.grading,
        primary=params.analysis["primary"],
        n_boot=params.n_boot,
        n_flips=params.analysis["n_flips"],
    )
    knowledge = collect_knowledge(inputs.knowledge)
    tables = analyse(
        labels,
        collect_questions(inputs.questions, patterns["questions"], params.analysis["cluster"]),
        collect_recipes(inputs.recipes),
        collect_losses(inputs.losses, patterns["losses"]),
        settings,
        knowledge=knowledge,
    )
    checks = collect_checks(inputs.checks, patterns["checks"])
    log(f"{len(labels)} labelled answers, {len(tables['contrasts'])} contrasts")
    write_parquet(tables["labels"], outputs.labels)
    for name in (
        "contrasts",
        "per_world",
        "robustness",
        "mcnemar",
        "dose_response",
        "sweep_levels",
    ):
        write_csv(tables[name], outputs[name])
    write_csv(tables["summary"], outputs.table)
    write_csv(tables["by_knowledge"], outputs.by_knowledge)
    write_csv(tables["recipes"], outputs.recipes)
    write_csv(tables["losses"], outputs.losses)
    write_csv(knowledge, outputs.knowledge)
    write_json(run_environment(params.threads), outputs.environment)
    write_json(checks, outputs.preconditions)  # sweep fill checks: inputs.sweep_checks
    write_json(tables["headline"], outputs.headline)
    write_text(headline_rst(tables["headline"]), outputs.headline_rst)
    if "probe_auroc" in outputs.keys():  # the exposure world: probes against the reference
        probes = collect_probes(inputs.probes, patterns["probes"])
        tables["probe_auroc"] = probe_report(probes, n_boot=params.n_boot)
        tables["recall_by_exposure"] = recall_by_exposure(probes)
        write_csv(tables["probe_auroc"], outputs.probe_auroc)
        write_csv(tables["recall_by_exposure"], outputs.recall_by_exposure)
        write_csv(tables["gap_points"], outputs.gap_points)
        write_csv(tables["gap_fit"], outputs.gap_fit)
    for name in ("training_length", "gekhman_points", "gekhman_fit"):
        if name in outputs.keys():  # early-stopping pairs; Gekhman's category sets
            write_csv(tables[name], outputs[name])
    write_text(study_markdown(tables, knowledge, checks, params.title), outputs.markdown)
