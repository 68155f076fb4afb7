# Every model answers every question set with the same prompt, exemplars and decoding.


localrules:
    knowledge_report,
    check_preconditions,


# One rule answers: a job answers a list of (model, split, shard) units, each model loaded once.
# answering.job_per groups the units: world (every model and split of a world), model (one model's
# splits) or split (a list of one: one shard of one split, gathered by gather_answers).
rule answer_questions:
    input:
        models=answer_job_model_dirs,
        questions=answer_job_question_files,
        exemplars=out("w{w}/questions/format.parquet"),
    output:
        answers=answer_job_outputs(),
    log:
        out(f"logs/w{{w}}/answer_questions/{ANSWER_JOB}.log"),
    benchmark:
        out(f"benchmarks/w{{w}}/answer_questions/{ANSWER_JOB}.tsv")
    conda:
        "../envs/mismatch.yaml"
    threads: config["threads"]
    resources:
        **cfg.answer_job_resources(config),
    params:
        code=code("answer_questions"),
        units=answer_job_units,
        models=lambda wildcards: answer_job_models(wildcards),
        splits=lambda wildcards: answer_job_splits(wildcards),
        prompts=lambda wildcards: {
            name: cfg.model_prompt(config, name) for name in answer_job_models(wildcards)
        },
        settings=lambda wildcards: {
            name: cfg.answering_settings(config, name) for name in answer_job_models(wildcards)
        },
    script:
        "../scripts/answer_questions.py"


localrules:
    gather_answers,


# Only a split answered in shards (answering.job_per: split) is gathered; otherwise
# answer_questions writes the answer table itself.
rule gather_answers:
    input:
        shards=answer_shard_files,
        questions=out("w{w}/questions/{split}.parquet"),
    output:
        answers=out("w{w}/answers/{model}/{split}.parquet"),
    log:
        out("logs/w{w}/gather_answers/{model}/{split}.log"),
    benchmark:
        out("benchmarks/w{w}/gather_answers/{model}/{split}.tsv")
    conda:
        "../envs/mismatch.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code("gather_answers"),
    script:
        "../scripts/gather_answers.py"


ruleorder: answer_questions > gather_answers


rule knowledge_report:
    input:
        pool=answers_file("{w}", "{model}", "pool"),
        test=answers_file("{w}", "{model}", "test"),
        pool_knows=knows_file("{w}", "{model}", "pool"),
        test_knows=knows_file("{w}", "{model}", "test"),
        truth=out("w{w}/world/truth/{model}.parquet") if SYNTHETIC else [],
    output:
        report=out("w{w}/knowledge/{model}.json"),
    log:
        out("logs/w{w}/knowledge_report/{model}.log"),
    benchmark:
        out("benchmarks/w{w}/knowledge_report/{model}.tsv")
    conda:
        "../envs/mismatch.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("knowledge_report"),
    script:
        "../scripts/knowledge_report.py"


rule check_preconditions:
    input:
        unpack(source_files("pool", knows_file)),
    output:
        check=out("w{w}/checks/{student}.json"),
    log:
        out("logs/w{w}/check_preconditions/{student}.log"),
    benchmark:
        out("benchmarks/w{w}/check_preconditions/{student}.tsv")
    conda:
        "../envs/mismatch.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("check_preconditions"),
        larger=lambda wildcards: cfg.larger_teachers(config, wildcards.student),
        preconditions=config["preconditions"],
    script:
        "../scripts/check_preconditions.py"
