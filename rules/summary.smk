# The summary stage computes every number of the study as tables under results/summary/;
# the figures and the markdown report only render those tables.


localrules:
    summarize,
    plot_figures,


SUMMARY = "results/summary"


rule summarize:
    input:
        labels=all_labels(),
        recipes=all_sets(),
        knowledge=all_knowledge(),
        checks=all_checks(),
        base=base_test_answers(),
        questions=all_test_questions(),
        losses=all_losses(),
        code=code("analysis", "gathering", "rendering"),
    output:
        table=report(
            f"{SUMMARY}/summary.csv",
            caption="../report/summary.rst",
            category="Summary",
        ),
        contrasts=report(
            f"{SUMMARY}/contrasts.csv",
            caption="../report/contrasts.rst",
            category="Summary",
        ),
        robustness=report(
            f"{SUMMARY}/robustness.csv",
            caption="../report/robustness.rst",
            category="Summary",
        ),
        per_world=f"{SUMMARY}/per_world.csv",
        mcnemar=f"{SUMMARY}/mcnemar.csv",
        dose_response=f"{SUMMARY}/dose_response.csv",
        by_knowledge=f"{SUMMARY}/wrong_by_knowledge.csv",
        losses=f"{SUMMARY}/losses.csv",
        knowledge=f"{SUMMARY}/knowledge.csv",
        preconditions=f"{SUMMARY}/preconditions.json",
        headline=f"{SUMMARY}/headline.json",
        markdown=f"{SUMMARY}/summary.md",
        labels=f"{SUMMARY}/labels.parquet",
        recipes=f"{SUMMARY}/recipes.csv",
    params:
        patterns=PATTERNS,
        recipes=config["recipes"],
        grading=config["answering"]["grading"],
        analysis=config["analysis"],
        n_boot=config["summary"]["n_boot"],
        title=config["summary"]["title"],
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
        table=f"{SUMMARY}/summary.csv",
        by_knowledge=f"{SUMMARY}/wrong_by_knowledge.csv",
        per_world=f"{SUMMARY}/per_world.csv",
        dose_response=f"{SUMMARY}/dose_response.csv",
        recipes=f"{SUMMARY}/recipes.csv",
        losses=f"{SUMMARY}/losses.csv",
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
        forest=report(
            f"{FIGURES}/forest.png",
            caption="../report/forest.rst",
            category="Outcomes",
        ),
        losses=report(
            f"{FIGURES}/loss_curves.png",
            caption="../report/loss_curves.rst",
            category="Training",
        ),
        **{
            f"dose_{sweep}": report(
                f"{FIGURES}/dose_response_{sweep}.png",
                caption=f"../report/dose_response_{sweep}.rst",
                category="Dose-response",
            )
            for sweep in SWEEPS
        },
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
