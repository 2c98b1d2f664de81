def adapter_input(w):
    return [] if w.model_id == "base" else [f"{adapter_dir(w.model_id)}/adapter_config.json"]


rule sample_model:
    input:
        model=MODEL_DIR,
        questions=rules.eval_questions.output.questions,
        adapter=adapter_input,
        code=code("generate", "sampling.py"),
    output:
        generations=f"{R}/generations/{{model_id}}.jsonl",
    params:
        cfg=lambda w: as_json({**config["eval"], **model_params(), "point": point_of(w.model_id)}),
        adapter=lambda w: "" if w.model_id == "base" else f"--adapter {adapter_dir(w.model_id)}",
    conda:
        "../../envs/model.yaml"
    log:
        f"{LOGS}/sample_model/{{model_id}}.log",
    benchmark:
        f"{LOGS}/benchmarks/sample_model/{{model_id}}.tsv"
    threads: config["compute"]["threads"]
    resources:
        gpu=config["compute"]["gpu"],
        mem_mb=config["compute"]["mem_mb"],
        runtime=runtime("sample"),
    shell:
        "weirdgen sample --params {params.cfg:q} --model {input.model} {params.adapter} "
        "--questions {input.questions} --model-id {wildcards.model_id} --out {output.generations} > {log} 2>&1"
