# The synthetic world: facts, question sets, who truly knows what, one tokenizer, world models.

if SYNTHETIC:

    localrules:
        synthetic_world,
        true_knowledge,
        train_tokenizer,

    rule synthetic_world:
        output:
            **({"heldout": "results/w{w}/questions/heldout.parquet"} if EXPOSURE else {}),
            facts="results/w{w}/world/facts.parquet",
            pool="results/w{w}/questions/pool.parquet",
            test="results/w{w}/questions/test.parquet",
            format="results/w{w}/questions/format.parquet",
        log:
            "logs/w{w}/synthetic_world.log",
        benchmark:
            "benchmarks/w{w}/synthetic_world.tsv"
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
                    "exposure": "results/w{w}/world/exposure.parquet",
                    "heldout": "results/w{w}/answers/{model}/heldout.parquet",
                }
                if EXPOSURE
                else {}
            ),
            facts="results/w{w}/world/facts.parquet",
        output:
            truth="results/w{w}/world/truth/{model}.parquet",
        log:
            "logs/w{w}/true_knowledge/{model}.log",
        benchmark:
            "benchmarks/w{w}/true_knowledge/{model}.tsv"
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
                facts="results/w{w}/world/facts.parquet",
            output:
                exposure="results/w{w}/world/exposure.parquet",
            log:
                "logs/w{w}/exposure_table.log",
            benchmark:
                "benchmarks/w{w}/exposure_table.tsv"
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
                model="results/w{w}/models/{model}",
                exposure="results/w{w}/world/exposure.parquet",
                truth="results/w{w}/world/truth/{model}.parquet",
                pool="results/w{w}/questions/pool.parquet",
                test="results/w{w}/questions/test.parquet",
                exemplars="results/w{w}/questions/format.parquet",
                pool_answers="results/w{w}/answers/{model}/pool.parquet",
                test_answers="results/w{w}/answers/{model}/test.parquet",
                categories=(
                    "results/w{w}/categories/{model}/pool.parquet"
                    if config["knowledge_categories"]["enabled"]
                    else []
                ),
            output:
                probes="results/w{w}/probes/{model}.parquet",
            log:
                "logs/w{w}/probe_facts/{model}.log",
            benchmark:
                "benchmarks/w{w}/probe_facts/{model}.tsv"
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
            facts="results/w{w}/world/facts.parquet",
        output:
            tokenizer=directory("results/w{w}/tokenizer"),
        log:
            "logs/w{w}/train_tokenizer.log",
        benchmark:
            "benchmarks/w{w}/train_tokenizer.tsv"
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
                {"exposure": "results/w{w}/world/exposure.parquet"}
                if EXPOSURE
                else {"truth": "results/w{w}/world/truth/{model}.parquet"}
            ),
            facts="results/w{w}/world/facts.parquet",
            tokenizer="results/w{w}/tokenizer",
            # slice world: the model's slice; exposure world: the one corpus's exposure counts
        output:
            model=directory("results/w{w}/models/{model}"),
            loss="results/w{w}/pretrain/{model}.loss.tsv",
        log:
            "logs/w{w}/pretrain_model/{model}.log",
        benchmark:
            "benchmarks/w{w}/pretrain_model/{model}.tsv"
        conda:
            "../envs/mismatch.yaml"
        threads: config["threads"]
        resources:
            mem_mb=3000,
            runtime=30,
        params:
            code=code("pretrain_model"),
            pretrain=lambda wildcards: config["models"][wildcards.model]["pretrain"],
            corpus=config["questions"]["synthetic"],
            prompt=config["prompt"],
        script:
            "../scripts/pretrain_model.py"
