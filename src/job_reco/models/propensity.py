"""Examination-curve estimators and how to choose between them: pure numpy on a few counts per position.

Two estimators are identified although search's order correlates with relevance:

- `click_model`: PAL fitted on every training row (P(click) = P(seen | position) x
  P(click | seen, features); Guo et al. RecSys 2019), the joint maximum-likelihood form of
  regression-EM (Wang et al. WSDM 2018): the features explain relevance, the position factor what
  is left. Low variance; biased only by relevance the features miss.
- `swap_interventions` (and `swap_power_law`, its one-parameter k^-eta fit): the randomized slice of the logs (Joachims, Swaminathan & Schnabel, WSDM
  2017). A search marked `swap_1_<k>` showed search's first ad at position k. Randomization makes
  those ads as relevant, on average, as the first ads of ordinary searches, so
  theta_k / theta_1 = CTR(first ads shown at k) / CTR(first ads shown at 1). Unbiased; its variance
  grows as the slice shrinks.

`choose_curve` keeps the one whose curve best predicts held-out randomized clicks, cross-fitted: the
randomized searches are split into folds, each fold's swapped first ads are scored under the curve
estimated from the other folds (binomial log-likelihood, clicks_k ~ Bin(n_k, r * theta_k), r the
CTR of first ads at position 1 in that fold's ordinary searches), and the sums compared. Every
randomized click is held out once, which a small slice needs. Without one the click model stays.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np


def swap_curve(counts: Mapping[int, tuple[float, float]], baseline: tuple[float, float]) -> dict[str, float]:
    """theta_k / theta_1 per k from {k: (impressions, clicks) of first ads shown at k} and (impressions, clicks) at 1.

    Positions without impressions are left out (a later lookup takes the last known one before).
    """
    shown, clicked = baseline
    if shown <= 0 or clicked <= 0:
        raise ValueError("no clicks on first ads at position 1: the swap interventions cannot be scaled")
    base = clicked / shown
    curve = {"1": 1.0}
    for k, (n, c) in sorted(counts.items()):
        if int(k) >= 2 and n > 0:
            curve[str(int(k))] = float(c / n / base)
    return curve


def swap_power_law(counts: Mapping[int, tuple[float, float]], baseline: tuple[float, float], max_position: int) -> dict[str, float]:
    """theta_k = k^-eta, eta fitted by maximum likelihood to the swapped first ads' clicks (0 <= eta <= 3).

    One number from the randomized slice instead of one per position: far less variance when the
    slice is small (a few dozen first ads per position), at the price of assuming the curve's shape.
    """
    from scipy.optimize import minimize_scalar  # noqa: PLC0415

    if baseline[0] <= 0 or baseline[1] <= 0 or not counts:
        raise ValueError("the swap interventions need clicks at position 1 and some swapped first ads")

    def negative(eta: float) -> float:
        curve = {str(k): float(k) ** -eta for k in counts}
        return -swap_log_likelihood({"1": 1.0, **curve}, counts, baseline)

    eta = float(minimize_scalar(negative, bounds=(0.0, 3.0), method="bounded").x)
    return {str(k): float(k) ** -eta for k in range(1, int(max_position) + 1)}


def swap_log_likelihood(curve: Mapping[str, float], counts: Mapping[int, tuple[float, float]], baseline: tuple[float, float]) -> float:
    """Binomial log-likelihood of swapped first ads' clicks, clicks_k ~ Bin(n_k, r * theta_k), r = baseline CTR.

    Probabilities are clipped to [1e-6, 1 - 1e-6]; a position the curve lacks takes the last known before.
    """
    from job_reco.metrics import propensity_of_positions  # noqa: PLC0415

    shown, clicked = baseline
    if shown <= 0 or not counts:
        return float("nan")
    r = clicked / shown
    positions = np.array(sorted(int(k) for k in counts), dtype=np.int64)
    n = np.array([counts[k][0] for k in sorted(counts, key=int)], dtype=np.float64)
    c = np.array([counts[k][1] for k in sorted(counts, key=int)], dtype=np.float64)
    p = np.clip(r * propensity_of_positions(positions, curve), 1e-6, 1 - 1e-6)
    return float(np.sum(c * np.log(p) + (n - c) * np.log1p(-p)))


def pool(folds: Sequence[tuple[Mapping[int, tuple[float, float]], tuple[float, float]]]) -> tuple[dict, tuple[float, float]]:
    """Counts and baseline of several folds added up."""
    counts: dict[int, tuple[float, float]] = {}
    shown = clicked = 0.0
    for fold_counts, (n, c) in folds:
        shown, clicked = shown + n, clicked + c
        for k, (fn, fc) in fold_counts.items():
            counts[k] = (counts.get(k, (0.0, 0.0))[0] + fn, counts.get(k, (0.0, 0.0))[1] + fc)
    return counts, (shown, clicked)


def cross_fitted_log_likelihood(estimators: Mapping[str, Callable], folds: Sequence[tuple]) -> dict[str, float]:
    """Per estimator, the sum over folds of `fold_log_likelihoods`; NaN if it cannot be scored."""
    return fold_totals(fold_log_likelihoods(estimators, folds))


def fold_totals(per_fold: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Per estimator, the sum of its per-fold log-likelihoods; NaN where it has none."""
    return {name: float(sum(values)) if values else float("nan") for name, values in per_fold.items()}


def fold_log_likelihoods(estimators: Mapping[str, Callable], folds: Sequence[tuple]) -> dict[str, list[float]]:
    """Per estimator and fold, the log-likelihood of that fold's randomized clicks under the curve it
    estimates from the other folds (`estimator(counts, baseline) -> curve`; a curve that does not use
    the randomized slice, the click model's, is the same on every fold). Empty if it cannot be
    fitted on some fold's complement or there is no fold."""
    scores = {}
    for name, estimate in estimators.items():
        values = []
        for index, (counts, baseline) in enumerate(folds):
            rest = pool([fold for other, fold in enumerate(folds) if other != index])
            try:
                values.append(swap_log_likelihood(estimate(*rest), counts, baseline))
            except ValueError:
                values = []
                break
        scores[name] = values
    return scores


def choose_curve(
    scores: Mapping[str, float], default: str = "click_model", *, folds: Mapping[str, Sequence[float]] | None = None,
    simplest_first: Sequence[str] = (),
) -> str:
    """The estimator with the highest cross-fitted log-likelihood; `default` when none could be scored.

    With per-fold scores and an order from the simplest estimator, the one-standard-error rule: the
    simplest whose total is within one standard error of the best's (the error of the difference,
    from its spread over the folds), so a gain that the folds do not confirm does not buy complexity.
    """
    usable = {name: s for name, s in scores.items() if not math.isnan(s)}
    if not usable:
        return default
    best = max(sorted(usable), key=lambda name: usable[name])
    for name in (n for n in simplest_first if n in usable and folds and len(folds.get(n, ())) > 1):
        difference = np.asarray(folds[best], float) - np.asarray(folds[name], float)
        if usable[best] - usable[name] <= float(np.std(difference, ddof=1) * math.sqrt(len(difference))):
            return name
    return best


def curve_errors(learned: Mapping[str, float], true: Mapping[str, float]) -> dict[str, float]:
    """Relative error learned / true - 1 at each position both know (diagnostics on generated data)."""
    return {p: float(learned[p]) / float(true[p]) - 1.0 for p in sorted(set(learned) & set(true), key=int) if float(true[p]) > 0}
