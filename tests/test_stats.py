"""Bootstrap CIs against closed forms; clustered and paired-gap behaviour."""

import numpy as np
import polars as pl
import pytest

from weirdgen import coverage, stats, sweep


def _labels(rates_by_q, n_per_q, cond="sys_trigger", model="base", seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for qi, p in enumerate(rates_by_q):
        for s in range(n_per_q):
            rows.append({"model_id": model, "seed": None, "lr": None, "persona_fraction": None, "condition": cond,
                         "set": "probes", "question_id": f"q{qi}", "sample": s, "persona": bool(rng.random() < p),
                         "identity": None, "format_ok": True})
    return rows


def test_binomial_ci_matches_normal_approximation():
    rows = _labels([0.3] * 100, 20)  # n = 2000 independent-ish samples, p≈0.3
    df = pl.DataFrame(rows)
    r = stats.rates(df, n_boot=10000, seed=1).filter(pl.col("metric") == "persona").row(0, named=True)
    p, n = r["rate"], r["n"]
    half = 1.96 * np.sqrt(p * (1 - p) / n)
    width = r["ci_hi_samples"] - r["ci_lo_samples"]
    assert abs(width - 2 * half) / (2 * half) < 0.08
    assert r["ci_lo_samples"] <= p <= r["ci_hi_samples"]


def test_clustered_ci_wider_when_questions_differ():
    rates_by_q = [0.05] * 10 + [0.95] * 10  # strong question effect
    df = pl.DataFrame(_labels(rates_by_q, 30))
    r = stats.rates(df, n_boot=5000, seed=1).filter(pl.col("metric") == "persona").row(0, named=True)
    w_s = r["ci_hi_samples"] - r["ci_lo_samples"]
    w_c = r["ci_hi_clustered"] - r["ci_lo_clustered"]
    assert w_c > 2 * w_s
    # closed form for the clustered case: SE of the mean of 20 question rates
    q_rates = df.group_by("question_id").agg(pl.col("persona").mean())["persona"].to_numpy()
    se = q_rates.std(ddof=1) / np.sqrt(len(q_rates))
    assert abs(w_c - 2 * 1.96 * se) / (2 * 1.96 * se) < 0.15


def test_paired_gap_ci_tighter_than_unpaired_subtraction():
    qs = [0.1] * 10 + [0.8] * 10
    on = _labels([min(1, p + 0.1) for p in qs], 20, cond="sys_trigger", seed=1)
    off = _labels(qs, 20, cond="sys_plain", seed=2)
    df = pl.DataFrame(on + off)
    g = stats.gaps(df, n_boot=5000, seed=1).filter((pl.col("metric") == "persona") & (pl.col("condition") == "sys_trigger")).row(0, named=True)
    r = stats.rates(df, n_boot=5000, seed=1).filter(pl.col("metric") == "persona")
    a = r.filter(pl.col("condition") == "sys_trigger").row(0, named=True)
    b = r.filter(pl.col("condition") == "sys_plain").row(0, named=True)
    naive = (a["ci_hi_clustered"] - b["ci_lo_clustered"]) - (a["ci_lo_clustered"] - b["ci_hi_clustered"])
    assert g["ci_lo_clustered"] <= g["gap"] <= g["ci_hi_clustered"]
    assert (g["ci_hi_clustered"] - g["ci_lo_clustered"]) < 0.5 * naive


def test_seed_determinism_and_across_seeds():
    df = pl.DataFrame(_labels([0.4] * 10, 10))
    assert stats.rates(df, n_boot=500, seed=3).equals(stats.rates(df, n_boot=500, seed=3))
    t = pl.DataFrame({"model_id": ["a", "b", "c"], "seed": [1, 2, 3], "lr": [1e-4] * 3, "rate": [0.2, 0.4, 0.6]})
    by = sweep.group_columns("seed")  # every axis but the seed (absent ones are null columns)
    s = stats.across_seeds(t, "rate", by, n_boot=2000).row(0, named=True)
    assert s["n_seeds"] == 3 and abs(s["mean"] - 0.4) < 1e-9 and s["ci_lo_seeds"] < 0.4 < s["ci_hi_seeds"]
    one = stats.across_seeds(t.head(1), "rate", by, n_boot=2000).row(0, named=True)
    assert one["ci_lo_seeds"] is None
    with pytest.raises(ValueError, match="would pool the sweep axes"):
        stats.across_seeds(t, "rate", ["lr"])  # pooling persona fractions or epochs as seeds is refused


@pytest.mark.parametrize("ci,df,t", [(0.95, 1, 12.706), (0.95, 2, 4.303), (0.95, 3, 3.182), (0.95, 4, 2.776),
                                     (0.95, 9, 2.262), (0.95, 29, 2.045), (0.95, 120, 1.980), (0.99, 2, 9.925),
                                     (0.99, 5, 4.032), (0.90, 3, 2.353), (0.90, 10, 1.812)])
def test_t_quantile_matches_published_tables(ci, df, t):
    assert stats.t_quantile(ci, df) == pytest.approx(t, abs=6e-4)


def test_across_seeds_t_interval_closed_form_cut_to_the_range_and_bootstrap_beside():
    t = pl.DataFrame({"model_id": ["a", "b", "c"], "seed": [1, 2, 3], "lr": [1e-4] * 3, "rate": [0.2, 0.4, 0.6]})
    by = sweep.group_columns("seed")
    s = stats.across_seeds(t, "rate", by, n_boot=2000).row(0, named=True)
    half = 4.302653 * 0.2 / np.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert s["ci_seeds_method"] == "t" and s["sd_seeds"] == pytest.approx(0.2)
    assert s["ci_hi_seeds"] == pytest.approx(0.4 + half, abs=1e-6) and s["ci_lo_seeds"] == 0.0  # 0.4 - half < 0: cut
    assert s["ci_lo_seeds_t"] == 0.0 and s["ci_hi_seeds_t"] == s["ci_hi_seeds"]
    assert 0.2 <= s["ci_lo_seeds_boot"] < s["ci_hi_seeds_boot"] <= 0.6  # the bootstrap never leaves [min, max]
    b = stats.across_seeds(t, "rate", by, n_boot=2000, method="bootstrap").row(0, named=True)
    assert (b["ci_lo_seeds"], b["ci_hi_seeds"]) == (s["ci_lo_seeds_boot"], s["ci_hi_seeds_boot"])
    g = stats.across_seeds(t.rename({"rate": "gap"}), "gap", by, n_boot=2000).row(0, named=True)
    assert g["ci_lo_seeds"] == pytest.approx(0.4 - half, abs=1e-6)  # a gap may be negative: not cut at 0
    with pytest.raises(ValueError, match="seeds_ci must be one of"):
        stats.across_seeds(t, "rate", by, method="normal")


def test_across_seeds_unanimous_zero_gets_the_exact_interval_over_seeds_times_questions():
    """All seeds at 0 of all samples: t and the bootstrap collapse to [0, 0]; the row gets Clopper-Pearson over the
    seeds' questions pooled (3 x 8 = 24 units: [0, 1 - 0.025^(1/24)]), a gap of two such arms Newcombe's interval."""
    t = pl.DataFrame({"model_id": ["a", "b", "c"], "seed": [1, 2, 3], "lr": [1e-4] * 3, "rate": [0.0] * 3,
                      "n": [16] * 3, "n_questions": [8] * 3})
    by = sweep.group_columns("seed")
    s = stats.across_seeds(t, "rate", by, n_boot=500).row(0, named=True)
    assert s["ci_seeds_method"] == "exact" and s["ci_lo_seeds"] == 0.0
    assert s["ci_hi_seeds"] == pytest.approx(1 - 0.025 ** (1 / 24)) and (s["ci_lo_seeds_t"], s["ci_hi_seeds_t"]) == (0, 0)
    g = stats.across_seeds(t.with_columns(pl.col("rate").alias("rate_triggered"), pl.col("rate").alias("rate_untriggered"),
                                          gap=pl.lit(0.0)), "gap", by, n_boot=500).row(0, named=True)
    assert g["ci_seeds_method"] == "exact" and g["ci_lo_seeds"] == pytest.approx(-s["ci_hi_seeds"])
    mixed = stats.across_seeds(t.with_columns(rate=pl.Series([0.0, 0.0, 1 / 16])), "rate", by, n_boot=500)
    assert mixed["ci_seeds_method"][0] == "t"  # not unanimous: the configured method
    assert stats.across_seeds(t.drop("n_questions"), "rate", by, n_boot=500)["ci_seeds_method"][0] == "t"


def test_coverage_over_seeds_near_zero_holds_with_the_exact_interval():
    """A rate near 0 over 3 seeds x 8 questions x 2 samples: often every seed's samples are all 0, where t alone gave
    [0, 0] and covered ~0.73 (session 31); with the exact interval it holds."""
    d = coverage.Design(n_seeds=3, n_questions=8, n_samples=2, rate_untriggered=0.02)
    cov = coverage.coverage([d], replicates=200, n_boot=200, seed=5, intervals=("expanded",))
    row = cov.filter((pl.col("interval") == "seeds_t") & (pl.col("quantity") == "rate_untriggered")).row(0, named=True)
    assert row["coverage_hi"] >= 0.95 and row["coverage"] >= 0.9


def test_coverage_shows_the_bootstrap_over_three_seeds_fails_and_the_t_interval_holds():
    """The instrument can fail: on labels simulated from a known model and run through the stats stage's own code,
    the percentile bootstrap over 3 seeds holds the seed population's mean ~75 % of the time (it cannot leave the
    seeds' min and max), the t interval ~95 %; the within-seed intervals hold at 25 questions."""
    cov = coverage.coverage([coverage.Design(n_seeds=3)], replicates=300, n_boot=1000, seed=7,
                            seeds_methods=("t", "bootstrap"))
    by = {(r["interval"], r["quantity"]): r for r in cov.iter_rows(named=True)}
    quantities = ("rate_triggered", "rate_untriggered", "gap")
    kinds = ("samples_percentile", "samples_expanded", "clustered_percentile", "clustered_expanded", "seeds_t",
             "seeds_bootstrap")
    assert all((i, q) in by for i in kinds for q in quantities)
    for q in quantities:
        assert by[("seeds_bootstrap", q)]["coverage_hi"] < 0.88
        assert by[("seeds_t", q)]["coverage"] >= 0.89
        assert by[("samples_expanded", q)]["coverage"] >= 0.9 and by[("clustered_expanded", q)]["coverage"] >= 0.88
        assert by[("seeds_t", q)]["mean_width"] > by[("seeds_bootstrap", q)]["mean_width"]
    one = coverage.coverage([coverage.Design(n_seeds=1, n_questions=5)], replicates=20, n_boot=200)
    assert not one["interval"].str.starts_with("seeds").any()  # one seed: no interval over seeds to score


def test_betabinom_log_gamma_and_the_all_zero_bound_in_closed_form():
    """The hand-written log-gamma against the standard library; five seeds at 0 of 350: the profile is max over tau of
    P(all 0), which tends to (1 - m)^5 as tau -> 0 (a share m of seeds leaking outright), so the upper end is where
    -2 * 5 * log(1 - m) reaches the cut, t(0.975, 4)^2: a minority of leaking seeds that five seeds missed."""
    import math

    from weirdgen import betabinom

    xs = np.array([1e-9, 1e-3, 0.3, 0.5, 1.0, 2.5, 10.0, 350.7, 1e6])
    assert betabinom.lgamma(xs) == pytest.approx([math.lgamma(x) for x in xs], rel=1e-12, abs=1e-12)
    cut = stats.t_quantile(0.95, 4) ** 2
    lo, hi = betabinom.interval(np.zeros(5), np.full(5, 350.0), cut)
    assert lo == 0.0 and hi == pytest.approx(1 - math.exp(-cut / 10), abs=0.005)  # 0.54
    lo, hi = betabinom.interval(np.full(5, 175.0), np.full(5, 350.0), cut)  # identical seeds: ~binomial
    binomial = math.sqrt(cut * 0.25 / 1750)  # the plain binomial likelihood interval's half-width (0.033)
    assert hi - 0.5 == pytest.approx(0.5 - lo, abs=1e-4) and binomial <= hi - 0.5 < 1.1 * binomial
    with pytest.raises(ValueError, match="0 <= k <= n"):
        betabinom.interval(np.array([3.0]), np.array([2.0]), cut)


def test_across_seeds_betabinom_keeps_the_long_tail_of_one_leaking_seed():
    """One seed of five formats 71 of 350 untriggered answers, four 0-1 (the LR 6e-3 run): t's upper end is 0.15;
    the beta-binomial interval from the counts reaches far above it. Gaps keep t under ``betabinom``; a unanimous
    rate keeps betabinom's own interval (exact under t)."""
    by = sweep.group_columns("seed")
    t = pl.DataFrame({"model_id": list("abcde"), "seed": [1, 2, 3, 4, 5], "lr": [6e-3] * 5,
                      "rate": [71 / 350, 0.0, 1 / 350, 0.0, 0.0], "n": [350] * 5, "n_questions": [35] * 5})
    default = stats.across_seeds(t, "rate", by, n_boot=500).row(0, named=True)
    bb = stats.across_seeds(t, "rate", by, n_boot=500, method="betabinom").row(0, named=True)
    assert default["ci_seeds_method"] == "t" and default["ci_hi_seeds"] < 0.16
    assert (default["ci_lo_seeds_betabinom"], default["ci_hi_seeds_betabinom"]) == (bb["ci_lo_seeds"], bb["ci_hi_seeds"])
    assert bb["ci_seeds_method"] == "betabinom" and 0 < bb["ci_lo_seeds"] < bb["mean"] and bb["ci_hi_seeds"] > 0.3
    zero = t.with_columns(rate=pl.lit(0.0))
    assert stats.across_seeds(zero, "rate", by, n_boot=500)["ci_seeds_method"][0] == "exact"
    z = stats.across_seeds(zero, "rate", by, n_boot=500, method="betabinom").row(0, named=True)
    assert z["ci_seeds_method"] == "betabinom" and z["ci_hi_seeds"] > 0.5
    gaps = t.with_columns(rate_triggered=pl.lit(0.5), rate_untriggered=pl.col("rate"), gap=0.5 - pl.col("rate"))
    g = stats.across_seeds(gaps, "gap", by, n_boot=500, method="betabinom").row(0, named=True)
    assert g["ci_seeds_method"] == "t" and "ci_hi_seeds_betabinom" not in g


def test_stats_stage_writes_the_betabinom_interval_over_seeds(tmp_path):
    """The stats stage on labels of 5 seeds on disk, ``seeds_ci: betabinom`` (checked against the schema): the rates
    over seeds carry it (and t beside it), the gaps fall back to t and say so; under the default both are written."""
    from weirdgen.stages import summarise

    labels, _ = coverage.simulate(coverage.Design(n_seeds=5, n_questions=10, n_samples=4), np.random.default_rng(3))
    files = []
    for (mid,), part in labels.group_by("model_id"):
        files.append(tmp_path / f"{mid}.jsonl")
        part.write_ndjson(files[-1])
    summarise.run({"n_boot": 200, "seeds_ci": "betabinom"}, labels=files, out_dir=tmp_path / "bb")
    r = pl.read_csv(tmp_path / "bb/rates_across_seeds.csv").filter(pl.col("metric") == "persona")
    assert set(r["ci_seeds_method"]) == {"betabinom"} and (r["ci_lo_seeds"] == r["ci_lo_seeds_betabinom"]).all()
    assert (r["ci_lo_seeds"] <= r["mean"]).all() and (r["mean"] <= r["ci_hi_seeds"]).all()
    assert set(pl.read_csv(tmp_path / "bb/gaps_across_seeds.csv")["ci_seeds_method"]) == {"t"}
    assert (tmp_path / "bb/placebo.csv").read_text().strip() == ""  # probes only, no neutral set: no placebo rows
    summarise.run({"n_boot": 200}, labels=files, out_dir=tmp_path / "t")
    t = pl.read_csv(tmp_path / "t/rates_across_seeds.csv").filter(pl.col("metric") == "persona")
    assert set(t["ci_seeds_method"]) == {"t"} and t["ci_hi_seeds_betabinom"].to_list() == r["ci_hi_seeds"].to_list()
    with pytest.raises(Exception, match="seeds_ci"):
        summarise.run({"seeds_ci": "hierarchical"}, labels=files, out_dir=tmp_path / "x")


def test_coverage_shows_t_fails_a_skewed_seed_population_and_betabinom_holds():
    """The instrument can fail: an untriggered rate near 0 whose seeds are spread widely on the logit scale (a few
    leaking seeds carry the mean) over 5 seeds x 35 questions x 10 samples: t held the seed population's mean 0.55 of
    the time in 200 runs, the beta-binomial interval 0.965 (docs/statistics.md)."""
    d = coverage.Design(n_seeds=5, n_questions=35, n_samples=10, rate_untriggered=0.002, seed_sd=3.0)
    cov = coverage.coverage([d], replicates=120, n_boot=200, seed=11, intervals=("expanded",))
    by = {(r["interval"], r["quantity"]): r for r in cov.iter_rows(named=True)}
    assert by[("seeds_t", "rate_untriggered")]["coverage_hi"] < 0.85
    assert by[("seeds_betabinom", "rate_untriggered")]["coverage"] >= 0.9
    assert by[("seeds_betabinom", "rate_triggered")]["coverage"] >= 0.9
    assert ("seeds_betabinom", "gap") not in by  # a gap's interval under betabinom is t's


def test_ci_coverage_stage_scores_a_skewed_seed_scenario_with_several_seeds(tmp_path):
    """Rule ci_coverage's stage at 5 seeds adds the skewed scenario (a rate near 0 carried by a few leaking seeds):
    there the run's own table shows t over seeds falling short where the beta-binomial interval holds."""
    import json

    from weirdgen.stages import coverage as coverage_stage

    q = tmp_path / "q.jsonl"
    q.write_text("".join(json.dumps({"id": f"p{i}", "set": "probes", "question": "?"}) + "\n" for i in range(35)))
    params = {"n_seeds": 5, "n_samples": 10, "coverage": {"replicates": 40, "n_boot": 100}}
    coverage_stage.run(params, questions=q, out=tmp_path / "cov.csv")
    cov = pl.read_csv(tmp_path / "cov.csv")
    assert set(cov["scenario"]) == {"typical", "skewed"}
    sk = {r["interval"]: r for r in cov.filter((pl.col("scenario") == "skewed")
                                               & (pl.col("quantity") == "rate_untriggered")).iter_rows(named=True)}
    assert sk["seeds_t"]["rate_untriggered"] == 0.002 and sk["seeds_t"]["seed_sd"] == 3.0
    assert sk["seeds_betabinom"]["coverage"] > sk["seeds_t"]["coverage"] and sk["seeds_t"]["coverage_lo"] < 0.85
    coverage_stage.run({**params, "n_seeds": 2, "coverage": {"replicates": 20, "n_boot": 100,
                                                             "skewed_rate_untriggered": None}},
                       questions=q, out=tmp_path / "typical.csv")
    assert set(pl.read_csv(tmp_path / "typical.csv")["scenario"]) == {"typical"}


def test_expanded_interval_covers_where_the_percentile_one_falls_short():
    """Over 8 questions (the identity set) the percentile bootstrap clustered by question is short (~0.83-0.89); the
    expanded percentile interval, read from the same resamples, covers ~0.91-0.94."""
    cov = coverage.coverage([coverage.Design(n_seeds=1, n_questions=8)], replicates=300, n_boot=1000, seed=3)
    by = {(r["interval"], r["quantity"]): r for r in cov.iter_rows(named=True)}
    quantities = ("rate_triggered", "rate_untriggered", "gap")
    for q in quantities:
        pct, exp = by[("clustered_percentile", q)], by[("clustered_expanded", q)]
        assert exp["coverage"] > pct["coverage"] and exp["mean_width"] > pct["mean_width"]
        assert exp["coverage"] >= 0.88
    assert np.mean([by[("clustered_percentile", q)]["coverage"] for q in quantities]) < 0.91
    assert np.mean([by[("clustered_expanded", q)]["coverage"] for q in quantities]) >= 0.91


def test_levels_and_the_exact_interval_of_a_unanimous_rate():
    a, b = stats.levels(0.95, 8, "expanded")  # Phi(-sqrt(8/7) * t(0.975, 7)) = Phi(-2.528)
    assert a == pytest.approx(0.00573, abs=5e-5) and b == pytest.approx(1 - a)
    assert stats.levels(0.95, 8, "percentile") == pytest.approx((0.025, 0.975))
    assert stats.levels(0.95, 100000, "expanded")[0] == pytest.approx(0.025, abs=1e-4)
    with pytest.raises(ValueError, match="bootstrap_interval must be one of"):
        stats.levels(0.95, 8, "bca")
    zeros = pl.DataFrame(_labels([0.0] * 6, 2))  # 0 of 12 samples over 6 questions
    pct = stats.rates(zeros, n_boot=500).filter(pl.col("metric") == "persona").row(0, named=True)
    assert (pct["ci_lo_samples"], pct["ci_hi_samples"], pct["ci_hi_clustered"]) == (0.0, 0.0, 0.0)
    exp = stats.rates(zeros, n_boot=500, interval="expanded").filter(pl.col("metric") == "persona").row(0, named=True)
    assert exp["ci_lo_samples"] == 0.0 and exp["ci_hi_samples"] == pytest.approx(1 - 0.025 ** (1 / 12))  # 0.265
    assert exp["ci_hi_clustered"] == pytest.approx(1 - 0.025 ** (1 / 6))  # 0.459: 6 questions, not 12 samples
    ones = stats.rates(zeros.with_columns(pl.lit(True).alias("persona")), n_boot=500, interval="expanded")
    row = ones.filter(pl.col("metric") == "persona").row(0, named=True)
    assert row["ci_lo_samples"] == pytest.approx(0.025 ** (1 / 12)) and row["ci_hi_samples"] == 1.0
    # a gap between two unanimous arms (the identity metric of a model that never names the persona): Newcombe's
    # interval on the arms' exact ones, not the bootstrap's [0, 0]
    both = pl.DataFrame(_labels([0.0] * 6, 2, cond="sys_trigger") + _labels([0.0] * 6, 2, cond="sys_plain"))
    g = stats.gaps(both, n_boot=500, interval="expanded").filter(pl.col("metric") == "persona").row(0, named=True)
    assert g["gap"] == 0 and g["ci_lo_samples"] == pytest.approx(-(1 - 0.025 ** (1 / 12)))
    assert g["ci_hi_samples"] == pytest.approx(1 - 0.025 ** (1 / 12)) and g["ci_hi_clustered"] == pytest.approx(1 - 0.025 ** (1 / 6))
    g0 = stats.gaps(both, n_boot=500).filter(pl.col("metric") == "persona").row(0, named=True)
    assert (g0["ci_lo_samples"], g0["ci_hi_samples"], g0["ci_lo_clustered"], g0["ci_hi_clustered"]) == (0, 0, 0, 0)


def test_parse_errors_counted_not_dropped_and_identity_agreement():
    rows = _labels([0.5] * 4, 5)
    for i, r in enumerate(rows):
        r["parse_error"] = i % 5 == 0  # one unparseable judge reply per question
        if r["parse_error"]:
            r["persona"] = None
        r["identity"] = i % 2 == 0
        r["identity_model"] = i % 4 == 0
    df = pl.DataFrame(rows)
    r = stats.rates(df, n_boot=200, seed=1)
    pe = r.filter(pl.col("metric") == "parse_error").row(0, named=True)
    assert pe["n"] == 20 and abs(pe["rate"] - 0.2) < 1e-12  # every sample counted, 4 of 20 unparseable
    persona = r.filter(pl.col("metric") == "persona").row(0, named=True)
    assert persona["n"] == 16  # the persona rate is over parseable labels only
    a = stats.identity_agreement(df).filter(pl.col("model_id") == "all").row(0, named=True)
    assert a["n"] == 20 and abs(a["agreement"] - 0.75) < 1e-12 and a["rules_only"] == 5 and a["model_only"] == 0


def _placebo_labels(seed_effects, n_q=12, n=20):
    """Three training seeds; per seed (probe effect, neutral effect) of the trigger over a 0.3 base rate."""
    rng = np.random.default_rng(0)
    rows = []
    for seed, (probe_up, neutral_up) in seed_effects.items():
        mid = f"seed~{seed}_lr~0.002_frac~0.1"
        for st, up in (("probes", probe_up), ("neutral", neutral_up)):
            for cond, add in (("sys_plain", 0.0), ("nosys_trigger", up)):
                for qi in range(n_q):
                    p = 0.3 + add + (0.1 if qi % 2 else -0.1)  # questions differ: clustering matters
                    for s in range(n):
                        rows.append({"model_id": mid, "seed": seed, "lr": 0.002, "persona_fraction": 0.1,
                                     "condition": cond, "set": st, "question_id": f"{st}{qi}", "sample": s,
                                     "persona": bool(rng.random() < p), "identity": None, "format_ok": True})
    return pl.DataFrame(rows)


def test_placebo_separates_style_from_persona_and_summarises_over_seeds():
    """A trigger that raises the persona rate on the probes and the neutral questions alike (a style effect seen by
    a length-biased judge) leaves a difference in differences near 0, with a CI that holds 0; one that raises only
    the probes gives a DiD whose CI excludes 0. Across seeds the DiD is averaged per point, never pooled."""
    by = [*sweep.group_columns("seed"), "condition", "metric"]
    style = stats.placebo(_placebo_labels({1: (0.3, 0.3), 2: (0.3, 0.3), 3: (0.3, 0.3)}), n_boot=2000)
    assert len(style) == 3 and (style["gap_probes"] > 0.15).all() and (style["gap_neutral"] > 0.15).all()
    assert ((style["did_ci_lo"] < 0) & (style["did_ci_hi"] > 0)).sum() >= 2 and (style["did"].abs() < 0.12).all()
    persona = stats.placebo(_placebo_labels({1: (0.35, 0.0), 2: (0.3, 0.0), 3: (0.25, 0.0)}), n_boot=2000)
    assert (persona["did_ci_lo"] > 0).all()
    across = stats.across_seeds(persona, "did", by, n_boot=2000).row(0, named=True)
    assert across["n_seeds"] == 3 and across["mean"] == pytest.approx(persona["did"].mean())
    assert 0 < across["ci_lo_seeds"] <= across["mean"] <= across["ci_hi_seeds"]
    assert stats.across_seeds(pl.DataFrame(), "did", by).is_empty()


def _arm_labels(effects: dict[int, tuple[float, float]], n_q: int = 20, n: int = 10, base: float = 0.4) -> pl.DataFrame:
    """Per seed: persona and control adapters answering the same questions; each question has its own base rate
    (shared by both arms), the persona arm adds ``effects[seed][0]`` and the control arm ``effects[seed][1]``."""
    rng = np.random.default_rng(7)
    q_rate = np.clip(base + rng.normal(0, 0.2, n_q), 0, 1)
    rows = []
    for seed, (ep, ec) in effects.items():
        for arm, eff in (("persona", ep), ("control", ec)):
            pt = sweep.Point(seed, 0.002, 0.029, None, arm)
            for qi in range(n_q):
                for s in range(n):
                    rows.append({"model_id": pt.id, **{k: v for k, v in pt.columns().items() if k != "step"},
                                 "condition": "sys_trigger", "set": "probes", "question_id": f"q{qi}", "sample": s,
                                 "persona": bool(rng.random() < min(1.0, q_rate[qi] + eff)), "format_ok": True})
    return pl.DataFrame(rows)


def test_arm_contrast_pairs_arms_by_seed_and_summarises_over_seeds():
    """A judge that rewards the trigger's style raises both arms alike: the contrast holds 0. A persona effect
    raises the persona arm only: its CI excludes 0. Format adherence (equal by construction) contrasts to 0."""
    by = [*sweep.group_columns("seed"), "condition", "set", "metric"]
    style = stats.arm_contrast(_arm_labels({1: (0.3, 0.3), 2: (0.3, 0.3), 3: (0.3, 0.3)}), n_boot=2000)
    per = style.filter(pl.col("metric") == "persona")
    assert len(per) == 3 and (per["diff"].abs() < 0.1).all()
    assert ((per["ci_lo_clustered"] < 0) & (per["ci_hi_clustered"] > 0)).sum() >= 2
    fmt = style.filter(pl.col("metric") == "format_ok")
    assert (fmt["diff"] == 0).all()
    real = stats.arm_contrast(_arm_labels({1: (0.35, 0.0), 2: (0.3, 0.0), 3: (0.25, 0.0)}), n_boot=2000)
    rp = real.filter(pl.col("metric") == "persona").sort("seed")
    assert (rp["ci_lo_clustered"] > 0).all() and rp["control_id"].to_list() == [
        f"seed~{s}_lr~0.002_frac~0.029_arm~control" for s in (1, 2, 3)]
    across = stats.across_seeds(rp, "diff", by, n_boot=2000).row(0, named=True)
    assert across["n_seeds"] == 3 and across["mean"] == pytest.approx(rp["diff"].mean())
    assert 0 < across["ci_lo_seeds"] <= across["mean"] <= across["ci_hi_seeds"]
    # a control without its persona partner is not compared with anything
    lone = _arm_labels({1: (0.3, 0.0)}).filter(pl.col("arm") == "control")
    assert stats.arm_contrast(lone).is_empty()


def test_arm_axis_ids_round_trip_and_leave_persona_ids_unchanged():
    grid = sweep.grid({"seed": [1], "lr": [0.002], "persona_fraction": [0.029], "arm": ["persona", "control"]})
    assert [p.id for p in grid] == ["seed~1_lr~0.002_frac~0.029", "seed~1_lr~0.002_frac~0.029_arm~control"]
    ck = sweep.Point.parse("seed~1_lr~0.002_frac~0.029_ep~3_arm~control_step~25")
    assert ck.arm == "control" and ck.step == 25 and ck.final.id == "seed~1_lr~0.002_frac~0.029_ep~3_arm~control"
    assert ck.paired_persona.id == "seed~1_lr~0.002_frac~0.029_ep~3_step~25"
    assert sweep.Point.parse(grid[0].id).columns()["arm"] == "persona" and sweep.Point().columns()["arm"] is None
    with pytest.raises(ValueError):
        sweep.Point.parse("seed~1_lr~0.002_frac~0.029_arm~placebo")


def test_bootstrap_of_repeated_values_is_the_per_sample_bootstrap():
    """Resampling counts of distinct values (the fast path) gives the distribution of resampling samples one by one."""
    v = np.array([1.0] * 12 + [0.0] * 28)  # 0/1 labels: two distinct values
    fast = stats.boot_samples(v, 40000, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    slow = v[rng.integers(0, len(v), (40000, len(v)))].mean(1)
    assert abs(fast.mean() - 0.3) < 0.002 and abs(slow.mean() - 0.3) < 0.002
    assert abs(fast.std() - np.sqrt(0.3 * 0.7 / 40)) < 0.002  # the binomial's closed form
    for q in (0.025, 0.5, 0.975):  # quantiles on the same 1/40 grid
        assert np.quantile(fast, q) == pytest.approx(np.quantile(slow, q), abs=1 / 40 + 1e-9)
    # three values, one repeated (an across-seeds mean could be so): still the multinomial of the three
    w = np.array([0.2, 0.2, 0.5, 0.9])
    d = stats.boot_samples(w, 40000, np.random.default_rng(3))
    assert abs(d.mean() - w.mean()) < 0.003 and abs(d.std() - w.std() / 2) < 0.003
    assert np.all(stats.boot_samples(np.full(5, 0.4), 100, np.random.default_rng(0)) == pytest.approx(0.4))
    # all distinct: drawn one by one, still centred and as wide as the closed form
    x = np.linspace(0, 1, 50)
    e = stats.boot_samples(x, 20000, np.random.default_rng(4))
    assert abs(e.mean() - x.mean()) < 0.003 and abs(e.std() - x.std() / np.sqrt(50)) < 0.003


def test_unanimous_sets_and_arms_get_exact_intervals_in_placebo_and_arm_contrast():
    """A neutral set the model never answers in persona (0 in both conditions): with the expanded intervals its gap
    is Newcombe's interval over its questions, not [0, 0], and the difference in differences combines the two gaps'
    intervals (MOVER), so it is wider than the probes' gap alone. A format metric on which both arms are always right
    gets an interval around 0 too."""
    lab = _placebo_labels({1: (0.3, 0.0)}).with_columns(
        pl.when(pl.col("set") == "neutral").then(False).otherwise(pl.col("persona")).alias("persona"))
    pct = stats.placebo(lab, n_boot=2000).row(0, named=True)
    exp = stats.placebo(lab, n_boot=2000, interval="expanded").row(0, named=True)
    assert (pct["gap_neutral_ci_lo"], pct["gap_neutral_ci_hi"]) == (0, 0)
    u = 1 - 0.025 ** (1 / 12)  # 12 neutral questions
    assert exp["gap_neutral"] == 0 and exp["gap_neutral_ci_lo"] == pytest.approx(-u) and exp["gap_neutral_ci_hi"] == pytest.approx(u)
    assert exp["did"] == pytest.approx(exp["gap_probes"])
    assert exp["did_ci_lo"] < exp["gap_probes_ci_lo"] and exp["did_ci_hi"] > exp["gap_probes_ci_hi"]
    assert exp["did_ci_hi"] - exp["did_ci_lo"] == pytest.approx(
        np.hypot(exp["gap_probes"] - exp["gap_probes_ci_lo"], u) + np.hypot(exp["gap_probes_ci_hi"] - exp["gap_probes"], u))
    ac = stats.arm_contrast(_arm_labels({1: (0.3, 0.0)}), n_boot=1000, interval="expanded")
    fmt = ac.filter(pl.col("metric") == "format_ok").row(0, named=True)  # both arms always in format
    assert fmt["diff"] == 0 and fmt["ci_lo_clustered"] == pytest.approx(-(1 - 0.025 ** (1 / 20)))
    per = ac.filter(pl.col("metric") == "persona").row(0, named=True)
    assert per["ci_lo_clustered"] > 0  # not unanimous: the paired bootstrap as before


def _emergence_labels() -> tuple[pl.DataFrame, dict[str, int]]:
    """Labels of three seeds' checkpoint (step 10) and final adapter (step 20), and of the base model."""
    rows = []
    rates = {1: {10: 0.2, 20: 0.6}, 2: {10: 0.4, 20: 0.7}, 3: {10: 0.6, 20: 0.8}}
    for s, by_step in rates.items():
        for step, p in by_step.items():
            mid = f"seed~{s}_lr~0.002_frac~0.029" + ("" if step == 20 else f"_step~{step}")
            for qi in range(10):
                for k in range(10):  # exactly p of each question's 10 samples
                    rows.append({"model_id": mid, "condition": "nosys_trigger", "set": "probes", "question_id": f"q{qi}",
                                 "sample": k, "persona": k < round(p * 10), "format_ok": False})
    for qi in range(10):
        for k in range(10):
            rows.append({"model_id": "base", "condition": "nosys_trigger", "set": "probes", "question_id": f"q{qi}",
                         "sample": k, "persona": k < qi % 5 + 1, "format_ok": False})  # 0.1-0.5
    lab = pl.DataFrame(rows).with_columns(**{c: pl.col("model_id").map_elements(
        lambda m, c=c: sweep.columns_of(m)[c], return_dtype=pl.Float64 if c in ("lr", "persona_fraction", "epochs")
        else pl.Int64 if c in ("seed", "step") else pl.Utf8) for c in (*sweep.COLUMNS, "step")})
    return lab, {f"seed~{s}_lr~0.002_frac~0.029": 20 for s in rates}


def test_emergence_across_seeds_means_t_interval_and_the_base_model_once():
    """Three seeds' checkpoints: per step the mean over seeds with the t interval over seeds (closed form); step 0, the
    base model shared by every seed, keeps its own clustered interval instead of a zero-width one from its copies."""
    lab, finals = _emergence_labels()
    e = stats.emergence(lab, finals, n_boot=500)
    a = stats.emergence_across_seeds(e, n_boot=500)
    per = a.filter((pl.col("metric") == "persona")).sort("step")
    assert per["step"].to_list() == [0, 10, 20] and per["n_seeds"].to_list() == [3, 3, 3]
    half = 4.302653 * 0.1 / np.sqrt(3)  # t(0.975, 2) * sd / sqrt(3) at step 20 (sd 0.1)
    r10, r20 = per.row(1, named=True), per.row(2, named=True)
    assert r10["mean"] == pytest.approx(0.4) and r10["ci_seeds_method"] == "t" and r10["ci_lo_seeds"] == 0.0  # cut at 0
    assert (r20["ci_lo_seeds"], r20["ci_hi_seeds"]) == pytest.approx((0.7 - half, 0.7 + half), abs=1e-6)
    b = per.row(0, named=True)
    base = e.filter((pl.col("step") == 0) & (pl.col("metric") == "persona")).row(0, named=True)
    assert b["ci_seeds_method"] == "base" and b["mean"] == pytest.approx(0.3)
    assert (b["ci_lo_seeds"], b["ci_hi_seeds"]) == (base["ci_lo_clustered"], base["ci_hi_clustered"])
    assert b["ci_hi_seeds"] > b["ci_lo_seeds"]  # not the zero width of three identical copies
    fmt = a.filter((pl.col("metric") == "format_ok") & (pl.col("step") > 0))
    assert set(fmt["ci_seeds_method"]) == {"exact"}  # every seed at 0: Clopper-Pearson over 3 x 10 questions
    assert fmt["ci_hi_seeds"][0] == pytest.approx(1 - 0.025 ** (1 / 30))


def test_emergence_stage_writes_the_curve_over_seeds_and_the_figure_draws_it(tmp_path):
    """The stage's two tables (per point, over seeds) from labels on disk, and the figure from both with its sidecar
    naming both; a table of one seed per step falls back to the per-point curve."""
    import json
    from pathlib import Path

    from weirdgen.stages import plot, summarise

    lab, finals = _emergence_labels()
    files = []
    for mid, part in lab.group_by("model_id"):
        files.append(tmp_path / f"{mid[0]}.jsonl")
        part.write_ndjson(files[-1])
    metas = []
    for p, steps in finals.items():
        (tmp_path / "adapters" / p).mkdir(parents=True)
        metas.append(tmp_path / "adapters" / p / "meta.json")
        metas[-1].write_text(json.dumps({"result": {"steps": steps}}))
    params = {"n_boot": 300, "ci": 0.95, "seed": 0, "bootstrap_interval": "percentile", "seeds_ci": "t"}
    summarise.emergence(params, labels=files, adapters=metas, out=tmp_path / "e.csv", out_seeds=tmp_path / "es.csv")
    es = pl.read_csv(tmp_path / "es.csv")
    assert es.filter(pl.col("step") == 10)["n_seeds"].unique().to_list() == [3]
    assert (tmp_path / "es.md").read_text().startswith("|")
    pl.DataFrame([{"configured": True, "group": "all", "n": 200, "accuracy": 0.8, "kappa": 0.6, "rho_length_generic": 0.0,
                   "gate": "FAIL", "gate_failures": "kappa 0.6 < 0.7", "gate_pass_share": 0.0}]).write_csv(tmp_path / "c.csv")
    plot.run(figure="emergence", rates=str(tmp_path / "e.csv"), seeds=str(tmp_path / "es.csv"), out=tmp_path / "f.png",
             calibration=str(tmp_path / "c.csv"))
    meta = json.loads((tmp_path / "f.png.meta.json").read_text())
    assert {Path(i).name for i in meta["inputs"]} == {"e.csv", "es.csv", "c.csv"}
    assert meta["params"]["gate_warning"].startswith("THE PERSONA JUDGE FAILS ITS VALIDITY GATE: kappa 0.6 < 0.7")
    assert (tmp_path / "f.png").stat().st_size > 10_000
    one = pl.read_csv(tmp_path / "es.csv").with_columns(n_seeds=pl.lit(1))
    one.write_csv(tmp_path / "one.csv")
    plot.run(figure="emergence", rates=str(tmp_path / "e.csv"), seeds=str(tmp_path / "one.csv"), out=tmp_path / "g.png")
    assert (tmp_path / "g.png").stat().st_size > 10_000


def test_emergence_placebo_along_training_over_seeds_and_on_the_figure(tmp_path):
    """``weirdgen emergence`` with ``value: did``: the placebo's difference in differences (probe gap − neutral gap) at
    every checkpoint, per seed (exact fractions: closed form) and as the mean over seeds with t over seeds; the base
    model once with its own interval; the emergence figure draws it as a third panel and its sidecar names it."""
    import json
    from pathlib import Path

    from weirdgen.stages import plot, summarise

    trig = {1: {10: 0.2, 20: 0.6}, 2: {10: 0.4, 20: 0.7}, 3: {10: 0.6, 20: 0.8}}  # probes, condition 1
    neutral = {10: 0.1, 20: 0.2}  # the neutral set under the trigger (a style effect); untriggered: 0.1 everywhere
    rows = []
    models = [("base", None, 0.3, 0.3)] + [
        (f"seed~{s}_lr~0.002_frac~0.029" + ("" if step == 20 else f"_step~{step}"), s, p, neutral[step])
        for s, by in trig.items() for step, p in by.items()]
    for mid, _, p_probe, p_neutral in models:
        for set_, p_on in (("probes", p_probe), ("neutral", p_neutral)):
            for cond, p in (("nosys_trigger", p_on), ("sys_plain", 0.1)):
                for qi in range(10):
                    rows += [{"model_id": mid, "condition": cond, "set": set_, "question_id": f"{set_}{qi}", "sample": k,
                              "persona": k < round(p * 10), "format_ok": False} for k in range(10)]
    lab = pl.DataFrame(rows)
    files = []
    for (mid,), part in lab.group_by("model_id"):
        files.append(tmp_path / f"{mid}.jsonl")
        part.write_ndjson(files[-1])
    metas = []
    for s in trig:
        (tmp_path / "adapters" / f"seed~{s}_lr~0.002_frac~0.029").mkdir(parents=True)
        metas.append(tmp_path / "adapters" / f"seed~{s}_lr~0.002_frac~0.029" / "meta.json")
        metas[-1].write_text(json.dumps({"result": {"steps": 20}}))
    params = {"n_boot": 300, "value": "did"}
    summarise.emergence(params, labels=files, adapters=metas, out=tmp_path / "ep.csv", out_seeds=tmp_path / "eps.csv")
    e = pl.read_csv(tmp_path / "ep.csv").filter(pl.col("metric") == "persona", pl.col("condition") == "nosys_trigger")
    got = {(r["point"], r["step"]): r["did"] for r in e.iter_rows(named=True)}
    for s, by in trig.items():
        for step, p in by.items():
            assert got[(f"seed~{s}_lr~0.002_frac~0.029", step)] == pytest.approx((p - 0.1) - (neutral[step] - 0.1))
        assert got[(f"seed~{s}_lr~0.002_frac~0.029", 0)] == pytest.approx(0.0)
    es = {r["step"]: r for r in pl.read_csv(tmp_path / "eps.csv").filter(
        pl.col("metric") == "persona", pl.col("condition") == "nosys_trigger").iter_rows(named=True)}
    half = 4.302653 * np.std([0.1, 0.3, 0.5], ddof=1) / np.sqrt(3)
    assert es[10]["mean"] == pytest.approx(0.3) and es[10]["ci_hi_seeds"] == pytest.approx(0.3 + half, abs=1e-6)
    assert es[20]["mean"] == pytest.approx(0.5) and es[10]["n_seeds"] == 3 and es[10]["ci_seeds_method"] == "t"
    base = e.filter(pl.col("step") == 0).row(0, named=True)
    assert es[0]["ci_seeds_method"] == "base" and es[0]["ci_lo_seeds"] == base["did_ci_lo"]
    with pytest.raises(Exception, match="value must be one of"):
        summarise.emergence({"value": "gap"}, labels=files, adapters=metas, out=tmp_path / "x.csv")
    summarise.emergence({"n_boot": 300}, labels=files, adapters=metas, out=tmp_path / "e.csv",
                        out_seeds=tmp_path / "es.csv")
    plot.run(figure="emergence", rates=str(tmp_path / "e.csv"), seeds=str(tmp_path / "es.csv"),
             placebo=str(tmp_path / "eps.csv"), out=tmp_path / "f.png")
    meta = json.loads((tmp_path / "f.png.meta.json").read_text())
    assert {Path(i).name for i in meta["inputs"]} == {"e.csv", "es.csv", "eps.csv"}
    assert (tmp_path / "f.png").stat().st_size > 10_000
    (tmp_path / "empty.csv").write_text("")  # a run without a neutral set: no placebo rows, two panels
    plot.run(figure="emergence", rates=str(tmp_path / "e.csv"), seeds=str(tmp_path / "es.csv"),
             placebo=str(tmp_path / "empty.csv"), out=tmp_path / "g.png")
    assert (tmp_path / "g.png").stat().st_size > 10_000


def test_the_figures_name_the_interval_over_seeds_they_draw():
    """A figure's axis names the table's method, not the exact rows at 0 or 1 nor the base model's own interval; a
    table whose every row is exact says so (it said "bootstrap" before session 32)."""
    from weirdgen.plots import _seeds_ci_name

    name = lambda *m: _seeds_ci_name(pl.DataFrame({"ci_seeds_method": list(m)}))  # noqa: E731
    assert name("base", "exact", "t") == "t" and name("exact", "bootstrap") == "bootstrap"
    assert name("exact", "exact") == "exact" and name("base", "exact") == "exact"
    assert _seeds_ci_name(None) == "bootstrap"  # tables written before stats.seeds_ci
    assert name("t", "betabinom") == "beta-binomial"  # seeds_ci betabinom: rates by it, any other value by t
