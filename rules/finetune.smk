# Fine-tuning sets from a source model's pool answers, and LoRA students trained on them.


localrules:
    finetuning_set,
    check_sweeps,


rule finetuning_set:
    input:
        unpack(recipe_answers),
        unpack(recipe_categories),
        check=out("w{w}/checks/{student}.json"),
        questions=out("w{w}/questions/pool.parquet"),
    output:
        recipe=out("w{w}/sets/{student}/{recipe}.parquet"),
    log:
        out("logs/w{w}/finetuning_set/{student}/{recipe}.log"),
    benchmark:
        out("benchmarks/w{w}/finetuning_set/{student}/{recipe}.tsv")
    conda:
        "../envs/mismatch.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("finetuning_set"),
        recipe=lambda wildcards: config["recipes"][wildcards.recipe],
        size=lambda wildcards: cfg.recipe_size(config, wildcards.recipe),
        seeds=FT_SEEDS,
        cluster=config["analysis"]["cluster"],
    script:
        "../scripts/finetuning_set.py"


# Whether every level of the sweeps can be filled (a study without sweeps asks for none).
rule check_sweeps:
    input:
        unpack(source_files("pool", answers_file)),
        unpack(source_files("pool", knows_file, "_knows")),
        questions=out("w{w}/questions/pool.parquet"),
    output:
        check=out("w{w}/checks/sweeps/{student}.json"),
    log:
        out("logs/w{w}/check_sweeps/{student}.log"),
    benchmark:
        out("benchmarks/w{w}/check_sweeps/{student}.tsv")
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
        seeds=FT_SEEDS,
        cluster=config["analysis"]["cluster"],
    script:
        "../scripts/check_sweeps.py"


# One rule fine-tunes and labels: a job runs a list of (recipe, seed) units in one process.
# finetune.job_per groups the units: student (every recipe and seed of a world's student), recipe
# (one recipe's seeds) or seed (a list of one). Each unit's finished adapter is cached under
# finetune.checkpoint_root (mismatch/training/student_jobs.py), so a killed job retrains only the
# unit it was killed in, from that unit's newest checkpoint.
rule finetune_and_label:
    input:
        recipes=unit_recipes,
        base=student_dir,
        questions=out("w{w}/questions/test.parquet"),
        base_answers=answers_file("{w}", "{student}", "test"),
        categories=(
            out("w{w}/categories/{student}/test.parquet")
            if config["knowledge_categories"]["enabled"]
            else []
        ),
        knows=knows_file("{w}", "{student}", "test"),
        pool=out("w{w}/questions/pool.parquet"),
    output:
        # adapters kept, not temp(): a student is relabelled or probed without retraining
        # (LoRA weights: about 10 MB for SmolLM2, 0.2 MB in the synthetic world)
        adapters=[directory(p) for p in unit_paths("students/{student}/{recipe}/ft{seed}/adapter")],
        losses=unit_paths("students/{student}/{recipe}/ft{seed}/loss.tsv"),
        labels=unit_paths("labels/{student}/{recipe}/ft{seed}.parquet"),
    log:
        out(f"logs/w{{w}}/finetune_and_label/{STUDENT_JOB}.log"),
    benchmark:
        out(f"benchmarks/w{{w}}/finetune_and_label/{STUDENT_JOB}.tsv")
    conda:
        "../envs/mismatch.yaml"
    threads: config["threads"]
    resources:
        **cfg.student_job_resources(config),
    params:
        code=code("finetune_and_label"),
        units=job_unit_values,
        settings=lambda wildcards: cfg.finetune_settings(config, wildcards.student),
        answering=lambda wildcards: cfg.answering_settings(config, wildcards.student),
        prompt=lambda wildcards: cfg.model_prompt(config, wildcards.student),
        stopping=cfg.recipe_stopping(config),
    script:
        "../scripts/finetune_and_label.py"
