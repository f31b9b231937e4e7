"""Inter-spike intervals: the times between consecutive spikes of each neuron, pooled.

A neuron spiking at steps ``n_1 < n_2 < ... < n_k`` contributes the ``k - 1``
intervals ``(n_{j+1} - n_j) * dt_ms`` (ms); neurons with fewer than two spikes
contribute none. Intervals never span two neurons.

Example
-------
>>> import numpy as np
>>> from bioplastic.plotting import interspike_intervals_ms
>>> spikes = np.zeros((10, 2))
>>> spikes[[1, 4, 9], 0] = 1.0
>>> spikes[[2, 3], 1] = 1.0
>>> interspike_intervals_ms(spikes, dt_ms=0.5).tolist()
[1.5, 2.5, 0.5]
"""

from __future__ import annotations

import reprlib

import numpy as np

from bioplastic._checks import BadInput, check_dt, check_size
from bioplastic.plotting._arrays import as_events
from bioplastic.plotting.style import COLORS, label_axes, new_axes


def interspike_intervals_ms(spikes, dt_ms):
    """Return every inter-spike interval (ms), pooled over neurons.

    Parameters
    ----------
    spikes : array of shape (time, *neurons), or SpikeEvents
        0/1 (or False/True) per step and neuron, neuron axes flattened in C order; or
        the same spikes as events.
    dt_ms : float
        Time step of the recording (ms), > 0.

    Returns
    -------
    float64 array (n_intervals,)
        Neuron 0's intervals in time order, then neuron 1's, and so on; empty when no
        neuron spiked twice.

    Raises
    ------
    BadInput
        ``spikes`` not a non-empty (time, neurons) 0/1 array, ``dt_ms`` not > 0.

    Example
    -------
    >>> import numpy as np
    >>> from bioplastic.plotting import interspike_intervals_ms
    >>> interspike_intervals_ms(np.zeros((5, 3)), dt_ms=0.1).shape
    (0,)
    """
    events = as_events(spikes)
    dt_ms = check_dt(dt_ms)
    order = np.lexsort((events.steps, events.neurons))  # by neuron, then by step
    neuron, step = events.neurons[order], events.steps[order]
    same_neuron = np.diff(neuron) == 0
    return np.diff(step)[same_neuron].astype(np.float64) * dt_ms


def isi_histogram(spikes, dt_ms, ax=None, bins=50, color=None):
    """Draw the histogram of the pooled inter-spike intervals (ms).

    Parameters
    ----------
    spikes : array of shape (time, *neurons)
        0/1 (or False/True) per step and neuron.
    dt_ms : float
        Time step of the recording (ms), > 0.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.
    bins : int or sequence of float
        Number of equal bins (>= 1), or the bin edges in ms (at least two, increasing).
    color : matplotlib colour, optional
        Bar colour; ``COLORS["other"]`` when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; one bar ``Rectangle`` per bin in ``ax.patches``, its height
        the number of intervals in the bin. With no interval at all the Axes says so
        in a text and draws empty bins.

    Raises
    ------
    BadInput
        As :func:`interspike_intervals_ms`, and ``bins`` neither a whole number >= 1
        nor increasing finite edges.

    Example
    -------
    >>> import numpy as np
    >>> from bioplastic.plotting import isi_histogram
    >>> spikes = np.zeros((100, 1))
    >>> spikes[9::10] = 1.0                  # every 10 steps of 1 ms
    >>> ax = isi_histogram(spikes, dt_ms=1.0, bins=[0.0, 5.0, 15.0])
    >>> [float(bar.get_height()) for bar in ax.patches]
    [0.0, 9.0]
    """
    intervals = interspike_intervals_ms(spikes, dt_ms)
    bins = _check_bins(bins)
    _, ax = new_axes(ax)
    ax.hist(intervals, bins=bins, color=COLORS["other"] if color is None else color)
    if intervals.size == 0:
        ax.text(0.5, 0.5, "no neuron spiked twice", transform=ax.transAxes, ha="center", va="center")
    label_axes(ax, "inter-spike interval (ms)", "intervals (count)")
    return ax


def _check_bins(bins):
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        return check_size(bins, "bins")
    allowed = "a whole number >= 1, or at least two increasing finite bin edges (ms)"
    try:
        edges = np.asarray(bins, dtype=np.float64)
    except (TypeError, ValueError):
        raise BadInput("bins", reprlib.repr(bins), allowed) from None
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
        raise BadInput("bins", reprlib.repr(bins), allowed)
    return edges
