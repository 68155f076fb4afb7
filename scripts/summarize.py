"""Gather every run's labels, fine-tuning sets and knowledge reports into the study summary."""

import pandas as pd

from mismatch.io import read_json, write_csv, write_parquet, write_text
from mismatch.joblog import job_log
from mismatch.study import (
    base_student_labels,
    collect_knowledge,
    collect_labels,
    collect_recipes,
    compare_recipes,
    comparison_pairs,
    dose_response,
    headline_rst,
    study_markdown,
)
from mismatch.summary import summarize

with job_log(snakemake.log[0]) as log:
    params = snakemake.params
    labels = collect_labels(snakemake.input.labels)
    base = base_student_labels(
        dict(zip(params.base_keys, snakemake.input.base, strict=True)), params.grading
    )
    labels = pd.concat([labels, base], ignore_index=True)
    recipes = collect_recipes(snakemake.input.recipes)
    knowledge = collect_knowledge(snakemake.input.knowledge)
    checks = [
        read_json(p) | {"world_seed": w}
        for p, w in zip(snakemake.input.checks, params.check_worlds, strict=True)
    ]
    summary = summarize(labels, recipes, n_boot=params.n_boot)
    comparisons = [
        compare_recipes(labels, t, c, n_boot=params.n_boot)
        for t, c in comparison_pairs(params.recipes)
    ]
    fits = [
        fit
        for sweep in ("mismatch", "abstention")
        if (fit := dose_response(labels, recipes, sweep, n_boot=params.n_boot))
    ]
    log(f"{len(labels)} labelled answers, {len(comparisons)} comparisons, {len(fits)} sweeps")
    write_parquet(labels, snakemake.output.labels)
    write_csv(summary, snakemake.output.table)
    write_csv(recipes, snakemake.output.recipes)
    write_text(
        study_markdown(
            summary=summary,
            comparisons=comparisons,
            fits=fits,
            knowledge=knowledge,
            recipes=recipes,
            checks=checks,
            title=params.title,
        ),
        snakemake.output.markdown,
    )
    write_text(headline_rst(summary, comparisons, params.recipes), snakemake.output.headline)
