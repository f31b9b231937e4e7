"""Means with their intervals: against a parameter (a line and a band per group), or over repeats (dots and a bar).

Each group is drawn as its means joined by a line, with a shaded band from the low to the
high end of each interval (a group of one point: a bar); a point without an interval (one
seed) has no band there.
Numeric x values are placed as numbers; text values side by side in the order given.

Example
-------
>>> from bioplastic.plotting import means_with_intervals
>>> ax = means_with_intervals({"exc": ([0.1, 0.2], [5.0, 7.0], [4.0, 6.5], [6.0, 7.5])}, xlabel="p")
>>> ax.lines[0].get_ydata().tolist(), len(ax.collections)
([5.0, 7.0], 1)
"""

from __future__ import annotations

import numpy as np

from bioplastic._checks import BadInput
from bioplastic.analysis.intervals import mean_interval
from bioplastic.plotting.style import COLORS, OTHER_COLORS, add_legend, label_axes, new_axes


def _positions(values) -> tuple[np.ndarray, list]:
    """Numbers where every value is one, else positions 0, 1, ... with the values as tick labels."""
    try:
        return np.array([float(v) for v in values]), []
    except (TypeError, ValueError):
        return np.arange(len(values), dtype=np.float64), [str(v) for v in values]


def means_with_intervals(groups, ax=None, xlabel="", ylabel="", legend=True):
    """Draw each group's means against x, with its intervals as a band.

    Parameters
    ----------
    groups : mapping of str to (x, mean, low, high)
        Per group, equal-length sequences: the x values (numbers, or text), the means, and
        the interval's ends (None or NaN where there is none).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.
    xlabel, ylabel : str
        Axis labels.
    legend : bool
        Draw a legend (when there is more than one group or a group has a name).

    Returns
    -------
    matplotlib.axes.Axes
        One ``Line2D`` per group (x: positions, y: means) and one band per group with an interval.

    Raises
    ------
    BadInput
        No group, or a group whose four sequences differ in length.
    """
    if not groups:
        raise BadInput("groups", "nothing", "at least one group of (x, mean, low, high)")
    _, ax = new_axes(ax)
    palette = OTHER_COLORS + (COLORS["excitatory"], COLORS["inhibitory"])
    labels = []
    for index, (name, (x, mean, low, high)) in enumerate(groups.items()):
        if not len(x) == len(mean) == len(low) == len(high) or not len(x):
            raise BadInput(f"groups[{name!r}]", f"lengths {len(x)}, {len(mean)}, {len(low)}, {len(high)}",
                           "x, mean, low and high of one equal, non-zero length")
        positions, labels = _positions(x)
        order = np.argsort(positions, kind="stable") if not labels else np.arange(len(positions))
        as_float = lambda values: np.array([np.nan if v is None else float(v) for v in values])[order]  # noqa: E731
        color = palette[index % len(palette)]
        ax.plot(positions[order], as_float(mean), marker="o", color=color, label=name or None)
        lower, upper = as_float(low), as_float(high)
        if len(positions) == 1 and np.isfinite(lower[0]):          # one point: its interval as a bar
            ax.vlines(positions, lower, upper, color=color, linewidth=2.0)
        elif np.any(np.isfinite(lower)):
            ax.fill_between(positions[order], lower, upper, color=color, alpha=0.25, linewidth=0)
    if labels:
        ax.set_xticks(np.arange(len(labels)), labels)
    label_axes(ax, xlabel, ylabel)
    if legend and (len(groups) > 1 or any(groups)):
        add_legend(ax)
    return ax


def repeats_with_intervals(groups, ax=None, ylabel="", scale=1.0, colors=None):
    """Draw each group's repeated values (seeds) as dots, with their mean and t-based 95% interval.

    Parameters
    ----------
    groups : mapping of str to sequence of float
        Per group (a method, a rule), one value per seed.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.
    ylabel : str
        Label of the values' axis.
    scale : float
        Factor applied to every value (100: fractions shown as percent).
    colors : mapping of str to color, optional
        A group's dot colour (so that a method keeps its colour across panels that show
        different groups); groups not named take the palette's colour of their position.

    Returns
    -------
    matplotlib.axes.Axes
        The groups side by side in the order given: one ``Line2D`` of dots per group, then
        one horizontal mean line and one interval bar per group with at least two values.

    Example
    -------
    >>> ax = repeats_with_intervals({"BP": [0.97, 0.98, 0.975], "FA": [0.93]}, scale=100, colors={"FA": "red"})
    >>> ax.lines[0].get_ydata().tolist(), [tick.get_text() for tick in ax.get_xticklabels()]
    ([97.0, 98.0, 97.5], ['BP\\nn = 3', 'FA\\nn = 1'])
    >>> ax.lines[1].get_color()
    'red'
    """
    if not groups:
        raise BadInput("groups", "nothing", "at least one group of values")
    _, ax = new_axes(ax)
    palette = OTHER_COLORS + (COLORS["excitatory"], COLORS["inhibitory"])
    summaries = []
    for index, (name, values) in enumerate(groups.items()):
        values = np.asarray(values, np.float64) * scale
        if not values.size:
            raise BadInput(f"groups[{name!r}]", "no values", "at least one value")
        offsets = np.linspace(-0.12, 0.12, values.size) if values.size > 1 else np.zeros(1)
        color = (colors or {}).get(name, palette[index % len(palette)])
        ax.plot(index + offsets, values, "o", color=color, alpha=0.8, markersize=5)
        summaries.append(mean_interval(values))
    for index, summary in enumerate(summaries):
        if summary["ci_low"] is not None:
            ax.hlines(summary["mean"], index - 0.25, index + 0.25, color="black", linewidth=1.5)
            ax.vlines(index + 0.3, summary["ci_low"], summary["ci_high"], color="black", linewidth=1.5)
    ax.set_xticks(np.arange(len(groups)), [f"{name}\nn = {s['n']}" for name, s in zip(groups, summaries)])
    ax.set_xlim(-0.6, len(groups) - 0.4)
    label_axes(ax, "", ylabel)
    return ax
