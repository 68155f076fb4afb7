"""One model answers one question set (k-shot, greedy, stop at end of line) and is graded."""

from mismatch.answering import answer_provenance, answer_questions, choose_exemplars
from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.modeling import load_model
from mismatch.prompting import PromptFormat

with job_log(snakemake.log[0], snakemake.threads) as log:
    settings = snakemake.params.settings
    prompt_config = snakemake.params.prompt
    prompt = PromptFormat.from_config(prompt_config)
    questions = read_parquet(snakemake.input.questions)
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
    log(f"{snakemake.wildcards.model}: answering {len(questions)} questions")
    answers = answer_questions(
        model,
        tokenizer,
        questions,
        exemplars,
        prompt,
        batch_size=settings["batch_size"],
        max_new_tokens=settings["max_new_tokens"],
        grading_rule=settings["grading"],
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
    write_parquet(answers, snakemake.output.answers, provenance)
