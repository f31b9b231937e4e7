"""A sweep's figures: each metric's mean and 95% interval against each swept key; each curve with its band.

``summary_METRIC.png`` has one panel per swept key with more than one value, its values on
x and a line (with its band) per combination of the other such keys; a sweep over seeds
alone shows the metric as one point with its interval. Axes are labelled with their units,
read from the key names (:func:`~bioplastic.plotting.names.quantity_label`: ``mean_rate_hz_exc``
-> ``mean rate, excitatory population (Hz)``).

Example
-------
>>> import pathlib, tempfile
>>> rows = [{"lr": "0.1", "metric": "accuracy", "n": 3, "mean": 0.9, "sd": 0.01, "ci_low": 0.88, "ci_high": 0.92},
...         {"lr": "0.2", "metric": "accuracy", "n": 3, "mean": 0.8, "sd": 0.02, "ci_low": 0.75, "ci_high": 0.85}]
>>> [path.name for path in draw_summary(pathlib.Path(tempfile.mkdtemp()), rows, ["lr"])]
['summary_accuracy.png']
"""

from __future__ import annotations

import re

from matplotlib.figure import Figure

from bioplastic.plotting import means_with_intervals, save_figure
from bioplastic.plotting.names import quantity_label, readable_name
from bioplastic.plotting.style import bioplastic_style


def _varied(rows: list[dict], swept: list[str]) -> list[str]:
    """The swept keys that take more than one value among ``rows`` (the others label nothing)."""
    return [key for key in swept if len({str(row[key]) for row in rows}) > 1]


def draw_summary(sweep_dir, rows: list[dict], swept: list[str]) -> list:
    """Write ``summary_METRIC.png`` for every metric of the summary ``rows``; return their paths."""
    written = []
    varied = _varied(rows, swept)
    keys = varied or [None]
    with bioplastic_style():
        for metric in dict.fromkeys(row["metric"] for row in rows):
            mine = [row for row in rows if row["metric"] == metric]
            fig = Figure(figsize=(4.8 * len(keys), 3.6), layout="constrained")
            for ax, key in zip(fig.subplots(1, len(keys), squeeze=False)[0], keys):
                groups: dict = {}
                for row in mine:
                    others = ", ".join(f"{k} = {row[k]}" for k in varied if k != key)
                    x, mean, low, high = groups.setdefault(others, ([], [], [], []))
                    x.append(row[key] if key else readable_name(metric))
                    mean.append(row["mean"])
                    low.append(row["ci_low"])
                    high.append(row["ci_high"])
                xlabel = quantity_label(key, fallback="as in the protocol") if key else ""
                means_with_intervals(groups, ax=ax, xlabel=xlabel, ylabel=quantity_label(metric),
                                     legend=len(groups) > 1)
            counts = sorted({row["n"] for row in mine})
            n = str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
            fig.suptitle(f"{readable_name(metric)}: mean and 95% interval over seeds (n = {n})", fontsize="medium")
            written.append(save_figure(fig, sweep_dir / f"summary_{re.sub(r'[^A-Za-z0-9_.-]+', '_', metric)}.png"))
    return written


def draw_curves(sweep_dir, rows: list[dict], swept: list[str]) -> list:
    """Write ``curves_CURVE.png`` for every curve of :func:`~bioplastic.sweeps.summary.summarize_curves`: a line
    and a band per grid point against the position (epoch) from 1; return their paths.

    Example
    -------
    >>> import pathlib, tempfile
    >>> rows = [{"lr": "0.1", "curve": "test_accuracy", "n": 2, "mean": [0.5, 0.8], "sd": [0.1, 0.1],
    ...          "ci_low": [0.4, 0.7], "ci_high": [0.6, 0.9]}]
    >>> [path.name for path in draw_curves(pathlib.Path(tempfile.mkdtemp()), rows, ["lr"])]
    ['curves_test_accuracy.png']
    """
    written = []
    varied = _varied(rows, swept)
    with bioplastic_style():
        for curve in dict.fromkeys(row["curve"] for row in rows):
            fig = Figure(figsize=(6.4, 4.0), layout="constrained")
            ax = fig.subplots()
            groups = {", ".join(f"{k} = {row[k]}" for k in varied): (list(range(1, len(row["mean"]) + 1)), row["mean"],
                                                                       row["ci_low"], row["ci_high"])
                      for row in rows if row["curve"] == curve}
            means_with_intervals(groups, ax=ax, xlabel="epoch (number)", ylabel=quantity_label(curve),
                                 legend=any(groups))
            counts = sorted({row["n"] for row in rows if row["curve"] == curve})
            ax.set_title(f"{readable_name(curve)}: mean and 95% interval over seeds (n = {counts[0]}"
                         f"{'' if len(counts) == 1 else f'-{counts[-1]}'})", fontsize="medium")
            written.append(save_figure(fig, sweep_dir / f"curves_{re.sub(r'[^A-Za-z0-9_.-]+', '_', curve)}.png"))
    return written
