"""Compute every table of the study from the gathered inputs (no prose here: render_summary)."""

import pandas as pd

from mismatch.analysis.outputs import TABLES
from mismatch.analysis.study_tables import analysis_tables
from mismatch.analysis.summary_files import INPUTS, read_inputs
from mismatch.analysis.tables import AnalysisSettings
from mismatch.environment import run_environment
from mismatch.io import write_csv, write_json, write_parquet
from mismatch.joblog import job_log

with job_log(snakemake.log[0]) as log:
    params, inputs, outputs = snakemake.params, snakemake.input, snakemake.output
    settings = AnalysisSettings(
        recipes=params.recipes,
        grading=params.grading,
        primary=params.analysis["primary"],
        n_boot=params.n_boot,
        n_flips=params.analysis["n_flips"],
    )
    gathered = read_inputs({name: inputs[name] for name in INPUTS if name in inputs.keys()})
    tables = analysis_tables(gathered, pd.read_csv(inputs.knowledge), settings)
    log(f"{len(gathered['labels'])} labelled answers, {len(tables['contrasts'])} contrasts")
    write_parquet(tables["labels"], outputs.labels)
    for name in TABLES:
        if name in outputs.keys():
            write_csv(tables[name], outputs[name])
    write_json(tables["headline"], outputs.headline)
    write_json(run_environment(params.threads), outputs.environment)
