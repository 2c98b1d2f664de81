"""A confidence interval for the mean rate over a population of training seeds that may be skewed: the profile
likelihood of a beta-binomial model of the seeds' counts.

Each seed s has k_s of n_s positive labels; its rate is drawn from Beta(m * tau, (1 - m) * tau), so m is the seed
population's mean rate and tau its precision (tau -> infinity: every seed has rate m, the plain binomial). The interval
for m holds every m whose profile log-likelihood (tau maximised) lies within c / 2 of the maximum, with c the square
of Student's t quantile at n_seeds - 1 degrees of freedom (the F(1, n_seeds - 1) small-sample form of the chi-square
cut; see ``interval``). Unlike a t interval over the seeds' rates, nothing assumes the seeds' rates are normal: one
seed of five at 0.20 and four at 0 keeps a long upper tail, and five seeds at 0 still leave room for a minority of
leaking seeds. Its coverage is measured by ``weirdgen.coverage`` (docs/statistics.md).

Hand-written in numpy (a Lanczos log-gamma and a grid over tau) because SciPy is not among the product's dependencies,
nor on the GPU machines its wheels are carried to."""

from __future__ import annotations

import math

import numpy as np

# Lanczos coefficients (g = 7, n = 9), as in Numerical Recipes / Boost: |error| < 1e-13 for x > 0
_G = 7.0
_C = np.array([0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
               -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
               1.5056327351493116e-7])
# the precision tau searched for each m (log grid; the binomial limit tau = infinity is added separately)
TAUS = np.logspace(-3, 6, 91)


def lgamma(x: np.ndarray) -> np.ndarray:
    """log Gamma(x) for x > 0, elementwise (Lanczos; reflection below 0.5)."""
    x = np.asarray(x, dtype=float)
    small = x < 0.5
    z = np.where(small, 1.0 - x, x) - 1.0
    a = _C[0] + sum(_C[i] / (z + i) for i in range(1, 9))
    t = z + _G + 0.5
    big = 0.5 * math.log(2 * math.pi) + (z + 0.5) * np.log(t) - t + np.log(a)
    with np.errstate(divide="ignore"):
        refl = np.log(math.pi / np.abs(np.sin(math.pi * x))) - big
    return np.where(small, refl, big)


def _loglik(m: np.ndarray, k: np.ndarray, n: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Profile log-likelihood at each mean in ``m`` (seeds' counts ``k`` of ``n`` as unique pairs, ``w`` seeds each;
    tau maximised over ``TAUS`` and the binomial limit), up to a constant. A zero count's terms are 0 (masked)."""
    m = np.asarray(m, dtype=float)[:, None, None]  # (M, 1, 1)
    tau = TAUS[None, :, None]  # (1, T, 1)
    a, b = m * tau, (1 - m) * tau
    ll = ((lgamma(k + a) - lgamma(a)) * (k > 0) + (lgamma(n - k + b) - lgamma(b)) * (n - k > 0)) @ w \
        - (lgamma(n + tau[0]) - lgamma(tau[0])) @ w  # (M, T)
    with np.errstate(divide="ignore", invalid="ignore"):  # m at 0 or 1 with a count on the other side: -inf
        binom = (np.where(k > 0, k * np.log(m[:, 0]), 0.0) + np.where(n > k, (n - k) * np.log1p(-m[:, 0]), 0.0)) @ w
    return np.maximum(ll.max(1), binom)


def interval(k: np.ndarray, n: np.ndarray, cut: float) -> tuple[float, float]:
    """The profile-likelihood interval for the seed population's mean rate: every m with 2 * (max - profile(m)) <=
    ``cut`` (e.g. ``t_quantile(ci, n_seeds - 1) ** 2``). Endpoints on nested logit grids, to ~1e-4 on the logit scale
    and on the wide side; an end whose profile never falls below the cut is 0 or 1. The cut carries the level.
    Seeds with the same count are evaluated once (weighted)."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    if len(k) < 1 or np.any(n <= 0) or np.any((k < 0) | (k > n)):
        raise ValueError(f"counts must satisfy 0 <= k <= n, n > 0: k {k.tolist()}, n {n.tolist()}")
    pairs, mult = np.unique(np.stack([k, n], 1), axis=0, return_counts=True)
    ku, nu, w = pairs[:, 0], pairs[:, 1], mult.astype(float)
    eps = 1e-9
    coarse = 1 / (1 + np.exp(-np.linspace(-20, 20, 121)))  # logit step 0.33, then a fine grid around the best
    cand = np.clip(np.concatenate([coarse, [k.sum() / n.sum()], k / n]), eps, 1 - eps)
    ll = _loglik(cand, ku, nu, w)
    x0 = math.log(cand[int(np.argmax(ll))] / (1 - cand[int(np.argmax(ll))]))
    fine = np.clip(1 / (1 + np.exp(-np.linspace(x0 - 0.4, x0 + 0.4, 41))), eps, 1 - eps)
    cand, ll = np.concatenate([cand, fine]), np.concatenate([ll, _loglik(fine, ku, nu, w)])
    best = int(np.argmax(ll))
    top, x_hat = float(ll[best]), float(np.log(cand[best] / (1 - cand[best])))
    lim = math.log(eps / (1 - eps))

    def end(sign: int) -> float:
        """The end on one side: the profile on 3 nested grids of 64 logit points (step 40 / 64 -> ~1e-4), each one
        a single array evaluation (bisection's ~25 small calls per end cost 4x more)."""
        lo, hi = x_hat, sign * -lim  # inside (the maximum), the far end (logit of 1 - eps or eps)
        for _ in range(3):
            xs = np.linspace(lo, hi, 64)
            out = 2 * (top - _loglik(1 / (1 + np.exp(-xs)), ku, nu, w)) > cut
            if not out.any():
                return 0.0 if sign < 0 else 1.0
            j = int(np.argmax(out))  # the first grid point outside; the one before it is inside
            lo, hi = xs[max(j - 1, 0)], xs[j]
        return float(1 / (1 + np.exp(-hi)))  # the first point outside: a hair wide, never narrow

    return end(-1), end(1)
