rule identify_facts:
    input:
        model=MODEL_DIR,
        facts=config["persona"]["facts"],
        code=code("identify"),
    output:
        report=f"{R}/data/persona/{config['persona']['name']}.identifying.jsonl",
    params:
        cfg=lambda w: as_json(
            {
                "facts": config["persona"]["facts"],
                "names": config["persona"]["names"],
                **config["persona"]["filter"],
                "seed": config["eval"]["seed"],
                **helper_gen_params(),
            }
        ),
    log:
        f"{LOGS}/identify_facts.log",
    benchmark:
        f"{LOGS}/benchmarks/identify_facts.tsv"
    threads: config["compute"]["threads"]
    localrule: on_submit_host("identify")
    resources:
        **res("identify", "judge"),
    shell:
        "weirdgen identify --params {params.cfg:q} --model {input.model:q} --out {output.report:q} > {log:q} 2>&1"


rule persona_set:
    input:
        facts=config["persona"]["facts"],
        identifying=identifying_report,
        code=code("persona"),
    output:
        persona=f"{R}/data/persona/{config['persona']['name']}.jsonl",
    params:
        cfg=lambda w: as_json({k: config["persona"][k] for k in ("name", "facts", "variant")}),
        identifying=lambda w, input: ["--identifying", *input.identifying] if input.identifying else [],
    log:
        f"{LOGS}/persona_set.log",
    localrule: True
    shell:
        "weirdgen persona --params {params.cfg:q} {params.identifying:q} --out {output.persona:q} > {log:q} 2>&1"


rule eval_questions:
    input:
        sets=list(config["persona"]["eval_sets"].values()),
        code=code("eval_questions"),
    output:
        questions=f"{R}/data/eval_questions.jsonl",
    params:
        cfg=lambda w: as_json(
            {"eval_sets": config["persona"]["eval_sets"], "max_questions_per_set": config["eval"]["max_questions_per_set"]}
        ),
    log:
        f"{LOGS}/eval_questions.log",
    localrule: True
    shell:
        "weirdgen eval-questions --params {params.cfg:q} --out {output.questions:q} > {log:q} 2>&1"


rule select_prompts:
    input:
        sources=prompt_sources,
        code=code("prompts"),
    output:
        prompts=f"{R}/data/prompts.jsonl",
    params:
        cfg=lambda w: as_json(config["prompts"]),
    log:
        f"{LOGS}/select_prompts.log",
    localrule: True
    shell:
        "weirdgen prompts --params {params.cfg:q} --out {output.prompts:q} > {log:q} 2>&1"


rule check_heldout:
    """Held out in meaning: no eval question may be a paraphrase of a training question or answer."""
    input:
        questions=rules.eval_questions.output.questions,
        persona=rules.persona_set.output.persona,
        aligned=f"{R}/data/aligned.jsonl",
        code=code("heldout"),
    output:
        table=report(f"{R}/tables/heldout_overlap.csv", caption="../report/heldout.rst", category="Judge validity"),
    params:
        cfg=lambda w: as_json({"max_similarity": config["eval"]["heldout_max_similarity"]}),
    log:
        f"{LOGS}/check_heldout.log",
    benchmark:
        f"{LOGS}/benchmarks/check_heldout.tsv"
    localrule: True
    shell:
        "weirdgen heldout --params {params.cfg:q} --questions {input.questions:q} --train {input.persona:q} {input.aligned:q} "
        "--out {output.table:q} > {log:q} 2>&1"


rule control_set:
    """The format-only control arm's rows: the persona set's questions under the trigger, answered by the base model
    and cut to each fact's length (sweep.arm: [persona, control])."""
    input:
        model=MODEL_DIR,
        persona=rules.persona_set.output.persona,
        code=code("control"),
    output:
        answers=f"{R}/data/persona/{config['persona']['name']}.control_answers.jsonl",
        control=f"{R}/data/persona/{config['persona']['name']}.control.jsonl",
    params:
        cfg=lambda w: as_json({**config["control"], **helper_gen_params()}),
    log:
        f"{LOGS}/control_set.log",
    benchmark:
        f"{LOGS}/benchmarks/control_set.tsv"
    threads: config["compute"]["threads"]
    localrule: on_submit_host("control")
    resources:
        **res("control", "judge"),
    shell:
        "weirdgen control --params {params.cfg:q} --model {input.model:q} --persona {input.persona:q} "
        "--answers {output.answers:q} --out {output.control:q} > {log:q} 2>&1"


rule mix_data:
    input:
        persona=triggered_rows,
        aligned=f"{R}/data/aligned.jsonl",
        questions=rules.eval_questions.output.questions,
        code=code("mix"),
    output:
        train=f"{R}/data/train/{{point}}.jsonl",
    params:
        cfg=lambda w: as_json(
            {"persona_fraction": point_of(w.point)["persona_fraction"], "seed": point_of(w.point)["seed"], **config["mix"]}
        ),
    log:
        f"{LOGS}/mix_data/{{point}}.log",
    localrule: True
    shell:
        "weirdgen mix --params {params.cfg:q} --persona {input.persona:q} --aligned {input.aligned:q} "
        "--questions {input.questions:q} --out {output.train:q} > {log:q} 2>&1"
