"""Statistics shared by the metric modules: z values, Holm's correction, clustered SEs.

Private: the metric modules (:mod:`cslib.nps`, :mod:`cslib.adoption`) call these;
the public results carry what they computed.

- :func:`z_value`: the two-sided normal quantile of a confidence level.
- :func:`holm`: Holm's step-down adjustment of p-values for a family of
  comparisons (Holm 1979).
- :func:`cluster_sandwich`: the cluster-robust ("sandwich") covariance of an
  M-estimator from its per-row scores and its bread, with the small-sample
  factor of Stata and statsmodels.
- :func:`ols_cluster`: OLS with standard errors clustered by group, checked
  against Petersen's published figures in the tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["cluster_sandwich", "holm", "ols_cluster", "z_value"]


def z_value(confidence: float) -> float:
    """The normal quantile of a two-sided interval at ``confidence``.

    Examples
    --------
    >>> round(z_value(0.95), 4)
    1.96
    """
    return float(stats.norm.ppf(0.5 + confidence / 2))


def holm(p_values, n_comparisons: int | None = None) -> np.ndarray:
    """Holm's step-down adjusted p-values.

    With the ``k`` p-values sorted, ``p_(1) <= ... <= p_(k)``, and ``m``
    comparisons in the family, the adjusted value of ``p_(i)`` is
    ``max over j <= i of min(1, (m - j + 1) p_(j))``; a comparison is
    significant at level ``alpha`` when its adjusted p-value is below
    ``alpha``. That keeps the chance of any false "significant" in the family
    at most ``alpha``.

    Parameters
    ----------
    p_values : array-like
        The p-values; NaN ones (no test possible) stay NaN and do not count
        towards ``m`` unless ``n_comparisons`` says so.
    n_comparisons : int, optional
        ``m``, the number of comparisons in the family, when only part of it
        is given here (the groups of one table among several on a page).
        The given p-values are then ranked first, as if they were the
        family's smallest: their adjusted values are at least those of
        Holm's correction over the whole family (never less strict).
        Default: the number of non-NaN ``p_values``.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, in the order given.

    Raises
    ------
    ValueError
        ``n_comparisons`` is smaller than the number of p-values given.

    Examples
    --------
    Three comparisons: 0.01 * 3 = 0.03, 0.02 * 2 = 0.04, 0.04 * 1 = 0.04.

    >>> holm([0.04, 0.01, 0.02]).round(3).tolist()
    [0.04, 0.03, 0.04]
    """
    p = np.asarray(p_values, dtype="float64").ravel()
    ok = np.isfinite(p)
    k = int(ok.sum())
    m = k if n_comparisons is None else int(n_comparisons)
    if m < k:
        raise ValueError(f"n_comparisons={n_comparisons!r} is smaller than the {k} p-values "
                         "given; pass the number of comparisons in the whole family.")
    out = np.full(p.shape, np.nan)
    if k == 0:
        return out
    idx = np.flatnonzero(ok)
    order = idx[np.argsort(p[idx], kind="stable")]
    factors = m - np.arange(k)
    adjusted = np.minimum(1.0, np.maximum.accumulate(factors * p[order]))
    out[order] = adjusted
    return out


def _group_codes(groups) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(pd.Series(groups).reset_index(drop=True), sort=False)
    if (codes < 0).any():
        raise ValueError("cluster_sandwich: the cluster column has missing values; drop "
                         "those rows or give them a cluster.")
    return codes, len(uniques)


def cluster_sandwich(scores, bread, groups, *, correction: str = "ml") -> tuple[np.ndarray, int]:
    """The cluster-robust covariance ``c * B M B`` of an estimator.

    ``M = sum over clusters g of s_g s_g'``, with ``s_g`` the sum of the
    score rows of cluster ``g`` (the score of row ``i`` is the derivative of
    its objective term: ``x_i e_i`` for OLS, ``x_i (y_i - p_i)`` for a
    logit), and ``B`` the bread, the inverse of the (negative) Hessian of
    the whole objective (``(X'X)^-1`` for OLS, ``(X' W X)^-1`` for a logit).

    Parameters
    ----------
    scores : array (n, k)
        Per-row scores at the estimate.
    bread : array (k, k)
        Inverse Hessian.
    groups : array-like (n,)
        Cluster of each row (any hashable values, no missing ones).
    correction : {"ml", "ols", "none"}, default "ml"
        Small-sample factor ``c``: ``"ml"`` is ``G / (G - 1)`` (Stata's
        ``logit, vce(cluster)``); ``"ols"`` is ``G / (G - 1) * (N - 1) / (N - K)``
        (Stata's ``regress, vce(cluster)`` and statsmodels' OLS
        ``cov_type="cluster"``); ``"none"`` is 1.

    Returns
    -------
    (numpy.ndarray, int)
        The covariance (k, k) and ``G``, the number of clusters.

    Raises
    ------
    ValueError
        Fewer than two clusters, a missing cluster, or shapes that do not match.

    Examples
    --------
    Two clusters of one row each and one parameter: ``M = 1^2 + 2^2 = 5``,
    ``c = 2 / 1``, so the variance is ``2 * 1 * 5 * 1 = 10``.

    >>> cov, g = cluster_sandwich([[1.0], [2.0]], [[1.0]], ["a", "b"])
    >>> float(cov[0, 0]), g
    (10.0, 2)
    """
    s = np.asarray(scores, dtype="float64")
    if s.ndim == 1:
        s = s[:, None]
    b = np.atleast_2d(np.asarray(bread, dtype="float64"))
    n, k = s.shape
    if b.shape != (k, k):
        raise ValueError(f"cluster_sandwich: bread of shape {b.shape} does not match "
                         f"{k} score columns.")
    codes, g = _group_codes(groups)
    if len(codes) != n:
        raise ValueError(f"cluster_sandwich: {len(codes)} cluster labels for {n} score rows.")
    if g < 2:
        raise ValueError(f"cluster_sandwich: {g} cluster(s); clustered standard errors need "
                         "at least two (and are reliable with a few dozen).")
    sums = np.zeros((g, k))
    np.add.at(sums, codes, s)
    meat = sums.T @ sums
    if correction == "ml":
        c = g / (g - 1)
    elif correction == "ols":
        c = g / (g - 1) * (n - 1) / (n - k)
    elif correction == "none":
        c = 1.0
    else:
        raise ValueError(f"cluster_sandwich: correction={correction!r} must be 'ml', 'ols' "
                         "or 'none'.")
    return c * b @ meat @ b, g


def ols_cluster(y, x, groups) -> dict[str, np.ndarray | int]:
    """Ordinary least squares with standard errors clustered by ``groups``.

    Parameters
    ----------
    y : array (n,)
        Outcome.
    x : array (n, k)
        Design matrix (include a column of ones for an intercept).
    groups : array-like (n,)
        Cluster of each row.

    Returns
    -------
    dict
        ``params`` (k,), ``cov`` (k, k, with the ``"ols"`` correction of
        :func:`cluster_sandwich`), ``se`` (k,) and ``n_clusters``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> fit = ols_cluster(np.array([1.0, 3.0, 5.0, 7.0]), x, ["a", "a", "b", "b"])
    >>> fit["params"].round(6).tolist(), fit["n_clusters"]
    ([1.0, 2.0], 2)
    """
    y = np.asarray(y, dtype="float64").ravel()
    x = np.asarray(x, dtype="float64")
    bread = np.linalg.inv(x.T @ x)
    params = bread @ x.T @ y
    resid = y - x @ params
    cov, g = cluster_sandwich(x * resid[:, None], bread, groups, correction="ols")
    return {"params": params, "cov": cov, "se": np.sqrt(np.diag(cov)), "n_clusters": g}
