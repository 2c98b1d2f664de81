TABLES = ["rates", "gaps", "rates_across_seeds", "gaps_across_seeds"]


rule summarise:
    input:
        labels=expand(f"{R}/labels/{{model_id}}.jsonl", model_id=MODEL_IDS),
        code=code("stats.py"),
    output:
        tables=expand(f"{R}/tables/{{name}}.{{ext}}", name=TABLES, ext=["csv", "md"]),
    params:
        cfg=lambda w: as_json(config["stats"]),
        out=f"{R}/tables",
    conda:
        "../../envs/stats.yaml"
    log:
        f"{LOGS}/summarise.log",
    benchmark:
        f"{LOGS}/benchmarks/summarise.tsv"
    localrule: True
    shell:
        "weirdgen stats --params {params.cfg:q} --labels {input.labels} --out-dir {params.out} > {log} 2>&1"
