"""The mean of repeated measurements (seeds) with its t-based 95% confidence interval.

``mean +- t(0.975, n - 1) * sd / sqrt(n)``: Student's t, two-sided, the repeats taken as
independent draws, ``sd`` with ``n - 1``. With one value (or a non-finite one) the standard
deviation and the interval are undefined (None).

Example
-------
>>> s = mean_interval([0.90, 0.92, 0.94])
>>> s["n"], round(s["mean"], 3), round(s["sd"], 3), round(s["ci_high"] - s["mean"], 4)
(3, 0.92, 0.02, 0.0497)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

INTERVAL = "95% t-based interval over seeds: mean +- t(0.975, n - 1) * sd / sqrt(n), sd with n - 1"


def mean_interval(values) -> dict:
    """``n``, ``mean``, ``sd`` and the t-based 95% interval (``ci_low``, ``ci_high``) of ``values``.

    Example
    -------
    >>> mean_interval([1.0])
    {'n': 1, 'mean': 1.0, 'sd': None, 'ci_low': None, 'ci_high': None}
    >>> s = mean_interval([1.0, 3.0])       # mean 2, sd sqrt(2), t(0.975, 1) = 12.7062: 2 +- 12.7062 sqrt(2) / sqrt(2)
    >>> round(s["ci_low"], 3), round(s["ci_high"], 3)
    (-10.706, 14.706)
    """
    values = np.asarray(values, np.float64)
    n = int(values.size)
    mean = float(values.mean())
    if n < 2 or not np.all(np.isfinite(values)):
        return {"n": n, "mean": mean, "sd": None, "ci_low": None, "ci_high": None}
    sd = float(values.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def as_text(values, scale: float = 1.0, digits: int = 2) -> str:
    """``mean +- half-width (n = N)`` of ``values`` times ``scale``, as a headline states it.

    Example
    -------
    >>> as_text([0.90, 0.92, 0.94], scale=100)
    '92.00 +- 4.97 (n = 3)'
    >>> as_text([0.5], scale=100)
    '50.00 (n = 1)'
    """
    s = mean_interval(np.asarray(values, np.float64) * scale)
    half = "" if s["ci_high"] is None else f" +- {s['ci_high'] - s['mean']:.{digits}f}"
    return f"{s['mean']:.{digits}f}{half} (n = {s['n']})"
