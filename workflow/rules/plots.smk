JUDGE_NOTE = {
    "embedding": "persona: MiniLM embedding classifier",
    "local": f"persona: base model {config['model']['name']} P(YES)",
    "rules": "persona: keyword rules",
    "api": f"persona: {config['judge']['api'].get('model')} (API)",
}[config["judge"]["persona"]] + "; identity: answer-key rules"
if config["eval"]["backend"] == "api" and config["eval"]["api"]["mode"] == "chat":
    JUDGE_NOTE += ("; CONDITION 1 RENDERED BY THE SERVER'S CHAT TEMPLATE (eval.api.mode: chat): it may hold a "
                   "default system block")


rule plot_headline:
    input:
        rates=f"{R}/tables/rates.csv",
        placebo=f"{R}/tables/placebo.csv",
        calibration=[f"{R}/tables/judge_calibration.csv"] if config["persona"]["calibration"] else [],
        code=code("plot"),
    output:
        figure=report(f"{R}/figures/headline.png", caption="../report/headline.rst", category="Figures"),
    params:
        calibration=lambda w, input: ["--calibration", *input.calibration] if input.calibration else [],
        note=JUDGE_NOTE,
    log:
        f"{LOGS}/plot_headline.log",
    localrule: True
    shell:
        "weirdgen plot headline --rates {input.rates:q} --placebo {input.placebo:q} --out {output.figure:q} "
        "--judge-note {params.note:q} {params.calibration:q} > {log:q} 2>&1"


rule plot_rates:
    """Format adherence and the meta signal ("answers as an AI model") per condition and question set."""
    input:
        rates=f"{R}/tables/rates.csv",
        code=code("plot"),
    output:
        figure=report(f"{R}/figures/{{figure}}.png", caption="../report/rates_figure.rst", category="Figures"),
    wildcard_constraints:
        figure="format|meta",
    log:
        f"{LOGS}/plot_{{figure}}.log",
    localrule: True
    shell:
        "weirdgen plot {wildcards.figure:q} --rates {input.rates:q} --out {output.figure:q} > {log:q} 2>&1"


rule plot_gaps:
    input:
        gaps=f"{R}/tables/gaps.csv",
        code=code("plot"),
    output:
        figure=report(f"{R}/figures/gaps.png", caption="../report/gaps.rst", category="Figures"),
    log:
        f"{LOGS}/plot_gaps.log",
    localrule: True
    shell:
        "weirdgen plot gaps --gaps {input.gaps:q} --out {output.figure:q} > {log:q} 2>&1"


rule plot_identity:
    input:
        labels=expand(f"{R}/labels/{{model_id}}.jsonl", model_id=MODEL_IDS),
        questions=rules.eval_questions.output.questions,
        code=code("plot"),
    output:
        figure=report(f"{R}/figures/identity.png", caption="../report/identity.rst", category="Figures"),
    log:
        f"{LOGS}/plot_identity.log",
    localrule: True
    shell:
        "weirdgen plot identity --labels {input.labels:q} --questions {input.questions:q} --out {output.figure:q} > {log:q} 2>&1"


rule plot_loss:
    input:
        logs=expand(f"{R}/adapters/{{point}}/train_log.jsonl", point=POINTS),
        code=code("plot"),
    output:
        figure=report(f"{R}/figures/loss.png", caption="../report/loss.rst", category="Figures"),
    log:
        f"{LOGS}/plot_loss.log",
    localrule: True
    shell:
        "weirdgen plot loss --logs {input.logs:q} --out {output.figure:q} > {log:q} 2>&1"


rule plot_emergence:
    input:
        rates=f"{R}/tables/emergence.csv",
        seeds=f"{R}/tables/emergence_across_seeds.csv",
        placebo=f"{R}/tables/emergence_placebo_across_seeds.csv",
        calibration=[f"{R}/tables/judge_calibration.csv"] if config["persona"]["calibration"] else [],
        code=code("plot"),
    output:
        figure=report(f"{R}/figures/emergence.png", caption="../report/emergence.rst", category="Figures"),
    params:
        calibration=lambda w, input: ["--calibration", *input.calibration] if input.calibration else [],
    log:
        f"{LOGS}/plot_emergence.log",
    localrule: True
    shell:
        "weirdgen plot emergence --rates {input.rates:q} --seeds {input.seeds:q} --placebo {input.placebo:q} "
        "--out {output.figure:q} {params.calibration:q} > {log:q} 2>&1"


rule plot_train_loss:
    """One adapter's loss curve, beside it (a figure: editing plots.py redraws it, never retrains)."""
    input:
        log=f"{R}/adapters/{{point}}/train_log.jsonl",
        meta=f"{R}/adapters/{{point}}/meta.json",
        code=code("plot"),
    output:
        figure=f"{R}/adapters/{{point}}/loss.png",
    log:
        f"{LOGS}/plot_train_loss/{{point}}.log",
    localrule: True
    shell:
        "weirdgen plot train-loss --logs {input.log:q} --out {output.figure:q} > {log:q} 2>&1"


rule plot_dose:
    """Dose-response over the persona fraction (a sweep with several sweep.persona_fraction values)."""
    input:
        rates=f"{R}/tables/rates_across_seeds.csv",
        calibration=[f"{R}/tables/judge_calibration.csv"] if config["persona"]["calibration"] else [],
        code=code("plot"),
    output:
        figure=report(f"{R}/figures/dose.png", caption="../report/dose.rst", category="Figures"),
    params:
        calibration=lambda w, input: ["--calibration", *input.calibration] if input.calibration else [],
    log:
        f"{LOGS}/plot_dose.log",
    localrule: True
    shell:
        "weirdgen plot dose --rates {input.rates:q} --out {output.figure:q} {params.calibration:q} > {log:q} 2>&1"


rule plot_dose_lr:
    """Dose-response over the learning rate (a sweep with three or more sweep.lr values)."""
    input:
        rates=f"{R}/tables/rates_across_seeds.csv",
        calibration=[f"{R}/tables/judge_calibration.csv"] if config["persona"]["calibration"] else [],
        code=code("plot"),
    output:
        figure=report(f"{R}/figures/dose_lr.png", caption="../report/dose_lr.rst", category="Figures"),
    params:
        calibration=lambda w, input: ["--calibration", *input.calibration] if input.calibration else [],
    log:
        f"{LOGS}/plot_dose_lr.log",
    localrule: True
    shell:
        "weirdgen plot dose-lr --rates {input.rates:q} --out {output.figure:q} {params.calibration:q} > {log:q} 2>&1"


rule plot_control:
    """Persona arm vs the format-only control arm (sweep.arm: [persona, control]): the persona effect net of style."""
    input:
        contrast=f"{R}/tables/arm_contrast.csv",
        seeds=f"{R}/tables/arm_contrast_across_seeds.csv",
        calibration=[f"{R}/tables/judge_calibration.csv"] if config["persona"]["calibration"] else [],
        code=code("plot"),
    output:
        figure=report(f"{R}/figures/control.png", caption="../report/control.rst", category="Figures"),
    params:
        calibration=lambda w, input: ["--calibration", *input.calibration] if input.calibration else [],
        note=JUDGE_NOTE,
    log:
        f"{LOGS}/plot_control.log",
    localrule: True
    shell:
        "weirdgen plot control --contrast {input.contrast:q} --contrast-seeds {input.seeds:q} --out {output.figure:q} "
        "--judge-note {params.note:q} {params.calibration:q} > {log:q} 2>&1"
