"""Gather the answering shards of one (model, split) into its answer table."""

from mismatch.answers.shards import gather_shards
from mismatch.io import read_metadata, read_parquet, write_parquet
from mismatch.joblog import job_log

with job_log(snakemake.log[0]) as log:
    shards = list(snakemake.input.shards)
    answers = gather_shards(
        [read_parquet(p) for p in shards], read_parquet(snakemake.input.questions)
    )
    provenance = read_metadata(shards[0])
    provenance["shard"] = {"gathered": len(shards)}
    write_parquet(answers, snakemake.output.answers, provenance)
    log(f"{len(answers)} answers from {len(shards)} shards, accuracy {answers.correct.mean():.3f}")
