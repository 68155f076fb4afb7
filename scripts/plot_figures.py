"""Draw the study's figures from the summary tables."""

import pandas as pd

from mismatch.figures import (
    plot_dose_response,
    plot_loss_curves,
    plot_outcomes,
    plot_wrong_by_knowledge,
)
from mismatch.io import read_parquet
from mismatch.joblog import job_log
from mismatch.summary import wrong_by_knowledge

with job_log(snakemake.log[0]) as log:
    summary = pd.read_csv(snakemake.input.table)
    labels = read_parquet(snakemake.input.labels)
    plot_outcomes(summary, snakemake.output.outcomes)
    plot_wrong_by_knowledge(
        wrong_by_knowledge(labels, n_boot=snakemake.params.n_boot), snakemake.output.by_knowledge
    )
    losses = {}
    for recipe, path in zip(snakemake.params.loss_recipes, snakemake.input.losses, strict=True):
        losses.setdefault(recipe, []).append(pd.read_csv(path, sep="\t"))
    plot_loss_curves(
        {r: pd.concat(t, ignore_index=True) for r, t in losses.items()}, snakemake.output.losses
    )
    recipes = pd.read_csv(snakemake.input.recipes)
    for sweep, x in (("mismatch", "mismatch_fraction"), ("abstention", "abstention_share")):
        if f"dose_{sweep}" in snakemake.output.keys():
            plot_dose_response(summary, recipes, snakemake.output[f"dose_{sweep}"], x=x)
    log("figures written")
