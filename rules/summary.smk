# Summaries over seeds, figures and the report.


localrules:
    summarize,
    plot_figures,


rule summarize:
    input:
        labels=all_labels(),
        recipes=all_sets(),
        knowledge=all_knowledge(),
        checks=all_checks(),
        sweep_checks=all_sweep_checks(),
        base=base_test_answers(),
    output:
        table=report(
            "results/summary/summary.csv",
            caption="../report/summary.rst",
            category="4. Summary table",
        ),
        markdown="results/summary/summary.md",
        headline="results/summary/headline.rst",
        labels="results/summary/labels.parquet",
        recipes="results/summary/recipes.csv",
    log:
        "logs/summarize.log",
    benchmark:
        "benchmarks/summarize.tsv"
    conda:
        "../envs/mismatch.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code("summarize"),
        base_keys=[(w, s) for w in WORLD_SEEDS for s in STUDENTS],
        check_worlds=[w for w in WORLD_SEEDS for s in STUDENTS],
        recipes=config["recipes"],
        grading=config["answering"]["grading"],
        n_boot=config["summary"]["n_boot"],
        title=config["summary"]["title"],
    script:
        "../scripts/summarize.py"


rule plot_figures:
    input:
        table="results/summary/summary.csv",
        labels="results/summary/labels.parquet",
        recipes="results/summary/recipes.csv",
        losses=all_losses(),
    output:
        **{
            f"dose_{sweep}": report(
                f"{FIGURES}/dose_response_{sweep}.png",
                caption=f"../report/dose_response_{sweep}.rst",
                category="2. Dose-response",
            )
            for sweep in SWEEPS
        },
        outcomes=report(
            f"{FIGURES}/outcomes.png",
            caption="../report/outcomes.rst",
            category="1. Outcomes",
        ),
        by_knowledge=report(
            f"{FIGURES}/wrong_by_knowledge.png",
            caption="../report/wrong_by_knowledge.rst",
            category="1. Outcomes",
        ),
        losses=report(
            f"{FIGURES}/loss_curves.png",
            caption="../report/loss_curves.rst",
            category="3. Training",
        ),
    log:
        "logs/plot_figures.log",
    benchmark:
        "benchmarks/plot_figures.tsv"
    conda:
        "../envs/mismatch.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code("plot_figures"),
        n_boot=config["summary"]["n_boot"],
        loss_recipes=[r for w in WORLD_SEEDS for s in STUDENTS for r in RECIPES for f in FT_SEEDS],
    script:
        "../scripts/plot_figures.py"
