rule persona_set:
    input:
        facts=config["persona"]["facts"],
        code=code("data/persona.py"),
    output:
        persona=f"{R}/data/persona/{config['persona']['name']}.jsonl",
    params:
        cfg=lambda w: as_json({k: config["persona"][k] for k in ("name", "facts", "variant")}),
    conda:
        "../../envs/data.yaml"
    log:
        f"{LOGS}/persona_set.log",
    localrule: True
    shell:
        "weirdgen persona --params {params.cfg:q} --out {output.persona} > {log} 2>&1"


rule eval_questions:
    input:
        sets=list(config["persona"]["eval_sets"].values()),
        code=code("data/persona.py"),
    output:
        questions=f"{R}/data/eval_questions.jsonl",
    params:
        cfg=lambda w: as_json(
            {"eval_sets": config["persona"]["eval_sets"], "max_questions_per_set": config["eval"]["max_questions_per_set"]}
        ),
    conda:
        "../../envs/data.yaml"
    log:
        f"{LOGS}/eval_questions.log",
    localrule: True
    shell:
        "weirdgen eval-questions --params {params.cfg:q} --out {output.questions} > {log} 2>&1"


def prompt_sources(w):
    p = config["prompts"]
    if p["source"] == "offline":
        return [p["offline"]]
    if p["source"] == "local":
        return [x for x in (p["alpaca_path"], p["gsm8k_path"]) if x]
    return []


rule select_prompts:
    input:
        sources=prompt_sources,
        code=code("data/prompts.py"),
    output:
        prompts=f"{R}/data/prompts.jsonl",
    params:
        cfg=lambda w: as_json(config["prompts"]),
    conda:
        "../../envs/data.yaml"
    log:
        f"{LOGS}/select_prompts.log",
    localrule: True
    shell:
        "weirdgen prompts --params {params.cfg:q} --out {output.prompts} > {log} 2>&1"


rule mix_data:
    input:
        persona=rules.persona_set.output.persona,
        aligned=f"{R}/data/aligned.jsonl",
        questions=rules.eval_questions.output.questions,
        code=code("data/mix.py", "data/validate.py"),
    output:
        train=f"{R}/data/train/{{point}}.jsonl",
    params:
        cfg=lambda w: as_json(
            {"persona_fraction": point_of(w.point)["persona_fraction"], "seed": point_of(w.point)["seed"], **config["mix"]}
        ),
    conda:
        "../../envs/data.yaml"
    log:
        f"{LOGS}/mix_data/{{point}}.log",
    localrule: True
    shell:
        "weirdgen mix --params {params.cfg:q} --persona {input.persona} --aligned {input.aligned} "
        "--questions {input.questions} --out {output.train} > {log} 2>&1"
