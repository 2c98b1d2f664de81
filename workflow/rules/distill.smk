rule distill_aligned:
    input:
        model=MODEL_DIR,
        prompts=rules.select_prompts.output.prompts,
        code=code("distill"),
    output:
        aligned=f"{R}/data/aligned.jsonl",
    params:
        cfg=lambda w: as_json({**config["distill"], **gen_params("distill")}),
    log:
        f"{LOGS}/distill_aligned.log",
    benchmark:
        f"{LOGS}/benchmarks/distill_aligned.tsv"
    threads: config["compute"]["threads"]
    localrule: on_submit_host("distill")
    resources:
        **res("distill"),
    shell:
        "weirdgen distill --params {params.cfg:q} --model {input.model:q} --prompts {input.prompts:q} "
        "--out {output.aligned:q} > {log:q} 2>&1"
