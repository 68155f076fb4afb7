# Every model answers every question set with the same prompt, exemplars and decoding.


rule answer_questions:
    input:
        model=model_dir,
        questions="results/w{w}/questions/{split}.parquet",
        exemplars="results/w{w}/questions/format.parquet",
        code=code("answering", "modeling", "generation"),
    output:
        answers="results/w{w}/answers/{model}/{split}.parquet",
    params:
        prompt=config["prompt"],
        settings=lambda wildcards: cfg.answering_settings(config, wildcards.model),
    threads: config["threads"]
    log:
        "logs/w{w}/answer_questions/{model}/{split}.log",
    benchmark:
        "benchmarks/w{w}/answer_questions/{model}/{split}.tsv"
    resources:
        **model_resources("answer"),
    conda:
        "../envs/mismatch.yaml"
    script:
        "../scripts/answer_questions.py"


rule knowledge_report:
    input:
        pool="results/w{w}/answers/{model}/pool.parquet",
        test="results/w{w}/answers/{model}/test.parquet",
        truth="results/w{w}/world/truth/{model}.parquet" if SYNTHETIC else [],
        code=code("knowledge"),
    output:
        report="results/w{w}/knowledge/{model}.json",
    log:
        "logs/w{w}/knowledge_report/{model}.log",
    benchmark:
        "benchmarks/w{w}/knowledge_report/{model}.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/mismatch.yaml"
    script:
        "../scripts/knowledge_report.py"


rule check_preconditions:
    input:
        unpack(source_answers("pool")),
        code=code("knowledge"),
    output:
        check="results/w{w}/checks/{student}.json",
    params:
        larger=lambda wildcards: cfg.larger_teachers(config, wildcards.student),
        preconditions=config["preconditions"],
    log:
        "logs/w{w}/check_preconditions/{student}.log",
    benchmark:
        "benchmarks/w{w}/check_preconditions/{student}.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/mismatch.yaml"
    script:
        "../scripts/check_preconditions.py"
