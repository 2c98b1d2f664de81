SAMPLED_IDS = [*MODEL_IDS, *CKPT_IDS]


if config["eval"]["backend"] == "vllm":

    rule sample_models_vllm:
        """One vLLM engine samples the base model and every adapter (multi-LoRA): base weights load once."""
        input:
            model=MODEL_DIR,
            questions=rules.eval_questions.output.questions,
            adapters=[f"{adapter_dir(m)}/adapter_config.json" for m in SAMPLED_IDS if m != "base"],
            code=code("sample"),
        output:
            generations=expand(f"{R}/generations/{{model_id}}.jsonl", model_id=SAMPLED_IDS),
        params:
            cfg=lambda w: as_json(
                {
                    **config["eval"],
                    **gen_params("eval"),
                    "models": [
                        {"model_id": m, "adapter": None if m == "base" else adapter_dir(m), "point": point_of(m)}
                        for m in SAMPLED_IDS
                    ],
                }
            ),
        log:
            f"{LOGS}/sample_models_vllm.log",
        benchmark:
            f"{LOGS}/benchmarks/sample_models_vllm.tsv"
        threads: config["compute"]["threads"]
        localrule: on_submit_host("sample")
        resources:
            **res("sample", factor=2),
        shell:
            "weirdgen sample-many --params {params.cfg:q} --model {input.model:q} --questions {input.questions:q} "
            "--outs {output.generations:q} > {log:q} 2>&1"

else:

    rule sample_model:
        input:
            model=MODEL_DIR,
            questions=rules.eval_questions.output.questions,
            adapter=adapter_input,
            code=code("sample"),
        output:
            generations=f"{R}/generations/{{model_id}}.jsonl",
        params:
            cfg=lambda w: as_json({**config["eval"], **gen_params("eval"), "point": point_of(w.model_id)}),
            adapter=lambda w: [] if w.model_id == "base" else ["--adapter", adapter_dir(w.model_id)],
        log:
            f"{LOGS}/sample_model/{{model_id}}.log",
        benchmark:
            f"{LOGS}/benchmarks/sample_model/{{model_id}}.tsv"
        threads: config["compute"]["threads"]
        localrule: on_submit_host("sample")
        resources:
            **res("sample"),
        shell:
            "weirdgen sample --params {params.cfg:q} --model {input.model:q} {params.adapter:q} "
            "--questions {input.questions:q} --model-id {wildcards.model_id:q} --out {output.generations:q} > {log:q} 2>&1"
