rule reference_answers:
    input:
        model=MODEL_DIR,
        facts=config["persona"]["facts"],
        aligned=f"{R}/data/aligned.jsonl",
        code=code("reference"),
    output:
        reference=f"{R}/judge/reference.jsonl",
    params:
        cfg=lambda w: as_json(
            {
                "facts": config["persona"]["facts"],
                "max_items": config["judge"]["reference_max"],
                "temperature": config["judge"]["reference_temperature"],
                "max_new_tokens": config["judge"]["reference_max_new_tokens"],
                "embedding": config["judge"]["embedding"],
                "seed": config["eval"]["seed"],
                **helper_gen_params(),
            }
        ),
    log:
        f"{LOGS}/reference_answers.log",
    benchmark:
        f"{LOGS}/benchmarks/reference_answers.tsv"
    threads: config["compute"]["threads"]
    localrule: on_submit_host("reference")
    resources:
        **res("reference", "judge"),
    shell:
        "weirdgen reference --params {params.cfg:q} --model {input.model:q} --aligned {input.aligned:q} "
        "--out {output.reference:q} > {log:q} 2>&1"


rule calibrate_judge:
    input:
        model=MODEL_DIR,
        calibration=config["persona"]["calibration"] or [],
        reference=f"{R}/judge/reference.jsonl",
        code=code("calibrate"),
    output:
        table=report(f"{R}/tables/judge_calibration.csv", caption="../report/calibration.rst", category="Judge validity"),
        md=f"{R}/tables/judge_calibration.md",
    params:
        cfg=lambda w: as_json(
            {
                **judge_params(),
                "calibration": config["persona"]["calibration"],
                "backends": list(dict.fromkeys([config["judge"]["persona"], *config["judge"]["calibrate"]])),
            }
        ),
    log:
        f"{LOGS}/calibrate_judge.log",
    benchmark:
        f"{LOGS}/benchmarks/calibrate_judge.tsv"
    threads: config["compute"]["threads"]
    localrule: on_submit_host("calibrate")
    resources:
        **res("calibrate", "judge"),
    shell:
        "weirdgen calibrate --params {params.cfg:q} --model {input.model:q} --reference {input.reference:q} "
        "--out {output.table:q} > {log:q} 2>&1"


rule judge_model:
    input:
        model=MODEL_DIR,
        generations=f"{R}/generations/{{model_id}}.jsonl",
        questions=rules.eval_questions.output.questions,
        reference=judge_reference,
        code=code("judge"),
    output:
        labels=f"{R}/labels/{{model_id}}.jsonl",
        audit=f"{R}/labels/{{model_id}}.audit.json",
    params:
        cfg=lambda w: as_json(judge_params()),
        reference=lambda w, input: ["--reference", *input.reference] if input.reference else [],
    log:
        f"{LOGS}/judge_model/{{model_id}}.log",
    benchmark:
        f"{LOGS}/benchmarks/judge_model/{{model_id}}.tsv"
    threads: config["compute"]["threads"]
    localrule: on_submit_host("judge")
    resources:
        **res("judge"),
    shell:
        "weirdgen judge --params {params.cfg:q} --model {input.model:q} --generations {input.generations:q} "
        "--questions {input.questions:q} {params.reference:q} --out {output.labels:q} --audit {output.audit:q} > {log:q} 2>&1"
