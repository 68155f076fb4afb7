"""Draw the study's figures from the summary tables (no statistics are computed here): every
figure of the registry (mismatch/analysis/outputs.py) the rule names."""

from mismatch.joblog import job_log
from mismatch.report.drawing import draw_figures

with job_log(snakemake.log[0]) as log:
    inputs, outputs = snakemake.input, snakemake.output
    tables = {name: inputs[name] for name in inputs.keys()}
    drawn = draw_figures(tables, {name: outputs[name] for name in outputs.keys()})
    log(f"figures written: {', '.join(drawn)}")
