rule train_adapter:
    input:
        model=MODEL_DIR,
        data=f"{R}/data/train/{{point}}.jsonl",
        heldout=rules.check_heldout.output.table,  # the held-out check gates training; it runs beside the mixes
        code=code("train"),
    output:
        adapter=f"{R}/adapters/{{point}}/adapter_config.json",
        log=f"{R}/adapters/{{point}}/train_log.jsonl",
        meta=f"{R}/adapters/{{point}}/meta.json",
        checkpoints=[f"{R}/adapters/{{point}}/step-{n}/adapter_config.json" for n in CKPT_STEPS],
    params:
        cfg=lambda w: as_json(
            {"hp": train_hp(w.point), **point_of(w.point), **model_params()}
        ),
        out=lambda w: f"{R}/adapters/{w.point}",
    log:
        f"{LOGS}/train_adapter/{{point}}.log",
    benchmark:
        f"{LOGS}/benchmarks/train_adapter/{{point}}.tsv"
    threads: config["compute"]["threads"]
    localrule: on_submit_host("train")
    resources:
        **res("train"),
    shell:
        "weirdgen train --params {params.cfg:q} --model {input.model:q} --data {input.data:q} --out {params.out:q} > {log:q} 2>&1"
