"""A sweep's aggregate: every scalar metric per grid point, as mean, standard deviation, n and a 95% interval.

The interval is t-based over the seeds of a grid point
(:func:`bioplastic.analysis.intervals.mean_interval`); with one seed the standard deviation
and the interval are left empty. ``summary.csv`` has one row per
grid point and metric; ``summary.json`` the same rows and how they were computed.

Example
-------
>>> rows = summarize([({"lr": "0.1"}, {"accuracy": 0.90}), ({"lr": "0.1"}, {"accuracy": 0.92}),
...                   ({"lr": "0.1"}, {"accuracy": 0.94})])
>>> row = rows[0]
>>> row["lr"], row["metric"], row["n"], round(row["mean"], 3), round(row["sd"], 3), round(row["ci_high"] - row["mean"], 4)
('0.1', 'accuracy', 3, 0.92, 0.02, 0.0497)
"""

from __future__ import annotations

import csv
import io

import numpy as np

from bioplastic.analysis.intervals import INTERVAL, mean_interval


def scalar_metrics(metrics: dict) -> dict:
    """The numeric scalars of a run's ``metrics.json`` (booleans and None left out).

    Example
    -------
    >>> scalar_metrics({"a": 1, "b": 2.5, "c": True, "d": None, "e": [1]})
    {'a': 1.0, 'b': 2.5}
    """
    return {name: float(value) for name, value in metrics.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)}


def summarize(points) -> list[dict]:
    """One row per grid point and metric, from ``(settings, metrics)`` of every finished point.

    ``settings`` maps each swept key to its value text; points with equal settings are
    seeds of one grid point. Rows keep the order the grid points and metrics first appear in.
    """
    groups: dict = {}
    for settings, metrics in points:
        key = tuple(sorted(settings.items()))
        group = groups.setdefault(key, (settings, {}))
        for name, value in scalar_metrics(metrics).items():
            group[1].setdefault(name, []).append(value)
    rows = []
    for settings, metrics in groups.values():
        for name, values in metrics.items():
            rows.append({**settings, "metric": name, **mean_interval(values)})
    return rows


def to_csv(rows: list[dict], keys: list[str]) -> str:
    """The rows as CSV: the swept keys, then ``metric, n, mean, sd, ci_low, ci_high`` (empty: undefined).

    Example
    -------
    >>> print(to_csv([{"lr": "0.1", "metric": "a", "n": 1, "mean": 2.0, "sd": None, "ci_low": None,
    ...                "ci_high": None}], ["lr"]), end="")
    lr,metric,n,mean,sd,ci_low,ci_high
    0.1,a,1,2.0,,,
    """
    columns = list(keys) + ["metric", "n", "mean", "sd", "ci_low", "ci_high"]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: "" if row.get(column) is None else row[column] for column in columns})
    return out.getvalue()


def summarize_curves(points) -> list[dict]:
    """Per grid point and curve, the statistics at every position, from ``(settings, curves)`` of each point.

    ``curves`` maps a name to a 1-D array (a run's ``curves.npz``). A curve whose length
    differs between the seeds of a grid point is summarized over its common first part.

    Example
    -------
    >>> rows = summarize_curves([({}, {"accuracy": [0.5, 0.7]}), ({}, {"accuracy": [0.6, 0.9]})])
    >>> rows[0]["curve"], rows[0]["n"], [round(m, 2) for m in rows[0]["mean"]], rows[0]["sd"][0] is not None
    ('accuracy', 2, [0.55, 0.8], True)
    """
    groups: dict = {}
    for settings, curves in points:
        group = groups.setdefault(tuple(sorted(settings.items())), (settings, {}))
        for name, values in curves.items():
            values = np.asarray(values, np.float64)
            if values.ndim == 1 and values.size:
                group[1].setdefault(name, []).append(values)
    rows = []
    for settings, curves in groups.values():
        for name, runs in curves.items():
            length = min(len(run) for run in runs)
            columns = [mean_interval([run[k] for run in runs]) for k in range(length)]
            rows.append({**settings, "curve": name, "n": len(runs),
                         **{field: [column[field] for column in columns] for field in ("mean", "sd", "ci_low", "ci_high")}})
    return rows
