"""One model answers one shard of one question set (k-shot, greedy, stop at end of line) and is
graded (answering.job_per: split)."""

from mismatch.answers.answering import answer_with_provenance, choose_exemplars
from mismatch.answers.prompting import PromptFormat
from mismatch.answers.shards import shard_rows
from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.models.loading import load_model

with job_log(snakemake.log[0], snakemake.threads) as log:
    settings = snakemake.params.settings
    prompt_config = snakemake.params.prompt
    shard, n_shards = int(snakemake.wildcards.shard), snakemake.params.n_shards
    questions = shard_rows(read_parquet(snakemake.input.questions), shard, n_shards)
    exemplars = choose_exemplars(
        read_parquet(snakemake.input.exemplars),
        prompt_config["n_exemplars"],
        prompt_config["exemplar_seed"],
    )
    model, tokenizer = load_model(
        snakemake.input.model,
        dtype=settings["dtype"],
        device_map=settings["device_map"],
        trust_remote_code=settings["trust_remote_code"],
    )
    log(
        f"{snakemake.wildcards.model}: answering {len(questions)} questions "
        f"(shard {shard + 1} of {n_shards})"
    )
    answers, provenance = answer_with_provenance(
        model,
        tokenizer,
        model_name=snakemake.wildcards.model,
        model_path=snakemake.input.model,
        questions=questions,
        exemplars=exemplars,
        prompt=PromptFormat.from_config(prompt_config),
        settings=settings,
    )
    log(f"accuracy {answers.correct.mean():.3f}")
    provenance["shard"] = {"index": shard, "of": n_shards}
    write_parquet(answers, snakemake.output.answers, provenance)
