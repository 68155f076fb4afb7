"""Pool, test and format question sets from facts (the package facts or the user's table), split
by cluster with the world (split) seed."""

from mismatch.io import write_parquet
from mismatch.joblog import job_log
from mismatch.questions.fact_sets import fact_sets

with job_log(snakemake.log[0]) as log:
    seed = int(snakemake.wildcards.w)
    sets = fact_sets(snakemake.params.facts, seed)
    for split, table in sets.items():
        clusters = table["entity"].nunique()
        log(f"{split}: {len(table)} questions, {clusters} clusters, relations "
            f"{table['relation'].value_counts().to_dict()}")  # fmt: skip
        write_parquet(table, snakemake.output[split], {"source": "facts", "seed": seed})
