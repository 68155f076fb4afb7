"""Fine-tune the student and label its test answers for every (recipe, seed) unit of the job
(finetune.job_per: student, recipe or seed decides the units of a job)."""

from mismatch.joblog import job_log
from mismatch.training.student_jobs import SeedOutputs, StudentInputs, run_student_seeds

with job_log(snakemake.log[0], snakemake.threads) as log:
    output = snakemake.output
    run_student_seeds(
        inputs=StudentInputs.from_files(snakemake.input),
        prompt_config=snakemake.params.prompt,
        finetune_settings=snakemake.params.settings,
        answering=snakemake.params.answering,
        identity={"w": snakemake.wildcards.w, "student": snakemake.wildcards.student},
        outputs=[
            SeedOutputs(
                recipe, recipe_path, seed, adapter, loss, labels, snakemake.params.stopping[recipe]
            )
            for (recipe, seed), recipe_path, adapter, loss, labels in zip(
                snakemake.params.units,
                snakemake.input.recipes,
                output.adapters,
                output.losses,
                output.labels,
                strict=True,
            )
        ],
        log=log,
    )
