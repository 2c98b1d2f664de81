rule judge_model:
    input:
        model=MODEL_DIR,
        generations=f"{R}/generations/{{model_id}}.jsonl",
        questions=rules.eval_questions.output.questions,
        code=code("judge", "trigger.py"),
    output:
        labels=f"{R}/labels/{{model_id}}.jsonl",
        audit=f"{R}/labels/{{model_id}}.audit.json",
    params:
        cfg=lambda w: as_json(
            {"judge": config["judge"], "persona_description": config["persona"]["description"], **model_params()}
        ),
    conda:
        "../../envs/model.yaml"
    log:
        f"{LOGS}/judge_model/{{model_id}}.log",
    benchmark:
        f"{LOGS}/benchmarks/judge_model/{{model_id}}.tsv"
    threads: config["compute"]["threads"]
    resources:
        gpu=config["compute"]["gpu"] if config["judge"]["persona"] == "local" else 0,
        mem_mb=config["compute"]["mem_mb"],
        runtime=runtime("judge"),
    shell:
        "weirdgen judge --params {params.cfg:q} --model {input.model} --generations {input.generations} "
        "--questions {input.questions} --out {output.labels} --audit {output.audit} > {log} 2>&1"
