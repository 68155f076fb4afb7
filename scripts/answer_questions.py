"""One model answers one question set (k-shot, greedy, stop at end of line) and is graded."""

from mismatch.answering import answer_provenance, answer_questions, choose_exemplars
from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.modeling import load_model
from mismatch.prompting import PromptFormat
from mismatch.shards import shard_rows

with job_log(snakemake.log[0], snakemake.threads) as log:
    settings = snakemake.params.settings
    prompt_config = snakemake.params.prompt
    prompt = PromptFormat.from_config(prompt_config)
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
    answers = answer_questions(
        model,
        tokenizer,
        questions,
        exemplars,
        prompt,
        batch_size=settings["batch_size"],
        max_new_tokens=settings["max_new_tokens"],
        grading_rule=settings["grading"],
        prefix_cache=settings["prefix_cache"],
    )
    log(f"accuracy {answers.correct.mean():.3f}")
    provenance = answer_provenance(
        model_name=snakemake.wildcards.model,
        model_path=snakemake.input.model,
        prompt=prompt,
        exemplars=exemplars,
        decoding={"greedy": True, "max_new_tokens": settings["max_new_tokens"], "stop": "\\n"},
        dtype=str(model.dtype),
        batch_size=settings["batch_size"],
    )
    provenance["shard"] = {"index": shard, "of": n_shards}
    write_parquet(answers, snakemake.output.answers, provenance)
