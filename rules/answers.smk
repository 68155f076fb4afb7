# Every model answers every question set with the same prompt, exemplars and decoding.


localrules:
    knowledge_report,
    check_preconditions,


# answering.job_per: world (one job per world answers with every model) or model (one per world
# and model) answers the pool and test splits in one process, each model loaded once; split runs
# answer_questions per (model, split, shard) and gathers the shards (GPU-sized models).
if ANSWER_JOB_PER != "split":
    ANSWER_GROUP = "all_models" if ANSWER_JOB_PER == "world" else "{model}"

    rule answer_splits:
        input:
            models=answering_model_dirs,
            questions=expand(out("w{{w}}/questions/{split}.parquet"), split=ANSWERED_SPLITS),
            exemplars=out("w{w}/questions/format.parquet"),
        output:
            answers=expand(
                out("w{{w}}/answers/{model}/{split}.parquet"),
                model=MODELS if ANSWER_JOB_PER == "world" else ["{model}"],
                split=ANSWERED_SPLITS,
            ),
        log:
            out(f"logs/w{{w}}/answer_splits/{ANSWER_GROUP}.log"),
        benchmark:
            out(f"benchmarks/w{{w}}/answer_splits/{ANSWER_GROUP}.tsv")
        conda:
            "../envs/mismatch.yaml"
        threads: config["threads"]
        resources:
            **grouped_answer_resources(),
        params:
            code=code("answer_splits"),
            prompts=lambda wildcards: {
                name: cfg.model_prompt(config, name) for name in answering_models(wildcards)
            },
            models=answering_models,
            splits=ANSWERED_SPLITS,
            settings=lambda wildcards: {
                name: cfg.answering_settings(config, name) for name in answering_models(wildcards)
            },
        script:
            "../scripts/answer_splits.py"

else:

    rule answer_questions:
        input:
            model=model_dir,
            questions=out("w{w}/questions/{split}.parquet"),
            exemplars=out("w{w}/questions/format.parquet"),
        output:
            # kept, not temp(): gather_answers reruns (a code change) without answering again;
            # the shards hold the same rows as the gathered file (a few MB at TriviaQA size)
            answers=out("w{w}/answers/{model}/{split}.shards/{shard}.parquet"),
        log:
            out("logs/w{w}/answer_questions/{model}/{split}.{shard}.log"),
        benchmark:
            out("benchmarks/w{w}/answer_questions/{model}/{split}.{shard}.tsv")
        conda:
            "../envs/mismatch.yaml"
        threads: config["threads"]
        resources:
            **model_resources("answer"),
        params:
            code=code("answer_questions"),
            prompt=lambda wildcards: cfg.model_prompt(config, wildcards.model),
            settings=lambda wildcards: cfg.answering_settings(config, wildcards.model),
            n_shards=lambda wildcards: cfg.answer_shards(config, wildcards.split),
        script:
            "../scripts/answer_questions.py"

    localrules:
        gather_answers,

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
