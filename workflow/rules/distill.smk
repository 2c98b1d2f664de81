rule distill_aligned:
    input:
        model=MODEL_DIR,
        prompts=rules.select_prompts.output.prompts,
        code=code("distill"),
    output:
        aligned=f"{R}/data/aligned.jsonl",
    params:
        cfg=lambda w: as_json({**config["distill"], **gen_params("distill")}),
    conda:
        "../../envs/model.yaml"
    log:
        f"{LOGS}/distill_aligned.log",
    benchmark:
        f"{LOGS}/benchmarks/distill_aligned.tsv"
    threads: config["compute"]["threads"]
    resources:
        gpu=config["compute"]["gpu"],
        mem_mb=config["compute"]["mem_mb"],
        runtime=runtime("distill"),
    shell:
        "weirdgen distill --params {params.cfg:q} --model {input.model:q} --prompts {input.prompts:q} "
        "--out {output.aligned:q} > {log:q} 2>&1"
