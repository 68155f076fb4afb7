"""Fetch the train and validation parquet files of the TriviaQA config; write their JSON pointer."""

from mismatch.io import write_json
from mismatch.joblog import job_log
from mismatch.models.hub import fetch_dataset

with job_log(snakemake.log[0]) as log:
    params = snakemake.params
    log(f"fetching {params.dataset} {params.name} (revision {params.revision})")
    pointer = fetch_dataset(params.dataset, params.name, params.revision, params.hf_home)
    log(f"{pointer}")
    write_json(pointer, snakemake.output.pointer)
