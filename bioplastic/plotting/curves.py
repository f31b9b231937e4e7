"""Learning curves: one line per named curve (accuracy, loss, ...) against epoch or step.

A curve is either its values alone -- value ``k`` (counting from 0) is drawn at
``x = k + 1``, the epoch after which it was measured -- or an ``(x, y)`` pair of 1-D
arrays of equal length. NaN values are drawn as gaps (a skipped evaluation).

Example
-------
>>> from bioplastic.plotting import learning_curves
>>> ax = learning_curves({"dual propagation": [0.6, 0.8, 0.9],
...                       "backprop": ([0, 2, 4], [0.1, 0.85, 0.95])})
>>> [(line.get_label(), line.get_xdata().tolist()) for line in ax.lines]
[('dual propagation', [1.0, 2.0, 3.0]), ('backprop', [0.0, 2.0, 4.0])]
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping

import numpy as np
from matplotlib.ticker import MaxNLocator

from bioplastic._checks import BadInput
from bioplastic.plotting._arrays import as_numeric, describe
from bioplastic.plotting.style import STYLE, add_legend, label_axes, new_axes

MARKED_POINTS = 50   # a curve of at most this many points marks each (one epoch is one visible point)
_ALLOWED = "a 1-D array of values, or an (x, y) pair of 1-D arrays of equal length, with at least one value"


def learning_curves(curves, ax=None, xlabel="epoch", ylabel="accuracy", legend=True):
    """Draw one labelled line per curve, with a legend.

    Parameters
    ----------
    curves : mapping of str to array or (x, y) pair
        Curve name and its values (drawn at ``x = 1, 2, ...``) or its ``(x, y)``
        arrays.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.
    xlabel, ylabel : str
        Axis labels (with units where they have one).
    legend : bool
        Draw the legend.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on, with one new ``Line2D`` per curve, in the mapping's order,
        labelled with the curve's name.

    Raises
    ------
    BadInput
        No curve; a curve that is not 1-D numbers or an (x, y) pair of 1-D arrays of
        equal length; an empty curve.

    Example
    -------
    >>> from bioplastic.plotting import learning_curves
    >>> ax = learning_curves({"train": [2.3, 1.1, 0.7]}, ylabel="loss")
    >>> ax.lines[0].get_ydata().tolist(), ax.get_ylabel()
    ([2.3, 1.1, 0.7], 'loss')

    One epoch is one marked point, on an integer tick:

    >>> ax = learning_curves({"train": [0.9]})
    >>> ax.lines[0].get_marker(), [tick for tick in ax.get_xticks() if tick == int(tick)] == list(ax.get_xticks())
    ('o', True)
    """
    if not isinstance(curves, Mapping) or len(curves) == 0:
        allowed = "a mapping of curve name -> values, with at least one curve"
        raise BadInput("curves", reprlib.repr(curves), allowed)
    data = [(str(name), *_as_curve(values, f"curves[{name!r}]")) for name, values in curves.items()]
    _, ax = new_axes(ax)
    for name, x, y in data:
        ax.plot(x, y, label=name, linewidth=STYLE["lines.linewidth"], marker="o" if y.size <= MARKED_POINTS else None,
                markersize=4)
    xs = np.concatenate([x for _, x, _ in data])
    if np.all(xs == np.round(xs)):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))       # epochs and steps: no tick between two
        if xs.min() == xs.max():
            ax.set_xlim(xs.min() - 1, xs.max() + 1)                 # one epoch: room for ticks either side
    label_axes(ax, xlabel, ylabel)
    if legend:
        add_legend(ax)
    return ax


def _as_curve(values, where: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(values, (tuple, list)) and len(values) == 2 and all(np.ndim(part) == 1 for part in values):
        x = as_numeric(values[0], where, _ALLOWED).astype(np.float64)
        y = as_numeric(values[1], where, _ALLOWED).astype(np.float64)
        if x.size != y.size:
            raise BadInput(where, f"x of length {x.size} and y of length {y.size}", _ALLOWED)
    else:
        y = as_numeric(values, where, _ALLOWED).astype(np.float64)
        if y.ndim != 1:
            raise BadInput(where, describe(values, y), _ALLOWED)
        x = np.arange(1, y.size + 1, dtype=np.float64)
    if y.size == 0:
        raise BadInput(where, "an empty curve", _ALLOWED)
    return x, y
