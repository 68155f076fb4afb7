"""Gather every labelled answer and what the analysis reads beside it into summary/inputs/."""

import pandas as pd

from mismatch.analysis.gathering import (
    base_student_labels,
    collect_answers,
    collect_checks,
    collect_knowledge,
    collect_knows,
    collect_labels,
    collect_losses,
    collect_probes,
    collect_questions,
    collect_recipes,
    knows_on_test,
)
from mismatch.answers.prompting import PromptFormat
from mismatch.io import write_csv, write_json, write_parquet
from mismatch.joblog import job_log
from mismatch.questions.fact_sets import fact_vocabulary

with job_log(snakemake.log[0]) as log:
    params, inputs, outputs = snakemake.params, snakemake.input, snakemake.output
    patterns = params.patterns
    knows = collect_knows(inputs.knows, patterns["knows"])
    questions = collect_questions(inputs.questions, patterns["questions"], params.cluster)
    labels = pd.concat(
        [
            collect_labels(inputs.labels),
            base_student_labels(
                inputs.base,
                patterns["base"],
                params.grading,
                PromptFormat.from_config(params.prompt),
                knows=knows_on_test(knows),
                vocabulary=fact_vocabulary(getattr(params, "vocabulary", None)),
                questions=questions,
            ),
        ],
        ignore_index=True,
    )
    log(f"{len(labels)} labelled answers")
    write_parquet(labels, outputs.labels)
    write_parquet(questions, outputs.questions)
    write_parquet(collect_recipes(inputs.recipes), outputs.recipes)
    write_parquet(collect_losses(inputs.losses, patterns["losses"]), outputs.losses)
    answers = collect_answers(inputs.answers, patterns["answers"], params.question_sets, knows)
    write_parquet(answers, outputs.answers)
    if "probes" in outputs.keys():
        write_parquet(collect_probes(inputs.probes, patterns["probes"]), outputs.probes)
    write_csv(collect_knowledge(inputs.knowledge), outputs.knowledge)
    # sweep fill checks (inputs.sweep_checks) are read by no table: they run first, that is all
    write_json(collect_checks(inputs.checks, patterns["checks"]), outputs.preconditions)
