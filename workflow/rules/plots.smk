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
        note=lambda w: f"persona={config['judge']['persona']}, identity=rules",
    log:
        f"{LOGS}/plot_headline.log",
    localrule: True
    shell:
        "weirdgen plot headline --rates {input.rates} --out {output.figure} --judge-note {params.note:q} > {log} 2>&1"
