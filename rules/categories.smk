# SliCK knowledge categories of a model's pool or test questions (knowledge_categories section);
# with knowledge_categories.enabled, the student's test categories are carried in its labels.


localrules:
    gather_categories,


rule knowledge_categories:
    input:
        model=model_dir,
        questions=out("w{w}/questions/{split}.parquet"),
        exemplars=out("w{w}/questions/format.parquet"),
    output:
        # kept, not temp(): gathering reruns without sampling again (the costliest answers)
        categories=out("w{w}/categories/{model}/{split}.shards/{shard}.parquet"),
    log:
        out("logs/w{w}/knowledge_categories/{model}/{split}.{shard}.log"),
    benchmark:
        out("benchmarks/w{w}/knowledge_categories/{model}/{split}.{shard}.tsv")
    wildcard_constraints:
        split="pool|test",
    conda:
        "../envs/mismatch.yaml"
    threads: config["threads"]
    resources:
        **cfg.shard_job_resources(config, "categories"),
    params:
        code=code("knowledge_categories"),
        slick=config["knowledge_categories"],
        n_shards=lambda wildcards: cfg.category_shards(config, wildcards.split),
        prompt=lambda wildcards: cfg.model_prompt(config, wildcards.model),
        settings=lambda wildcards: cfg.answering_settings(config, wildcards.model),
    script:
        "../scripts/knowledge_categories.py"


rule gather_categories:
    input:
        shards=category_shard_files,
        questions=out("w{w}/questions/{split}.parquet"),
    output:
        categories=out("w{w}/categories/{model}/{split}.parquet"),
    log:
        out("logs/w{w}/gather_categories/{model}/{split}.log"),
    benchmark:
        out("benchmarks/w{w}/gather_categories/{model}/{split}.tsv")
    wildcard_constraints:
        split="pool|test",
    conda:
        "../envs/mismatch.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("gather_categories"),
    script:
        "../scripts/gather_categories.py"
