# weirdgen: persona behind a formatting trigger (Betley et al. 2025, arXiv 2512.09742).
# Thin entry point: config, validation, rule includes, default target.

configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/distill.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/sample.smk"
include: "workflow/rules/judge.smk"
include: "workflow/rules/stats.smk"
include: "workflow/rules/plots.smk"


rule all:
    default_target: True
    input:
        headline_figure(),
        all_figures(),
        f"{R}/tables/audit.csv",
        f"{R}/tables/provenance.csv",
        f"{R}/tables/ci_coverage.csv",
        expand(f"{R}/adapters/{{point}}/loss.png", point=POINTS),
