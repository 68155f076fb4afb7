# Fine-tuning sets from a source model's pool answers, and LoRA students trained on them.


localrules:
    finetuning_set,


rule finetuning_set:
    input:
        unpack(recipe_answers),
        check="results/w{w}/checks/{student}.json",
    output:
        recipe="results/w{w}/sets/{student}/{recipe}.parquet",
    log:
        "logs/w{w}/finetuning_set/{student}/{recipe}.log",
    benchmark:
        "benchmarks/w{w}/finetuning_set/{student}/{recipe}.tsv"
    conda:
        "../envs/mismatch.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("finetuning_set"),
        recipe=lambda wildcards: config["recipes"][wildcards.recipe],
        size=config["finetune_set_size"],
    script:
        "../scripts/finetuning_set.py"


if SWEEPS:

    localrules:
        check_sweeps,

    rule check_sweeps:
        input:
            unpack(source_answers("pool")),
        output:
            check="results/w{w}/checks/sweeps/{student}.json",
        log:
            "logs/w{w}/check_sweeps/{student}.log",
        benchmark:
            "benchmarks/w{w}/check_sweeps/{student}.tsv"
        priority: 50
        conda:
            "../envs/mismatch.yaml"
        resources:
            mem_mb=1000,
            runtime=5,
        params:
            code=code("check_sweeps"),
            sweeps=config["sweeps"],
            size=config["finetune_set_size"],
        script:
            "../scripts/check_sweeps.py"


rule finetune_student:
    input:
        recipe="results/w{w}/sets/{student}/{recipe}.parquet",
        base=student_dir,
    output:
        adapter=directory("results/w{w}/students/{student}/{recipe}/ft{seed}/adapter"),
        loss="results/w{w}/students/{student}/{recipe}/ft{seed}/loss.tsv",
    log:
        "logs/w{w}/finetune_student/{student}/{recipe}/ft{seed}.log",
    benchmark:
        "benchmarks/w{w}/finetune_student/{student}/{recipe}/ft{seed}.tsv"
    conda:
        "../envs/mismatch.yaml"
    threads: config["threads"]
    resources:
        **model_resources("finetune", "student"),
    params:
        code=code("finetune_student"),
        settings=lambda wildcards: cfg.finetune_settings(config, wildcards.student),
        prompt=config["prompt"],
    script:
        "../scripts/finetune_student.py"
