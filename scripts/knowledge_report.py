"""What one model knows by the study's definition, what it measurably answers, and what it truly
saw in pretraining where that is known."""

from mismatch.io import read_parquet, write_json
from mismatch.joblog import job_log
from mismatch.knowing.knowledge_checks import knowledge_report

with job_log(snakemake.log[0]) as log:
    truth = read_parquet(snakemake.input.truth) if snakemake.input.truth else None
    report = {
        split: knowledge_report(
            read_parquet(snakemake.input[split]),
            read_parquet(snakemake.input[f"{split}_knows"]),
            truth,
            split,
        )
        for split in ("pool", "test")
    }
    report["model"] = snakemake.wildcards.model
    report["world_seed"] = int(snakemake.wildcards.w)
    write_json(report, snakemake.output.report)
    log(f"{report}")
