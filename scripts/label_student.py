"""A fine-tuned student answers the unseen test questions; each answer is labelled."""

from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.labels import evaluate_student, label_answers
from mismatch.prompting import PromptFormat
from mismatch.slick import attach_categories

with job_log(snakemake.log[0], snakemake.threads) as log:
    settings = snakemake.params.settings
    wildcards = snakemake.wildcards
    answers = evaluate_student(
        snakemake.input.base,
        snakemake.input.adapter,
        read_parquet(snakemake.input.questions),
        PromptFormat.from_config(snakemake.params.prompt),
        batch_size=settings["batch_size"],
        max_new_tokens=settings["max_new_tokens"],
        grading_rule=settings["grading"],
        dtype=settings["dtype"],
        device_map=settings["device_map"],
    )
    labels = label_answers(
        answers, read_parquet(snakemake.input.base_answers), grading_rule=settings["grading"]
    )
    labels = labels.assign(
        student=wildcards.student,
        recipe=wildcards.recipe,
        world_seed=int(wildcards.w),
        ft_seed=int(wildcards.seed),
    )
    if snakemake.input.categories:
        labels = attach_categories(labels, read_parquet(snakemake.input.categories))
    log(f"labels: {labels.label.value_counts().to_dict()}")
    write_parquet(
        labels, snakemake.output.labels, {"settings": settings, **dict(wildcards.items())}
    )
