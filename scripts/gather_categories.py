"""Gather the SliCK shards of one (model, split) into its category table."""

from mismatch.answers.shards import gather_shards
from mismatch.io import read_metadata, read_parquet, write_parquet
from mismatch.joblog import job_log

with job_log(snakemake.log[0]) as log:
    shards = list(snakemake.input.shards)
    categories = gather_shards(
        [read_parquet(p) for p in shards], read_parquet(snakemake.input.questions)
    )
    metadata = read_metadata(shards[0])
    metadata["shard"] = {"gathered": len(shards)}
    write_parquet(categories, snakemake.output.categories, metadata)
    log(
        f"{len(categories)} categories from {len(shards)} shards: "
        f"{categories.category.value_counts().to_dict()}"
    )
