"""Spike rasters: one dot per spike at (time of the step's end, neuron index).

A spike emitted by step ``n`` of a recording with step ``dt_ms`` is drawn at
``x = t0_ms + (n + 1) * dt_ms`` (ms), the time stamp :mod:`bioplastic.neurons` gives
it, and ``y`` = the neuron's flat index. :func:`spike_raster_populations` stacks several
populations, each in its colour (:func:`~bioplastic.plotting.style.population_color`),
with a legend.

Example
-------
>>> import numpy as np
>>> from bioplastic.plotting import spike_raster
>>> spikes = np.zeros((100, 3))
>>> spikes[9, 0] = spikes[49, 2] = 1.0
>>> ax = spike_raster(spikes, dt_ms=0.1)
>>> ax.collections[0].get_offsets().tolist()
[[1.0, 0.0], [5.0, 2.0]]
>>> ax.get_xlabel(), ax.get_ylabel()
('time (ms)', 'neuron (index)')
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping

import numpy as np

from bioplastic._checks import BadInput, check_dt
from bioplastic.analysis.spike_events import SpikeEvents
from bioplastic.plotting._arrays import as_events, as_time, select_neurons
from bioplastic.plotting.style import COLORS, STYLE, add_legend, label_axes, new_axes, population_color, population_kind


def _draw(ax, events: SpikeEvents, dt_ms: float, neurons: np.ndarray, t0_ms: float, color, label, y_offset: int):
    every_neuron = neurons.size == events.n_neurons and np.array_equal(neurons, np.arange(events.n_neurons))
    drawn = slice(None) if every_neuron else np.isin(events.neurons, neurons)
    x = events.times_ms(dt_ms, t0_ms)[drawn]
    y = (events.neurons[drawn] + y_offset).astype(np.float64)
    ax.scatter(
        x, y, s=STYLE["lines.markersize"] ** 2, marker="o", linewidths=0, color=color, label=label, rasterized=True
    )
    # Show the whole recorded span and every drawn neuron even where nothing spiked.
    t_end = t0_ms + events.n_steps * dt_ms
    ax.update_datalim([(t0_ms, y_offset + neurons.min() - 0.5), (t_end, y_offset + neurons.max() + 0.5)])
    ax.autoscale_view()


def spike_raster(spikes, dt_ms, ax=None, neurons=None, t0_ms=0.0, color=None, label=None):
    """Draw a spike raster of one population.

    Parameters
    ----------
    spikes : array of shape (time, *neurons), or SpikeEvents
        0/1 (or False/True) per step and neuron, neuron axes flattened in C order; or
        the same spikes as events (:class:`~bioplastic.analysis.spike_events.SpikeEvents`).
    dt_ms : float
        Time step of the recording (ms), > 0.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.
    neurons : sequence of int, optional
        Flat indices of the neurons to draw (each keeps its index as its ``y``); all
        when None.
    t0_ms : float
        Time (ms) at the start of the first step.
    color : matplotlib colour, optional
        Dot colour; ``COLORS["other"]`` when None.
    label : str, optional
        Legend entry; when given, a legend is drawn.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; the dots are its last ``PathCollection``, whose offsets are
        the ``(time in ms, neuron)`` pairs in step order.

    Raises
    ------
    BadInput
        ``spikes`` not a non-empty (time, neurons) array of 0/1, ``dt_ms`` not > 0,
        ``neurons`` outside the population, ``t0_ms`` not finite.

    Example
    -------
    >>> import numpy as np
    >>> from bioplastic.plotting import spike_raster
    >>> spikes = np.eye(4)
    >>> ax = spike_raster(spikes, dt_ms=1.0, neurons=[1, 3], t0_ms=100.0)
    >>> ax.collections[0].get_offsets().tolist()
    [[102.0, 1.0], [104.0, 3.0]]
    """
    events = as_events(spikes)
    dt_ms = check_dt(dt_ms)
    t0_ms = as_time(t0_ms)
    neurons = select_neurons(neurons, events.n_neurons)
    _, ax = new_axes(ax)
    _draw(ax, events, dt_ms, neurons, t0_ms, COLORS["other"] if color is None else color, label, 0)
    label_axes(ax, "time (ms)", "neuron (index)")
    if label is not None:
        add_legend(ax, markerscale=3.0, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def spike_raster_populations(populations, dt_ms, ax=None, t0_ms=0.0, colors=None):
    """Draw the rasters of several populations stacked, each in its colour, with a legend.

    The first population takes rows ``0 .. n_0 - 1``, the next the rows above them,
    and so on.

    Parameters
    ----------
    populations : mapping of str to array, or sequence of (str, array) pairs
        Population name and its spikes, shape (time, *neurons), 0/1, or as
        :class:`~bioplastic.analysis.spike_events.SpikeEvents`; all with the same number of steps.
    dt_ms : float
        Time step of the recordings (ms), > 0.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.
    t0_ms : float
        Time (ms) at the start of the first step.
    colors : mapping of str to colour, optional
        Colour per population name; those not given follow
        :func:`~bioplastic.plotting.style.population_color`.

    Returns
    -------
    matplotlib.axes.Axes
        One ``PathCollection`` per population, in order, labelled with its name.

    Raises
    ------
    BadInput
        No population, a population whose spikes are not a (time, neurons) 0/1 array,
        populations with different numbers of steps, ``dt_ms`` not > 0.

    Example
    -------
    >>> import numpy as np
    >>> from bioplastic.plotting import spike_raster_populations
    >>> e, i = np.zeros((10, 4)), np.zeros((10, 2))
    >>> e[0, 3] = i[4, 1] = 1.0
    >>> ax = spike_raster_populations({"E": e, "I": i}, dt_ms=0.5)
    >>> [c.get_offsets().tolist() for c in ax.collections]
    [[[0.5, 3.0]], [[2.5, 5.0]]]
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['E', 'I']
    """
    pairs = _as_pairs(populations)
    dt_ms = check_dt(dt_ms)
    t0_ms = as_time(t0_ms)
    colors = {} if colors is None else dict(colors)
    arrays = [(str(name), as_events(spikes, f"populations[{name!r}]")) for name, spikes in pairs]
    first_name, first = arrays[0]
    for name, spikes in arrays[1:]:
        if spikes.n_steps != first.n_steps:
            raise BadInput(f"populations[{name!r}]",
                           f"{spikes.n_steps} time steps",
                           f"the same number as populations[{first_name!r}] ({first.n_steps})")
    _, ax = new_axes(ax)
    offset, others = 0, 0
    for name, spikes in arrays:
        color = colors.get(name, population_color(name, others))
        others += population_kind(name) == "other"
        _draw(ax, spikes, dt_ms, np.arange(spikes.n_neurons), t0_ms, color, name, offset)
        offset += spikes.n_neurons
    label_axes(ax, "time (ms)", "neuron (index)")
    add_legend(ax, markerscale=3.0, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def _as_pairs(populations) -> list:
    allowed = "a mapping of population name -> spikes, or (name, spikes) pairs, with at least one population"
    if isinstance(populations, Mapping):
        pairs = list(populations.items())
    else:
        try:
            pairs = [(name, spikes) for name, spikes in populations]
        except (TypeError, ValueError):
            raise BadInput("populations", reprlib.repr(populations), allowed) from None
    if not pairs:
        raise BadInput("populations", reprlib.repr(populations), allowed)
    return pairs
