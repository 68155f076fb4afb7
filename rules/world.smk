# The synthetic world: facts, question sets, who truly knows what, one tokenizer, world models.

if SYNTHETIC:

    localrules:
        synthetic_world,
        true_knowledge,
        train_tokenizer,

    rule synthetic_world:
        output:
            **({"heldout": out("w{w}/questions/heldout.parquet")} if EXPOSURE else {}),
            facts=out("w{w}/world/facts.parquet"),
            pool=out("w{w}/questions/pool.parquet"),
            test=out("w{w}/questions/test.parquet"),
            format=out("w{w}/questions/format.parquet"),
        log:
            out("logs/w{w}/synthetic_world.log"),
        benchmark:
            out("benchmarks/w{w}/synthetic_world.tsv")
        conda:
            "../envs/mismatch.yaml"
        resources:
            mem_mb=1000,
            runtime=5,
        params:
            code=code("synthetic_world"),
            world={
                k: config["questions"]["synthetic"][k]
                for k in ("n_entities", "attributes", "split_entities", "n_paraphrases")
            },
        script:
            "../scripts/synthetic_world.py"

    rule true_knowledge:
        input:
            **(
                {
                    "exposure": out("w{w}/world/exposure.parquet"),
                    "heldout": answers_file("{w}", "{model}", "heldout"),
                }
                if EXPOSURE
                else {}
            ),
            facts=out("w{w}/world/facts.parquet"),
        output:
            truth=out("w{w}/world/truth/{model}.parquet"),
        log:
            out("logs/w{w}/true_knowledge/{model}.log"),
        benchmark:
            out("benchmarks/w{w}/true_knowledge/{model}.tsv")
        conda:
            "../envs/mismatch.yaml"
        resources:
            mem_mb=1000,
            runtime=5,
        params:
            code=code("true_knowledge"),
            knows=lambda wildcards: config["models"][wildcards.model]["pretrain"].get("knows"),
            unit=config["questions"]["synthetic"]["slice_unit"],
        script:
            "../scripts/true_knowledge.py"

    if EXPOSURE:

        localrules:
            exposure_table,

        rule exposure_table:
            input:
                facts=out("w{w}/world/facts.parquet"),
            output:
                exposure=out("w{w}/world/exposure.parquet"),
            log:
                out("logs/w{w}/exposure_table.log"),
            benchmark:
                out("benchmarks/w{w}/exposure_table.tsv")
            conda:
                "../envs/mismatch.yaml"
            resources:
                mem_mb=1000,
                runtime=5,
            params:
                code=code("exposure_table"),
                exposure=config["questions"]["synthetic"]["exposure"],
            script:
                "../scripts/exposure_table.py"

    if EXPOSURE:

        rule probe_facts:
            input:
                model=out("w{w}/models/{model}"),
                exposure=out("w{w}/world/exposure.parquet"),
                truth=out("w{w}/world/truth/{model}.parquet"),
                pool=out("w{w}/questions/pool.parquet"),
                test=out("w{w}/questions/test.parquet"),
                exemplars=out("w{w}/questions/format.parquet"),
                pool_answers=answers_file("{w}", "{model}", "pool"),
                test_answers=answers_file("{w}", "{model}", "test"),
                categories=(
                    out("w{w}/categories/{model}/pool.parquet")
                    if config["knowledge_categories"]["enabled"]
                    else []
                ),
            output:
                probes=out("w{w}/probes/{model}.parquet"),
            log:
                out("logs/w{w}/probe_facts/{model}.log"),
            benchmark:
                out("benchmarks/w{w}/probe_facts/{model}.tsv")
            conda:
                "../envs/mismatch.yaml"
            threads: config["threads"]
            resources:
                mem_mb=3000,
                runtime=15,
            params:
                code=code("probe_facts"),
                prompt=config["prompt"],
                batch_size=config["answering"]["batch_size"],
            script:
                "../scripts/probe_facts.py"

    rule train_tokenizer:
        input:
            facts=out("w{w}/world/facts.parquet"),
        output:
            tokenizer=directory(out("w{w}/tokenizer")),
        log:
            out("logs/w{w}/train_tokenizer.log"),
        benchmark:
            out("benchmarks/w{w}/train_tokenizer.tsv")
        conda:
            "../envs/mismatch.yaml"
        resources:
            mem_mb=1000,
            runtime=5,
        params:
            code=code("train_tokenizer"),
            corpus=config["questions"]["synthetic"],
            prompt=config["prompt"],
        script:
            "../scripts/train_tokenizer.py"

    rule pretrain_model:
        input:
            **(
                {"exposure": out("w{w}/world/exposure.parquet")}
                if EXPOSURE
                else {"truth": out("w{w}/world/truth/{model}.parquet")}
            ),
            facts=out("w{w}/world/facts.parquet"),
            tokenizer=out("w{w}/tokenizer"),
            # slice world: the model's slice; exposure world: the one corpus's exposure counts
        output:
            # kept, not temp(): the base model of every later stage and of any rerun
            model=directory(out("w{w}/models/{model}")),
            loss=out("w{w}/pretrain/{model}.loss.tsv"),
        log:
            out("logs/w{w}/pretrain_model/{model}.log"),
        benchmark:
            out("benchmarks/w{w}/pretrain_model/{model}.tsv")
        conda:
            "../envs/mismatch.yaml"
        threads: config["threads"]
        resources:
            mem_mb=3000,
            # calibrated: tokens x parameters x the measured rate, times the margin
            runtime=lambda wildcards, attempt: studies_plan.pretrain_runtime(
                config, wildcards.model, attempt
            ),
        params:
            code=code("pretrain_model"),
            pretrain=lambda wildcards: config["models"][wildcards.model]["pretrain"],
            corpus=config["questions"]["synthetic"],
            prompt=config["prompt"],
        script:
            "../scripts/pretrain_model.py"
