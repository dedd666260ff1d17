"""An ad's appeal from the logs: its clicks over the clicks expected of what was shown to whom, by empirical Bayes.

A click rate mixes two things: how appealing the ad is (the employer, the ad itself: what no text
shows) and how well it matched the seekers who saw it. The click model (PAL, every feature but the
logs' own) says how many clicks each impression should have drawn at its position,

    expected_i = propensity(position_i) x P(click | seen, resume, ad)_i,

so for a key k (an ad, or a pair of titles) the ratio clicks_k / expected_k is its appeal beyond the
match. Few clicks make that ratio noisy (an ad has about 2.3 clicks in the default network's training
period): the appeal is the posterior mean under a gamma prior,

    clicks_k ~ Poisson(theta_k x mu x expected_k),  theta_k ~ Gamma(alpha, alpha)  (mean 1),
    E[theta_k | clicks_k] = (clicks_k + alpha) / (mu x expected_k + alpha),

with mu = all clicks / all expected clicks (the click model's calibration) and alpha, the prior's
strength, fitted by maximum marginal likelihood (the negative binomial) over the keys: empirical Bayes
(Robbins 1956; Clayton & Kaldor 1987 for the gamma-Poisson form) instead of a fixed number of
pseudo-impressions. A key the logs never showed has theta 1. Pure numpy; the counts are summed in Spark.
"""

from __future__ import annotations

import numpy as np

# alpha between e^-5 and e^10: from almost no shrinkage to keys that all look alike
_LOG_ALPHA_BOUNDS = (-5.0, 10.0)


def appeal_prior(clicks, expected) -> dict[str, float]:
    """{"alpha", "mu", "keys"}: the gamma prior of the appeal, fitted on per-key clicks and expected clicks.

    mu = sum(clicks) / sum(expected); alpha maximises the negative-binomial likelihood of the clicks
    (the Poisson with the gamma integrated out). Keys with no expected click carry no evidence and
    are left out. Errors on negative counts.
    """
    from scipy.optimize import minimize_scalar  # noqa: PLC0415
    from scipy.special import gammaln  # noqa: PLC0415

    clicks, expected = np.asarray(clicks, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if clicks.shape != expected.shape:
        raise ValueError(f"clicks {clicks.shape} and expected {expected.shape} must have the same shape")
    if (clicks < 0).any() or (expected < 0).any():
        raise ValueError("clicks and expected clicks must be non-negative")
    keep = expected > 0
    clicks, expected = clicks[keep], expected[keep]
    if not keep.any() or clicks.sum() == 0:
        return {"alpha": float(np.exp(_LOG_ALPHA_BOUNDS[1])), "mu": 1.0, "keys": int(keep.sum())}
    mu = float(clicks.sum() / expected.sum())
    mean = mu * expected

    def negative_log_likelihood(log_alpha: float) -> float:
        alpha = np.exp(log_alpha)
        return -float(np.sum(gammaln(clicks + alpha) - gammaln(alpha) + alpha * np.log(alpha / (alpha + mean))
                             + clicks * np.log(mean / (alpha + mean))))

    found = minimize_scalar(negative_log_likelihood, bounds=_LOG_ALPHA_BOUNDS, method="bounded",
                            options={"xatol": 1e-6})
    return {"alpha": float(np.exp(found.x)), "mu": mu, "keys": int(keep.sum())}


def appeal_ratio(clicks, expected, alpha: float, mu: float):
    """The posterior mean appeal (clicks + alpha) / (mu x expected + alpha): 1 without logs, above 1 for an ad
    clicked more than its matches explain. Numpy arrays or Spark columns alike (modeling applies it in
    Spark, `recommend` in pandas)."""
    return (clicks + float(alpha)) / (expected * float(mu) + float(alpha))
