"""Every model of the job (one, or all of a world's) answers the pool and test questions
(k-shot, greedy, stop at end of line), each model loaded once (answering.job_per: world | model)."""

from mismatch.answers.answering import answer_every_split, choose_exemplars
from mismatch.answers.prompting import PromptFormat
from mismatch.io import read_parquet
from mismatch.joblog import job_log

with job_log(snakemake.log[0], snakemake.threads) as log:
    prompts = {m: PromptFormat.from_config(p) for m, p in snakemake.params.prompts.items()}
    exemplar_config = next(iter(snakemake.params.prompts.values()))  # one section: same k, seed
    models, splits = snakemake.params.models, snakemake.params.splits
    answer_every_split(
        models=dict(zip(models, snakemake.input.models, strict=True)),
        question_files=dict(zip(splits, snakemake.input.questions, strict=True)),
        outputs=dict(
            zip([(m, s) for m in models for s in splits], snakemake.output.answers, strict=True)
        ),
        exemplars=choose_exemplars(
            read_parquet(snakemake.input.exemplars),
            exemplar_config["n_exemplars"],
            exemplar_config["exemplar_seed"],
        ),
        prompts=prompts,
        settings=snakemake.params.settings,
        log=log,
    )
