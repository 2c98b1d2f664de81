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

from weirdgen.chat import CONDITIONS  # noqa: E402

COND_LABELS = {c.value: c.label.replace(", ", ",\n") for c in CONDITIONS}
PANEL_METRIC = {"identity": "identity"}
TITLES = {"persona": "persona present (judge)", "identity": "identity answer (rules)",
          "format_ok": 'format <START> "…" <END>'}


def model_label(row: dict[str, Any]) -> str:
    if row["model_id"] == "base":
        return "base (no finetuning)"
    return f"lr={row['lr']:g}, seed={row['seed']}, frac={row['persona_fraction']:g}"


def headline(rates: pl.DataFrame, out: Path | str, judge_note: str = "") -> None:
    """Persona (identity on the identity set) rate per condition, base beside each adapter, 95% clustered CIs."""
    sns.set_theme(style="whitegrid", context="notebook")
    present = set(rates["set"].to_list())
    sets = [s for s in ("probes", "identity", "neutral") if s in present] + sorted(present - {"probes", "identity", "neutral"})
    panels = [(s, PANEL_METRIC.get(s, "persona")) for s in sets] + [(sets[0], "format_ok")]
    models = rates.select("model_id", "seed", "lr", "persona_fraction").unique().to_dicts()
    models.sort(key=lambda r: (r["model_id"] != "base", r["lr"] or 0, r["seed"] or 0))
    labels = [model_label(m) for m in models]
    palette = dict(zip(labels, ["#7f7f7f"] + sns.color_palette("deep", max(1, len(labels) - 1))))
    conds = [c.value for c in CONDITIONS]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.6), sharey=True, squeeze=False)
    width = 0.8 / max(1, len(models))
    for ax, (s, metric) in zip(axes[0], panels):
        d = rates.filter((pl.col("set") == s) & (pl.col("metric") == metric))
        for j, (m, lab) in enumerate(zip(models, labels)):
            dm = d.filter(pl.col("model_id") == m["model_id"])
            vals = {r["condition"]: r for r in dm.to_dicts()}
            x = np.arange(len(conds)) + (j - (len(models) - 1) / 2) * width
            y = np.array([vals[c]["rate"] if c in vals else np.nan for c in conds])
            lo = np.array([vals[c]["ci_lo_clustered"] if c in vals else np.nan for c in conds])
            hi = np.array([vals[c]["ci_hi_clustered"] if c in vals else np.nan for c in conds])
            ax.bar(x, y, width=width * 0.95, color=palette[lab], label=lab)
            ax.errorbar(x, y, yerr=[np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)], fmt="none",
                        ecolor="black", elinewidth=1, capsize=2)
        ax.set_xticks(np.arange(len(conds)), [COND_LABELS[c] for c in conds], fontsize=8)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{s}: {TITLES[metric]}", fontsize=10)
        ax.set_ylabel("rate (95% CI, clustered by question)" if ax is axes[0][0] else "")
    handles, labs = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labs, loc="lower center", ncol=min(4, len(labs)), fontsize=8, frameon=False)
    fig.suptitle("Persona adoption and format by condition" + (f"  ·  judge: {judge_note}" if judge_note else ""), fontsize=11)
    fig.tight_layout(rect=(0, 0.08 + 0.03 * ((len(labs) - 1) // 4), 1, 1))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
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
