"""Fetch one hub model's weights, config and tokenizer into the cache; write its JSON pointer."""

from mismatch.io import write_json
from mismatch.joblog import job_log
from mismatch.models.hub import fetch_model

with job_log(snakemake.log[0]) as log:
    params = snakemake.params
    log(f"fetching {params.hub} (revision {params.revision}) into hf_home {params.hf_home}")
    pointer = fetch_model(snakemake.wildcards.model, params.hub, params.revision, params.hf_home)
    log(f"{pointer}")
    write_json(pointer, snakemake.output.pointer)
