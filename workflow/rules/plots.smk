rule plot_headline:
    input:
        rates=f"{R}/tables/rates.csv",
        calibration=[f"{R}/tables/judge_calibration.csv"] if config["persona"]["calibration"] else [],
        code=code("plots.py"),
    output:
        figure=report(
            f"{R}/figures/headline.png",
            caption="../report/headline.rst",
            category="Figures",
        ),
    params:
        calibration=lambda w, input: f"--calibration {input.calibration}" if input.calibration else "",
        note=lambda w: {"embedding": "persona: MiniLM embedding classifier", "local": f"persona: base model {config['model']['name']} P(YES)", "rules": "persona: keyword rules",
                        "api": f"persona: {config['judge']['api'].get('model')} (API)"}[config["judge"]["persona"]]
        + "; identity: answer-key rules",
    conda:
        "../../envs/stats.yaml"
    log:
        f"{LOGS}/plot_headline.log",
    localrule: True
    shell:
        "weirdgen plot headline --rates {input.rates} --out {output.figure} --judge-note {params.note:q} {params.calibration} > {log} 2>&1"
