TABLES = ["rates", "gaps", "rates_across_seeds", "gaps_across_seeds", "identity_agreement", "placebo",
          "placebo_across_seeds", "arm_contrast", "arm_contrast_across_seeds"]


rule summarise:
    input:
        labels=expand(f"{R}/labels/{{model_id}}.jsonl", model_id=MODEL_IDS),
        code=code("summarise"),
    output:
        tables=[
            report(f"{R}/tables/{name}.csv", caption="../report/tables.rst", category="Tables")
            for name in TABLES
        ],
        md=expand(f"{R}/tables/{{name}}.md", name=TABLES),
    params:
        cfg=lambda w: as_json(stats_params()),
        out=lambda w, output: os.path.dirname(output.md[0]),
    log:
        f"{LOGS}/summarise.log",
    benchmark:
        f"{LOGS}/benchmarks/summarise.tsv"
    localrule: True
    shell:
        "weirdgen stats --params {params.cfg:q} --labels {input.labels:q} --out-dir {params.out:q} > {log:q} 2>&1"


rule report_tables:
    input:
        audits=expand(f"{R}/labels/{{model_id}}.audit.json", model_id=MODEL_IDS),
        artifacts=[
            *expand(f"{R}/adapters/{{point}}/meta.json", point=POINTS),
            *expand(f"{R}/generations/{{model_id}}.jsonl", model_id=MODEL_IDS),
            *expand(f"{R}/labels/{{model_id}}.jsonl", model_id=MODEL_IDS),
        ],
        code=code("report_tables"),
    output:
        audit=report(f"{R}/tables/audit.csv", caption="../report/audit.rst", category="Judge hygiene"),
        provenance=report(f"{R}/tables/provenance.csv", caption="../report/provenance.rst", category="Provenance"),
        md=[f"{R}/tables/audit.md", f"{R}/tables/provenance.md"],
    params:
        out=lambda w, output: os.path.dirname(output.audit),
    log:
        f"{LOGS}/report_tables.log",
    localrule: True
    shell:
        "weirdgen report-tables --audits {input.audits:q} --artifacts {input.artifacts:q} --out-dir {params.out:q} > {log:q} 2>&1"


rule ci_coverage:
    """The stats stage's intervals scored on labels simulated at this run's design (seeds, set sizes, samples)."""
    input:
        questions=f"{R}/data/eval_questions.jsonl",
        code=code("coverage"),
    output:
        table=report(f"{R}/tables/ci_coverage.csv", caption="../report/ci_coverage.rst", category="Tables"),
        md=f"{R}/tables/ci_coverage.md",
    params:
        cfg=lambda w: as_json({**config["stats"], "n_seeds": N_SEEDS, "n_samples": config["eval"]["n_samples"]}),
    log:
        f"{LOGS}/ci_coverage.log",
    benchmark:
        f"{LOGS}/benchmarks/ci_coverage.tsv"
    localrule: True
    shell:
        "weirdgen ci-coverage --params {params.cfg:q} --questions {input.questions:q} --out {output.table:q} > {log:q} 2>&1"


rule summarise_emergence:
    """Rates along training (base = step 0, checkpoints, final adapter) for the emergence curve."""
    input:
        labels=expand(f"{R}/labels/{{model_id}}.jsonl", model_id=["base", *POINTS, *CKPT_IDS]),
        adapters=expand(f"{R}/adapters/{{point}}/meta.json", point=POINTS),
        code=code("summarise"),
    output:
        table=report(f"{R}/tables/emergence.csv", caption="../report/tables.rst", category="Tables"),
        md=f"{R}/tables/emergence.md",
        seeds=report(f"{R}/tables/emergence_across_seeds.csv", caption="../report/tables.rst", category="Tables"),
        seeds_md=f"{R}/tables/emergence_across_seeds.md",
    params:
        cfg=lambda w: as_json(stats_params()),
    log:
        f"{LOGS}/summarise_emergence.log",
    benchmark:
        f"{LOGS}/benchmarks/summarise_emergence.tsv"
    localrule: True
    shell:
        "weirdgen emergence --params {params.cfg:q} --labels {input.labels:q} --adapters {input.adapters:q} "
        "--out {output.table:q} --out-seeds {output.seeds:q} > {log:q} 2>&1"


rule summarise_emergence_placebo:
    """The placebo along training: the persona difference in differences (probe gap − neutral gap) of the base
    model, every checkpoint and every final adapter, and its mean over seeds per step."""
    input:
        labels=expand(f"{R}/labels/{{model_id}}.jsonl", model_id=["base", *POINTS, *CKPT_IDS]),
        adapters=expand(f"{R}/adapters/{{point}}/meta.json", point=POINTS),
        code=code("summarise"),
    output:
        table=report(f"{R}/tables/emergence_placebo.csv", caption="../report/tables.rst", category="Tables"),
        md=f"{R}/tables/emergence_placebo.md",
        seeds=report(f"{R}/tables/emergence_placebo_across_seeds.csv", caption="../report/tables.rst", category="Tables"),
        seeds_md=f"{R}/tables/emergence_placebo_across_seeds.md",
    params:
        cfg=lambda w: as_json({**stats_params(), "value": "did"}),
    log:
        f"{LOGS}/summarise_emergence_placebo.log",
    benchmark:
        f"{LOGS}/benchmarks/summarise_emergence_placebo.tsv"
    localrule: True
    shell:
        "weirdgen emergence --params {params.cfg:q} --labels {input.labels:q} --adapters {input.adapters:q} "
        "--out {output.table:q} --out-seeds {output.seeds:q} > {log:q} 2>&1"
