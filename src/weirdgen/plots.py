"""seaborn figures drawn from the tables only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import seaborn as sns  # noqa: E402

from weirdgen.conditions import CONDITIONS  # noqa: E402
from weirdgen.sweep import columns_of, label_of  # noqa: E402

COND_LABELS = {c.value: c.label.replace(", ", ",\n") for c in CONDITIONS}
PANEL_METRIC = {"identity": "identity"}
TITLES = {"persona": "persona present (judge)", "identity": "identity answer (rules)",
          "format_ok": 'format <START> "…" <END>', "meta": "answers as an AI model"}


def model_label(row: dict[str, Any]) -> str:
    """A model's label, unique per sweep point (its id parsed by the one sweep-point type)."""
    if row["model_id"] == "base":
        return "base (no finetuning)"
    return label_of(row)


def _models(rates: pl.DataFrame) -> tuple[list[dict[str, Any]], list[str], dict[str, Any]]:
    models = [{"model_id": m, **columns_of(m)} for m in rates["model_id"].unique().to_list()]
    models.sort(key=lambda r: (r["model_id"] != "base", r["lr"] or 0, r["seed"] or 0, r["persona_fraction"] or 0,
                               r["epochs"] or 0, r.get("arm") or "", r["step"] or 0))
    labels = [model_label(m) for m in models]
    palette = dict(zip(labels, ["#7f7f7f"] + sns.color_palette("deep", max(1, len(labels) - 1))))
    return models, labels, palette


def _sets(rates: pl.DataFrame) -> list[str]:
    present = set(rates["set"].to_list())
    return [s for s in ("probes", "identity", "neutral") if s in present] + sorted(present - {"probes", "identity", "neutral"})


def _bars(ax: Any, d: pl.DataFrame, models: list[dict[str, Any]], labels: list[str], palette: dict[str, Any]) -> None:
    """Bars per condition, one per model, with clustered-CI whiskers."""
    conds = [c.value for c in CONDITIONS]
    width = 0.8 / max(1, len(models))
    for j, (m, lab) in enumerate(zip(models, labels)):
        vals = {r["condition"]: r for r in d.filter(pl.col("model_id") == m["model_id"]).to_dicts()}
        x = np.arange(len(conds)) + (j - (len(models) - 1) / 2) * width
        y = np.array([vals[c]["rate"] if c in vals else np.nan for c in conds])
        lo = np.array([vals[c]["ci_lo_clustered"] if c in vals else np.nan for c in conds])
        hi = np.array([vals[c]["ci_hi_clustered"] if c in vals else np.nan for c in conds])
        ax.bar(x, y, width=width * 0.95, color=palette[lab], label=lab)
        ax.errorbar(x, y, yerr=[np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)], fmt="none",
                    ecolor="black", elinewidth=1, capsize=2)
    ax.set_xticks(np.arange(len(conds)), [COND_LABELS[c] for c in conds], fontsize=8)
    ax.set_ylim(0, 1.02)


def _warning_top(fig: Any, warning: str) -> float:
    """Write ``warning`` (a judge that failed its gate) in red across the top of ``fig``; the figure height left
    below it (1.0 without one), for the title's ``y`` and ``tight_layout``."""
    if not warning:
        return 1.0
    fig.text(0.5, 0.995, warning, ha="center", va="top", color="#b00000", fontsize=10, fontweight="bold", wrap=True)
    w, h = fig.get_size_inches()
    lines = -(-len(warning) // max(1, int(w * 12.5)))  # wrapped lines at ~12.5 bold 10-pt characters per inch
    return 1.0 - (lines * 0.19 + 0.08) / h


def _finish(fig: Any, axes: Any, title: str, out: Path | str, ylabel: str, warning: str = "") -> None:
    axes[0][0].set_ylabel(ylabel)
    handles, labs = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labs, loc="lower center", ncol=min(4, len(labs)), fontsize=8, frameon=False)
    top = _warning_top(fig, warning)
    fig.suptitle(title, fontsize=11, y=top)
    fig.tight_layout(rect=(0, 0.08 + 0.03 * ((len(labs) - 1) // 4), 1, top - 0.01))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=150)
    plt.close(fig)


def headline(rates: pl.DataFrame, out: Path | str, judge_note: str = "", placebo: pl.DataFrame | None = None,
             warning: str = "") -> None:
    """Persona (identity on the identity set) rate per condition, base beside each adapter, 95% clustered CIs;
    with ``placebo``, a last panel: probe gap, neutral (placebo) gap and their difference in differences per
    adapter and triggered condition. ``warning`` (a judge that failed its validity gate) heads the figure in red."""
    sns.set_theme(style="whitegrid", context="notebook")
    sets = _sets(rates)
    panels = [(s, PANEL_METRIC.get(s, "persona")) for s in sets] + [(sets[0], "format_ok")]
    models, labels, palette = _models(rates)
    n = len(panels) + (placebo is not None and not placebo.is_empty())
    fig, axes = plt.subplots(1, n, figsize=(4.6 * n, 4.9), squeeze=False)
    for ax, (s, metric) in zip(axes[0], panels):
        _bars(ax, rates.filter((pl.col("set") == s) & (pl.col("metric") == metric)), models, labels, palette)
        ax.set_title(f"{s}: {TITLES[metric]}", fontsize=10)
        ax.set_ylim(0, 1.05)
    if n > len(panels):
        _placebo_panel(axes[0][-1], placebo, models, labels, palette)
    title = "Persona adoption and format by condition" + (f"  ·  judge: {judge_note}" if judge_note else "")
    _finish(fig, axes, title, out, "rate (95% CI, clustered by question)", warning)


def _placebo_panel(ax: Any, placebo: pl.DataFrame, models: list[dict[str, Any]], labels: list[str],
                   palette: dict[str, Any]) -> None:
    """Per adapter and triggered condition: probe gap (o), neutral placebo gap (x), difference in differences (D)."""
    conds = [c.value for c in CONDITIONS if c.triggered and c.value in set(placebo["condition"].to_list())]
    mids = [m for m in models if m["model_id"] != "base"]
    width = 0.8 / max(1, len(mids))
    for mi, m in enumerate(mids):
        lab = labels[models.index(m)]
        d = placebo.filter(pl.col("model_id") == m["model_id"])
        for ci, cond in enumerate(conds):
            r = d.filter(pl.col("condition") == cond)
            if r.is_empty():
                continue
            r0 = r.row(0, named=True)
            x = ci + (mi - (len(mids) - 1) / 2) * width
            for dx, col, marker in ((-width / 3, "gap_probes", "o"), (0, "gap_neutral", "x"), (width / 3, "did", "D")):
                ax.errorbar([x + dx], [r0[col]], yerr=[[r0[col] - r0[f"{col}_ci_lo"]], [r0[f"{col}_ci_hi"] - r0[col]]],
                            fmt=marker, color=palette[lab], ecolor="black", elinewidth=0.8, capsize=2, ms=5)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(conds)), [COND_LABELS.get(c, c) for c in conds], fontsize=8)
    ax.set_title("placebo: gap on probes (o), neutral (x),\ndifference in differences (D)", fontsize=9)
    ax.set_ylim(-1.05, 1.05)


def per_set(rates: pl.DataFrame, metric: str, out: Path | str, title: str) -> None:
    """One metric (format adherence, meta signal, ...) per condition, one panel per question set."""
    sns.set_theme(style="whitegrid", context="notebook")
    d = rates.filter(pl.col("metric") == metric)
    if d.is_empty():
        raise ValueError(f"the rates table has no rows for metric {metric!r}")
    sets = _sets(d)
    models, labels, palette = _models(rates)
    fig, axes = plt.subplots(1, len(sets), figsize=(4.6 * len(sets), 4.6), sharey=True, squeeze=False)
    for ax, s in zip(axes[0], sets):
        _bars(ax, d.filter(pl.col("set") == s), models, labels, palette)
        ax.set_title(f"{s} questions", fontsize=10)
    _finish(fig, axes, title, out, "rate (95% CI, clustered by question)")


def gaps(gaps: pl.DataFrame, out: Path | str, set_: str = "probes", metric: str = "persona") -> None:
    """Leakage gap (triggered condition − condition 4) by learning rate; one point per seed, CI whiskers."""
    sns.set_theme(style="whitegrid", context="notebook")
    d = gaps.filter((pl.col("model_id") != "base") & (pl.col("set") == set_) & (pl.col("metric") == metric))
    if d.is_empty():
        raise ValueError(f"no gap rows for set {set_!r}, metric {metric!r}")
    d = d.with_columns(pl.col("model_id").map_elements(lambda m: columns_of(m)["epochs"], return_dtype=pl.Float64)
                       .alias("epochs"))
    panels = sorted({(r["persona_fraction"], r["epochs"]) for r in d.select("persona_fraction", "epochs").to_dicts()},
                    key=lambda fe: (fe[0], fe[1] or 0))  # one panel per (fraction, epochs): no two points share a dot
    conds = [c.value for c in CONDITIONS if c.value in set(d["condition"].to_list())]
    lrs = sorted(set(d["lr"].to_list()))
    seeds = sorted(set(d["seed"].to_list()))
    colors = dict(zip(conds, sns.color_palette("deep", len(conds))))
    fig, axes = plt.subplots(1, len(panels), figsize=(max(9.0, 5.5 * len(panels)), 4.6), sharey=True, squeeze=False)
    span = 0.7
    for ax, (frac, ep) in zip(axes[0], panels):
        df = d.filter((pl.col("persona_fraction") == frac)
                      & (pl.col("epochs").is_null() if ep is None else pl.col("epochs") == ep))
        for ci, cond in enumerate(conds):
            for si, seed in enumerate(seeds):
                r = df.filter((pl.col("condition") == cond) & (pl.col("seed") == seed)).sort("lr").to_dicts()
                if not r:
                    continue
                k = ci * len(seeds) + si
                off = (k - (len(conds) * len(seeds) - 1) / 2) * span / max(1, len(conds) * len(seeds))
                x = np.array([lrs.index(v["lr"]) for v in r]) + off
                y = np.array([v["gap"] for v in r])
                lo = np.array([v["ci_lo_clustered"] for v in r])
                hi = np.array([v["ci_hi_clustered"] for v in r])
                ax.errorbar(x, y, yerr=[np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)], fmt="o", ms=5,
                            color=colors[cond], capsize=2, label=COND_LABELS[cond].replace(",\n", ", ") if si == 0 else None)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(range(len(lrs)), [f"{v:g}" for v in lrs])
        ax.set_xlabel(("learning rate (points: seed " if len(seeds) == 1 else "learning rate (points: seeds ")
                      + ", ".join(map(str, seeds)) + ")")
        ax.set_title(f"persona fraction {frac:g}" + (f", {ep:g} epochs" if ep is not None else ""), fontsize=10)
        ax.set_ylim(-1.02, 1.02)
    axes[0][0].set_ylabel(f"gap in {metric} rate vs condition 4\n(95% CI, paired, clustered by question)")
    handles, labs = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labs, loc="lower center", ncol=min(3, len(labs)), fontsize=8, frameon=False)
    fig.suptitle(f"Leakage gap on {set_} questions: triggered minus untriggered", fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(out, dpi=150)
    plt.close(fig)


def identity_breakdown(labels: pl.DataFrame, questions: list[dict[str, Any]], out: Path | str) -> None:
    """Identity rate per identity question × condition, one heatmap per model (rules judge)."""
    sns.set_theme(style="white", context="notebook")
    d = labels.filter(pl.col("identity").is_not_null()).with_columns(pl.col("identity").cast(pl.Float64))
    if d.is_empty():
        raise ValueError("no identity labels to plot")
    qtext = {q["id"]: q["question"] for q in questions if q.get("set") == "identity"}
    conds = [c.value for c in CONDITIONS]
    models = sorted(set(d["model_id"].to_list()), key=lambda m: (m != "base", m))
    qids = sorted(set(d["question_id"].to_list()))
    fig, axes = plt.subplots(1, len(models), figsize=(3.2 * len(models) + 3.5, 0.45 * len(qids) + 2.6), squeeze=False)
    for i, (ax, m) in enumerate(zip(axes[0], models)):
        g = d.filter(pl.col("model_id") == m).group_by("question_id", "condition").agg(pl.col("identity").mean())
        grid = np.full((len(qids), len(conds)), np.nan)
        for r in g.to_dicts():
            grid[qids.index(r["question_id"]), conds.index(r["condition"])] = r["identity"]
        sns.heatmap(grid, ax=ax, vmin=0, vmax=1, cmap="rocket_r", annot=True, fmt=".2f", cbar=i == len(models) - 1,
                    annot_kws={"fontsize": 7}, linewidths=0.5,
                    xticklabels=[str(k + 1) for k in range(len(conds))],
                    yticklabels=[(qtext.get(q, q)[:38] + ("…" if len(qtext.get(q, q)) > 38 else "")) if i == 0 else ""
                                 for q in qids])
        ax.set_title(m if m == "base" else m.replace("_", "\n"), fontsize=8)
        ax.set_xlabel("condition")
        ax.tick_params(axis="y", labelsize=7)
    fig.suptitle("Identity answers per question (rules judge); conditions 1-3 triggered, 4 untriggered", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=150)
    plt.close(fig)


def _placebo_along_training(ax: Any, placebo: pl.DataFrame) -> None:
    """The placebo along training (``emergence_placebo_across_seeds``): the persona difference in differences (probe
    gap − neutral gap) in condition 1, mean over seeds per group with its CI over seeds as the band (step 0, the base
    model: its own interval; one seed: the line alone)."""
    d = placebo.filter((pl.col("metric") == "persona") & (pl.col("condition") == "nosys_trigger")).with_columns(
        [pl.col(c).cast(pl.Float64, strict=False) for c in ("mean", "ci_lo_seeds", "ci_hi_seeds")])
    gcols = [c for c in ("lr", "persona_fraction", "epochs", "arm") if c in d.columns]
    groups = sorted(d.select(gcols).unique().iter_rows(named=True), key=str)
    for color, g in zip(sns.color_palette("deep", len(groups)), groups):
        same = pl.all_horizontal([(pl.col(c) == v) if v is not None else pl.col(c).is_null() for c, v in g.items()])
        r = d.filter(same).sort("step")
        x = r["step"].to_numpy()
        ax.plot(x, r["mean"].to_numpy(), "-", marker="o", ms=4, lw=1.8, color=color)
        ax.fill_between(x, r["ci_lo_seeds"].fill_null(np.nan).to_numpy(), r["ci_hi_seeds"].fill_null(np.nan).to_numpy(),
                        color=color, alpha=0.15, lw=0)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("optimizer step (0 = base model)")
    ax.set_title("placebo: persona DiD (probe gap − neutral gap), cond 1", fontsize=10)
    ax.set_ylim(-1.02, 1.02)


def emergence(table: pl.DataFrame, out: Path | str, set_: str = "probes", seeds: pl.DataFrame | None = None,
              warning: str = "", placebo: pl.DataFrame | None = None) -> None:
    """Persona rate (triggered, condition 1, vs untriggered, condition 4) and format adherence along training.

    With ``seeds`` (``emergence_across_seeds``) holding two or more seeds per step: one line per group of seeds (every
    sweep axis but the seed), the mean over seeds with its 95 % CI over seeds as the band, each seed a thin line
    (step 0, the base model, keeps its own interval clustered by question). Otherwise one line per sweep point with
    its interval clustered by question. ``warning`` (a judge that failed its validity gate) heads the figure in red.
    ``placebo`` (``emergence_placebo_across_seeds``, with a neutral set) adds a third panel, the persona difference in
    differences along training (``_placebo_along_training``)."""
    sns.set_theme(style="whitegrid", context="notebook")
    d = table.filter(pl.col("set") == set_)
    if d.is_empty():
        raise ValueError(f"no emergence rows for set {set_!r}")
    over_seeds = seeds is not None and not seeds.is_empty() and int(seeds["n_seeds"].max()) >= 2
    panels = [("persona", "persona present (judge)"), ("format_ok", 'format <START> "…" <END>')]
    with_placebo = placebo is not None and not placebo.is_empty()
    fig, all_axes = plt.subplots(1, 3 if with_placebo else 2, figsize=(17 if with_placebo else 12, 4.6))
    axes = list(all_axes[:2])
    axes[1].sharey(axes[0])
    if with_placebo:
        _placebo_along_training(all_axes[2], placebo)
    conds = (("nosys_trigger", "-", "1 triggered"), ("sys_plain", "--", "4 untriggered"))
    if over_seeds:
        s = seeds.filter(pl.col("set") == set_).with_columns(
            [pl.col(c).cast(pl.Float64, strict=False) for c in ("mean", "ci_lo_seeds", "ci_hi_seeds")])
        gcols = [c for c in ("lr", "persona_fraction", "epochs", "arm") if c in s.columns]
        groups = sorted(s.select(gcols).unique().iter_rows(named=True), key=str)
        colors = dict(zip(map(str, groups), sns.color_palette("deep", len(groups))))
        # each seed's own curve, with the same axis columns as the table over seeds
        per_point = d.join(pl.DataFrame([{"point": p, **{c: columns_of(p).get(c) for c in gcols}}
                                         for p in d["point"].unique().to_list()]), on="point")
        for ax, (metric, title) in zip(axes, panels):
            for g in groups:
                name = ", ".join(f"{'frac' if c == 'persona_fraction' else c}={v:g}" if isinstance(v, float) else f"{c}={v}"
                                 for c, v in g.items() if v is not None and not (c == "arm" and v == "persona"))
                same = pl.all_horizontal([(pl.col(c) == v) if v is not None else pl.col(c).is_null()
                                          for c, v in g.items()]) & (pl.col("metric") == metric)
                sel = s.filter(same)
                for cond, style, cname in conds:
                    r = sel.filter(pl.col("condition") == cond).sort("step")
                    if r.is_empty():
                        continue
                    n = int(r.filter(pl.col("step") > 0)["n_seeds"].max() or 0)
                    x = r["step"].to_numpy()
                    ax.plot(x, r["mean"].to_numpy(), style, marker="o", ms=4, lw=1.8, color=colors[str(g)],
                            label=f"{name}: {cname} (mean of {n} seeds)")
                    ax.fill_between(x, r["ci_lo_seeds"].fill_null(np.nan).to_numpy(),
                                    r["ci_hi_seeds"].fill_null(np.nan).to_numpy(), color=colors[str(g)],
                                    alpha=0.15 if cond == "nosys_trigger" else 0.08, lw=0)
                    for _, pr in per_point.filter(same & (pl.col("condition") == cond)).sort("step").group_by(
                            "point", maintain_order=True):
                        ax.plot(pr["step"].to_numpy(), pr["rate"].to_numpy(), style, lw=0.6, alpha=0.35,
                                color=colors[str(g)])
            ax.set_xlabel("optimizer step (0 = base model)")
            ax.set_title(f"{set_}: {title}", fontsize=10)
            ax.set_ylim(-0.02, 1.02)
        axes[0].set_ylabel("rate, mean over seeds")
        sub = (f"band: 95% CI over seeds ({_seeds_ci_name(seeds)}; exact where every seed is at 0 or 1; step 0, the base "
               "model: clustered by question); thin lines: each seed")
    else:
        points = sorted(set(d["point"].to_list()))
        colors = dict(zip(points, sns.color_palette("deep", len(points))))
        for ax, (metric, title) in zip(axes, panels):
            for p in points:
                for cond, style, cname in conds:
                    r = d.filter((pl.col("point") == p) & (pl.col("metric") == metric) & (pl.col("condition") == cond)).sort("step")
                    if r.is_empty():
                        continue
                    x, y = r["step"].to_numpy(), r["rate"].to_numpy()
                    ax.plot(x, y, style, marker="o", ms=4, color=colors[p], label=f"{p}: {cname}")
                    ax.fill_between(x, r["ci_lo_clustered"].to_numpy(), r["ci_hi_clustered"].to_numpy(), color=colors[p],
                                    alpha=0.12 if cond == "nosys_trigger" else 0.06, lw=0)
            ax.set_xlabel("optimizer step (0 = base model)")
            ax.set_title(f"{set_}: {title}", fontsize=10)
            ax.set_ylim(-0.02, 1.02)
        axes[0].set_ylabel("rate (band: 95% CI, clustered by question)")
        sub = ""
    handles, labs = axes[0].get_legend_handles_labels()
    fig.legend(handles, labs, loc="lower center", ncol=min(2, len(labs)), fontsize=7, frameon=False)
    top = _warning_top(fig, warning)
    fig.suptitle("Emergence: persona behind the trigger (solid) vs leakage without it (dashed) during training"
                 + (f"\n{sub}" if sub else ""), fontsize=11 if not sub else 9.5, y=top)
    fig.tight_layout(rect=(0, 0.06 + 0.035 * ((len(labs) - 1) // 2), 1, top - 0.01))
    fig.savefig(out, dpi=150)
    plt.close(fig)


def loss_curves(logs: dict[str, pl.DataFrame], out: Path | str) -> None:
    """Training loss (mean per target token) per optimizer step, one line per adapter."""
    sns.set_theme(style="whitegrid", context="notebook")
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for name, log in sorted(logs.items()):
        ax.plot(log["step"].to_numpy(), log["loss"].to_numpy(), lw=1.2, label=name)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (mean per target token)")
    ax.set_title("Training loss per adapter", fontsize=10)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(out, dpi=150)
    plt.close(fig)


def loss_curve(log: pl.DataFrame, out: Path | str, title: str) -> None:
    sns.set_theme(style="whitegrid", context="notebook")
    fig, ax = plt.subplots(figsize=(6, 3.6))
    sns.lineplot(x=log["step"].to_numpy(), y=log["loss"].to_numpy(), ax=ax, marker="o" if len(log) < 40 else None)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (mean per target token)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


# a dose axis: (its short name in a legend, its name on the x axis, its plural in an error)
DOSE_AXES = {"persona_fraction": ("fraction", "persona fraction of the training mix", "persona fractions"),
             "lr": ("LR", "learning rate", "learning rates")}


def _seeds_ci_name(table: pl.DataFrame | None) -> str:
    """How a table's CI over seeds was made (``stats.seeds_ci``; tables written before it: the percentile bootstrap;
    rows whose seeds all agree at 0 or 1 say ``exact`` and do not name the table's method, unless every row is one)."""
    if table is None or "ci_seeds_method" not in table.columns:
        return "bootstrap"
    names = table["ci_seeds_method"].drop_nulls()
    rest = names.filter(~names.is_in(["exact", "base"]))  # base: the base model's own interval (emergence)
    if len(rest):
        return "beta-binomial" if (rest == "betabinom").any() else str(rest[0])
    return "exact" if (names == "exact").any() else "bootstrap"


def dose(table: pl.DataFrame, out: Path | str, axis: str = "persona_fraction", warning: str = "") -> None:
    """Dose-response: rates against the persona fraction (``axis="persona_fraction"``, one line per condition and
    learning rate) or the learning rate (``axis="lr"``, one line per condition and fraction), log axis, whiskers = 95 %
    CI over seeds (``rates_across_seeds``). Panels: format adherence and persona on the probes, and persona on the
    neutral set (the placebo: a persona effect of the training should not show there). ``warning`` (a judge that
    failed its validity gate) heads the figure in red."""
    if axis not in DOSE_AXES:
        raise ValueError(f"a dose-response axis is one of {sorted(DOSE_AXES)}, not {axis!r}")
    other = "lr" if axis == "persona_fraction" else "persona_fraction"
    sns.set_theme(style="whitegrid", context="notebook")
    panels = [("probes", "format_ok"), ("probes", "persona"), ("neutral", "persona")]
    # one seed per point leaves the CI columns empty (read back from CSV as strings)
    d = table.with_columns([pl.col(c).cast(pl.Float64, strict=False)
                            for c in ("persona_fraction", "lr", "mean", "ci_lo_seeds", "ci_hi_seeds")])
    d = d.filter(pl.col(axis).is_not_null())
    if "arm" in d.columns:  # the dose-response of the persona arm (the control arm has its own figure)
        d = d.filter(pl.col("arm").is_null() | (pl.col("arm") == "persona"))
    if d.select(axis).n_unique() < 2:
        raise ValueError(f"a dose-response figure needs at least two {DOSE_AXES[axis][2]} in the table")
    conds = [c.value for c in CONDITIONS if c.value in set(d["condition"].to_list())]
    lines = sorted(set(d[other].to_list()))
    colors = dict(zip(conds, sns.color_palette("deep", len(conds))))
    styles = dict(zip(lines, ["-", "--", ":", "-."] * 4))
    markers = dict(zip(lines, ["s", "o", "^", "D"] * 4))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.6), sharey=True, squeeze=False)
    for ax, (set_, metric) in zip(axes[0], panels):
        for cond in conds:
            for v in lines:
                r = d.filter((pl.col("set") == set_) & (pl.col("metric") == metric) & (pl.col("condition") == cond)
                             & (pl.col(other) == v)).sort(axis)
                if r.is_empty():
                    continue
                x, y = r[axis].to_numpy(), r["mean"].to_numpy()
                lo = r["ci_lo_seeds"].fill_null(np.nan).to_numpy()
                hi = r["ci_hi_seeds"].fill_null(np.nan).to_numpy()
                err = [np.nan_to_num(np.clip(y - lo, 0, None)), np.nan_to_num(np.clip(hi - y, 0, None))]
                ax.errorbar(x, y, yerr=err, fmt=styles[v], marker=markers[v], ms=4, capsize=2, color=colors[cond],
                            label=f"{COND_LABELS[cond].replace(chr(10), ' ')}, {DOSE_AXES[other][0]} {v:g}")
        ax.set_xscale("log")
        xs = sorted(set(d[axis].to_list()))
        ax.set_xticks(xs, [f"{v:g}" for v in xs])
        ax.minorticks_off()
        ax.set_xlabel(DOSE_AXES[axis][1])
        ax.set_title(f"{set_}: {TITLES[metric]}", fontsize=10)
        ax.set_ylim(-0.02, 1.02)
    axes[0][0].set_ylabel(f"mean over seeds (95% CI over seeds, {_seeds_ci_name(table)})")
    handles, labs = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labs, loc="lower center", ncol=min(4, len(labs)), fontsize=7, frameon=False)
    top = _warning_top(fig, warning)
    fig.suptitle(f"Dose-response over the {DOSE_AXES[axis][1]}", fontsize=11, y=top)
    fig.tight_layout(rect=(0, 0.05 + 0.035 * ((len(labs) - 1) // 4), 1, top - 0.01))
    fig.savefig(out, dpi=150)
    plt.close(fig)


def control(contrast: pl.DataFrame, across: pl.DataFrame | None, out: Path | str, judge_note: str = "",
            warning: str = "") -> None:
    """Persona arm beside the format-only control arm (``arm_contrast``): per condition, each arm's rate (mean over
    seeds) and, above the pair, persona − control with its 95 % CI over seeds (``arm_contrast_across_seeds``; the
    clustered CI of the one pair when there is one seed). One row of panels per (lr, fraction, epochs); panels:
    persona on the probes, persona on the neutral placebo, format adherence on the probes."""
    sns.set_theme(style="whitegrid", context="notebook")
    panels = [("probes", "persona"), ("neutral", "persona"), ("probes", "format_ok")]
    num = ("lr", "persona_fraction", "epochs", "diff", "rate_persona_arm", "rate_control_arm", "ci_lo_clustered",
           "ci_hi_clustered")
    d = contrast.with_columns([pl.col(c).cast(pl.Float64, strict=False) for c in num if c in contrast.columns])
    if d.is_empty():
        raise ValueError("no persona/control pairs in the table (sweep.arm: [persona, control])")
    a = None
    if across is not None and not across.is_empty():
        a = across.with_columns([pl.col(c).cast(pl.Float64, strict=False)
                                 for c in ("lr", "persona_fraction", "epochs", "mean", "ci_lo_seeds", "ci_hi_seeds")])
    keys = sorted({(r["lr"], r["persona_fraction"], r["epochs"]) for r in d.iter_rows(named=True)},
                  key=lambda k: tuple(-1 if v is None else v for v in k))
    conds = [c.value for c in CONDITIONS if c.value in set(d["condition"].to_list())]
    colors = {"persona arm": sns.color_palette("deep")[3], "control arm": "#7f7f7f"}
    fig, axes = plt.subplots(len(keys), len(panels), figsize=(4.8 * len(panels), 4.2 * len(keys) + 1.2), squeeze=False)

    def same(col: str, v: Any) -> pl.Expr:
        return pl.col(col).is_null() if v is None else pl.col(col) == v

    for row, (lr, fr, ep) in enumerate(keys):
        dk = d.filter(same("lr", lr) & same("persona_fraction", fr) & same("epochs", ep))
        for ax, (set_, metric) in zip(axes[row], panels):
            x = np.arange(len(conds))
            sub = dk.filter((pl.col("set") == set_) & (pl.col("metric") == metric))
            n_seeds = sub.select("seed").n_unique() if not sub.is_empty() else 0
            for j, (arm, col) in enumerate((("persona arm", "rate_persona_arm"), ("control arm", "rate_control_arm"))):
                y = [sub.filter(pl.col("condition") == c)[col].mean() if not sub.filter(pl.col("condition") == c).is_empty()
                     else np.nan for c in conds]
                ax.bar(x + (j - 0.5) * 0.38, [np.nan if v is None else v for v in y], width=0.36, color=colors[arm], label=arm)
            for i, c in enumerate(conds):
                sc = sub.filter(pl.col("condition") == c)
                if sc.is_empty():
                    continue
                diff = float(sc["diff"].mean())
                lo = hi = None
                if a is not None and n_seeds >= 2:
                    ra = a.filter(same("lr", lr) & same("persona_fraction", fr) & same("epochs", ep)
                                  & (pl.col("set") == set_) & (pl.col("metric") == metric) & (pl.col("condition") == c))
                    if not ra.is_empty():
                        lo, hi = ra["ci_lo_seeds"][0], ra["ci_hi_seeds"][0]
                elif n_seeds == 1:
                    lo, hi = sc["ci_lo_clustered"][0], sc["ci_hi_clustered"][0]
                txt = f"{diff:+.2f}" + (f"\n[{lo:+.2f}, {hi:+.2f}]" if lo is not None and hi is not None else "")
                ax.text(i, 1.27, txt, ha="center", va="top", fontsize=7)
            ax.set_xticks(x, [COND_LABELS[c] for c in conds], fontsize=7)
            ax.set_ylim(0, 1.3)  # the contrast is written above the bars (y 1.05-1.27)
            ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
            ax.set_title(f"{set_}: {TITLES[metric]}\nlr={lr:g}, frac={fr:g}" + (f", ep={ep:g}" if ep is not None else "")
                         + f", {n_seeds} seed(s)", fontsize=9)
    title = ("Persona arm vs format-only control arm: persona − control "
             f"(95% CI over seeds, {_seeds_ci_name(across)}) above each pair")
    title += f"\njudge: {judge_note}" if judge_note else ""
    _finish(fig, axes, title, out, "rate (mean over seeds)", warning)
