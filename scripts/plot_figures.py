"""Draw the study's figures from the summary tables (no statistics are computed here)."""

import pandas as pd

from mismatch.joblog import job_log
from mismatch.report.figures import (
    plot_dose_response,
    plot_effect_by_gap,
    plot_forest,
    plot_grid,
    plot_loss_curves,
    plot_outcomes,
    plot_recall_by_exposure,
    plot_wrong_by_knowledge,
)

with job_log(snakemake.log[0]) as log:
    inputs, outputs = snakemake.input, snakemake.output
    summary = pd.read_csv(inputs.table)
    plot_outcomes(summary, outputs.outcomes)
    plot_wrong_by_knowledge(pd.read_csv(inputs.by_knowledge), outputs.by_knowledge)
    plot_forest(pd.read_csv(inputs.per_world), outputs.forest)
    plot_loss_curves(pd.read_csv(inputs.losses), outputs.losses)
    recipes = pd.read_csv(inputs.recipes)
    fits = pd.read_csv(inputs.dose_response) if open(inputs.dose_response).read().strip() else None
    for sweep, x in (("mismatch", "mismatch_fraction"), ("abstention", "abstention_share")):
        if f"dose_{sweep}" in outputs.keys():
            plot_dose_response(summary, recipes, outputs[f"dose_{sweep}"], x=x, fits=fits)
    if "dose_grid" in outputs.keys():
        plot_grid(pd.read_csv(inputs.sweep_levels), outputs.dose_grid)
    if "recall_by_exposure" in outputs.keys():
        plot_recall_by_exposure(pd.read_csv(inputs.recall_by_exposure), outputs.recall_by_exposure)
    if "effect_by_gap" in outputs.keys():
        plot_effect_by_gap(
            pd.read_csv(inputs.gap_points), pd.read_csv(inputs.gap_fit), outputs.effect_by_gap
        )
    log("figures written")
