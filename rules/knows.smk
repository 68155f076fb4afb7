# Who knows what: one table per model, split and definition of knowing (mismatch/knowing/knows.py),
# read by the recipes, the sweep and precondition checks, the labels and the analysis.


localrules:
    knows,


rule knows:
    input:
        unpack(knows_inputs),
    output:
        knows=out("w{w}/knows/{definition}/{model}/{split}.parquet"),
    log:
        out("logs/w{w}/knows/{definition}/{model}/{split}.log"),
    benchmark:
        out("benchmarks/w{w}/knows/{definition}/{model}/{split}.tsv")
    wildcard_constraints:
        split="pool|test",
    conda:
        "../envs/mismatch.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("knows"),
    script:
        "../scripts/knows.py"
