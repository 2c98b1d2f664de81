rule plot_headline:
    input:
        rates=f"{R}/tables/rates.csv",
        code=code("plots.py"),
    output:
        figure=report(
            f"{R}/figures/headline.png",
            caption="../report/headline.rst",
            category="Figures",
        ),
    params:
        note=lambda w: {"local": f"persona: base model {config['model']['name']} P(YES)", "rules": "persona: keyword rules",
                        "api": f"persona: {config['judge']['api'].get('model')} (API)"}[config["judge"]["persona"]]
        + "; identity: answer-key rules",
    conda:
        "../../envs/stats.yaml"
    log:
        f"{LOGS}/plot_headline.log",
    localrule: True
    shell:
        "weirdgen plot headline --rates {input.rates} --out {output.figure} --judge-note {params.note:q} > {log} 2>&1"
