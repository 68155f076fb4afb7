"""A fine-tuned student answers the unseen test questions; each answer is labelled."""

from mismatch.answers.prompting import PromptFormat
from mismatch.io import write_parquet
from mismatch.joblog import job_log
from mismatch.training.student_jobs import StudentInputs, label_seed, labels_metadata

with job_log(snakemake.log[0], snakemake.threads) as log:
    settings = snakemake.params.settings
    identity = dict(snakemake.wildcards.items())
    inputs = StudentInputs.from_files(snakemake.input)
    labels = label_seed(
        inputs,
        snakemake.input.adapter,
        PromptFormat.from_config(snakemake.params.prompt),
        settings,
        identity,
    )
    log(f"labels: {labels.label.value_counts().to_dict()}")
    write_parquet(labels, snakemake.output.labels, labels_metadata(settings, identity, inputs))
