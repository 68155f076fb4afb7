"""LoRA-fine-tune the student on one recipe for a fixed number of optimizer steps."""

from mismatch.finetune import finetune_from_config
from mismatch.io import read_parquet
from mismatch.joblog import job_log
from mismatch.prompting import PromptFormat
from mismatch.recipes import seed_set

with job_log(snakemake.log[0], snakemake.threads) as log:
    finetune_from_config(
        base_model_dir=snakemake.input.base,
        recipe=seed_set(
            read_parquet(snakemake.input.recipe), snakemake.wildcards.seed, snakemake.input.recipe
        ),
        recipe_path=snakemake.input.recipe,
        prompt=PromptFormat.from_config(snakemake.params.prompt),
        settings=snakemake.params.settings,
        seed=int(snakemake.wildcards.seed),
        adapter_dir=snakemake.output.adapter,
        loss_path=snakemake.output.loss,
        log=log,
    )
