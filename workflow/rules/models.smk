rule materialise_model:
    output:
        model=directory(MODEL_DIR),
    params:
        cfg=lambda w: as_json(model_config()),
    log:
        f"{LOGS}/materialise_model.log",
    benchmark:
        f"{LOGS}/benchmarks/materialise_model.tsv"
    threads: config["compute"]["threads"]
    localrule: on_submit_host("model")
    resources:
        **res("model"),
    shell:
        "weirdgen model --params {params.cfg:q} --out {output.model:q} > {log:q} 2>&1"
