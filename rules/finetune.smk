# Fine-tuning sets from a source model's pool answers, and LoRA students trained on them.


localrules:
    finetuning_set,


rule finetuning_set:
    input:
        unpack(recipe_answers),
        unpack(recipe_categories),
        check="results/w{w}/checks/{student}.json",
        code=code("recipes"),
    output:
        recipe="results/w{w}/sets/{student}/{recipe}.parquet",
    params:
        recipe=lambda wildcards: config["recipes"][wildcards.recipe],
        size=config["finetune_set_size"],
    log:
        "logs/w{w}/finetuning_set/{student}/{recipe}.log",
    benchmark:
        "benchmarks/w{w}/finetuning_set/{student}/{recipe}.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/mismatch.yaml"
    script:
        "../scripts/finetuning_set.py"


rule finetune_student:
    input:
        recipe="results/w{w}/sets/{student}/{recipe}.parquet",
        base=student_dir,
        code=code("finetune"),
    output:
        adapter=directory("results/w{w}/students/{student}/{recipe}/ft{seed}/adapter"),
        loss="results/w{w}/students/{student}/{recipe}/ft{seed}/loss.tsv",
    params:
        settings=lambda wildcards: cfg.finetune_settings(config, wildcards.student),
        prompt=config["prompt"],
    threads: config["threads"]
    log:
        "logs/w{w}/finetune_student/{student}/{recipe}/ft{seed}.log",
    benchmark:
        "benchmarks/w{w}/finetune_student/{student}/{recipe}/ft{seed}.tsv"
    resources:
        **model_resources("finetune", "student"),
    conda:
        "../envs/mismatch.yaml"
    script:
        "../scripts/finetune_student.py"
