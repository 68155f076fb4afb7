"""LoRA-fine-tune the student on one recipe for a fixed number of optimizer steps (or keep the
best dev step: recipes.<name>.stopping early)."""

from mismatch.answers.prompting import PromptFormat
from mismatch.io import read_parquet
from mismatch.joblog import job_log
from mismatch.recipes.sets import seed_set
from mismatch.training.finetune import finetune_from_config
from mismatch.training.student_jobs import unit_early_stopping

with job_log(snakemake.log[0], snakemake.threads) as log:
    params, seed = snakemake.params, int(snakemake.wildcards.seed)
    prompt = PromptFormat.from_config(params.prompt)
    recipe = seed_set(read_parquet(snakemake.input.recipe), seed, snakemake.input.recipe)
    early_stopping = (
        unit_early_stopping(
            snakemake.input.pool, recipe, seed, params.settings, prompt, params.answering
        )
        if params.stopping == "early"
        else None
    )
    finetune_from_config(
        base_model_dir=snakemake.input.base,
        recipe=recipe,
        recipe_path=snakemake.input.recipe,
        prompt=prompt,
        settings=params.settings,
        seed=seed,
        adapter_dir=snakemake.output.adapter,
        loss_path=snakemake.output.loss,
        log=log,
        early_stopping=early_stopping,
    )
