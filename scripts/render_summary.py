"""Render the summary's markdown and the report's headline from the analysis tables alone."""

import json

import pandas as pd

from mismatch.analysis.outputs import TABLES
from mismatch.analysis.summary_files import read_tables
from mismatch.io import write_text
from mismatch.joblog import job_log
from mismatch.report.rendering import headline_rst, study_markdown

with job_log(snakemake.log[0]):
    inputs, outputs = snakemake.input, snakemake.output
    names = [name for name in TABLES if name in inputs.keys()]
    tables = read_tables({name: inputs[name] for name in names}, inputs.headline)
    knowledge = pd.read_csv(inputs.knowledge)
    with open(inputs.preconditions) as handle:
        checks = json.load(handle)
    markdown = study_markdown(
        tables, knowledge, checks, snakemake.params.title, snakemake.params.cluster_unit
    )
    write_text(markdown, outputs.markdown)
    write_text(headline_rst(tables["headline"]), outputs.headline_rst)
