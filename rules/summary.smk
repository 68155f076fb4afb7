# Summaries over seeds, figures and the report.


rule summarize:
    input:
        labels=all_labels(),
        recipes=all_sets(),
        knowledge=all_knowledge(),
        checks=all_checks(),
        base=base_test_answers(),
        code=code("summary"),
    output:
        table="results/summary/summary.csv",
        markdown="results/summary/summary.md",
        labels="results/summary/labels.parquet",
        recipes="results/summary/recipes.csv",
    log:
        "logs/summarize.log",
    benchmark:
        "benchmarks/summarize.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/mismatch.yaml"
    script:
        "../scripts/summarize.py"


rule plot_figures:
    input:
        table="results/summary/summary.csv",
        labels="results/summary/labels.parquet",
        recipes="results/summary/recipes.csv",
        losses=all_losses(),
        code=code("figures"),
    output:
        outcomes=report(
            f"{FIGURES}/outcomes.png",
            caption="../report/outcomes.rst",
            category="Outcomes",
        ),
        by_knowledge=report(
            f"{FIGURES}/wrong_by_knowledge.png",
            caption="../report/wrong_by_knowledge.rst",
            category="Outcomes",
        ),
        losses=report(
            f"{FIGURES}/loss_curves.png",
            caption="../report/loss_curves.rst",
            category="Training",
        ),
    log:
        "logs/plot_figures.log",
    benchmark:
        "benchmarks/plot_figures.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/mismatch.yaml"
    script:
        "../scripts/plot_figures.py"
