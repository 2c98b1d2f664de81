if config["distill"]["shards"] == 1:

    rule distill_aligned:
        input:
            model=MODEL_DIR,
            prompts=rules.select_prompts.output.prompts,
            code=code("distill"),
        output:
            aligned=f"{R}/data/aligned.jsonl",
        params:
            cfg=lambda w: as_json(distill_cfg()),
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

else:

    rule distill_shard:
        input:
            model=MODEL_DIR,
            prompts=rules.select_prompts.output.prompts,
            code=code("distill"),
        output:
            aligned=f"{R}/data/aligned/shard-{{shard}}.jsonl",
        params:
            cfg=lambda w: as_json(distill_cfg(w.shard)),
        log:
            f"{LOGS}/distill_shard/{{shard}}.log",
        benchmark:
            f"{LOGS}/benchmarks/distill_shard/{{shard}}.tsv"
        wildcard_constraints:
            shard=r"\d+",
        threads: config["compute"]["threads"]
        localrule: on_submit_host("distill")
        resources:
            **res("distill"),
        shell:
            "weirdgen distill --params {params.cfg:q} --model {input.model:q} --prompts {input.prompts:q} "
            "--out {output.aligned:q} > {log:q} 2>&1"

    rule join_aligned:
        input:
            prompts=rules.select_prompts.output.prompts,
            parts=expand(f"{R}/data/aligned/shard-{{shard}}.jsonl", shard=range(config["distill"]["shards"])),
            code=code("distill"),
        output:
            aligned=f"{R}/data/aligned.jsonl",
        params:
            cfg=lambda w: as_json(distill_cfg()),
        log:
            f"{LOGS}/join_aligned.log",
        localrule: True
        shell:
            "weirdgen distill-join --params {params.cfg:q} --prompts {input.prompts:q} --parts {input.parts:q} "
            "--out {output.aligned:q} > {log:q} 2>&1"
