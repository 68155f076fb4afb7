"""Answer every (model, split, shard) unit of the job (k-shot, greedy, stop at end of line), each
model loaded once (answering.job_per: world, model or split decides the units of a job)."""

from mismatch.answers.answering import AnswerUnit, answer_units, choose_exemplars
from mismatch.answers.prompting import PromptFormat
from mismatch.io import read_parquet
from mismatch.joblog import job_log

with job_log(snakemake.log[0], snakemake.threads) as log:
    params = snakemake.params
    prompts = {m: PromptFormat.from_config(p) for m, p in params.prompts.items()}
    exemplar_config = next(iter(params.prompts.values()))  # one section: same k, seed
    answer_units(
        [
            AnswerUnit(model, split, shard, n_shards, output)
            for (model, split, shard, n_shards), output in zip(
                params.units, snakemake.output.answers, strict=True
            )
        ],
        models=dict(zip(params.models, snakemake.input.models, strict=True)),
        question_files=dict(zip(params.splits, snakemake.input.questions, strict=True)),
        exemplars=choose_exemplars(
            read_parquet(snakemake.input.exemplars),
            exemplar_config["n_exemplars"],
            exemplar_config["exemplar_seed"],
        ),
        prompts=prompts,
        settings=params.settings,
        log=log,
    )
