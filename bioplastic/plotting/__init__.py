"""Figures from recorded arrays: rasters, traces, rates, ISIs, weights, learning curves.

Plotting takes arrays and never simulates: every function receives concrete NumPy or
JAX arrays (time in ms, recordings laid out ``(time, *neurons)``), draws on the Axes it
is given -- or on a new :class:`matplotlib.figure.Figure` when none is -- and returns
that Axes. Nothing here uses ``pyplot`` or changes matplotlib's global settings, so it
works in scripts, notebooks and threads under any backend; :func:`save_figure` writes
the result atomically. The pure computations behind the rate and ISI plots
(:func:`population_rate_hz`, :func:`interspike_intervals_ms`) are exported too.

- :func:`spike_raster` (``raster``): a dot per spike at (time of the step's end, neuron);
  :func:`spike_raster_populations` stacks populations, a colour and legend entry each.
- :func:`voltage_traces` (``traces``): a line per neuron -- voltages, rates, currents.
- :func:`population_rate` (``population``): the boxcar-smoothed population rate (Hz).
- :func:`isi_histogram` (``isi``): the histogram of inter-spike intervals (ms).
- :func:`weight_matrix` (``weights``): a (pre, post) image with a colour bar.
- :func:`learning_curves` (``curves``): a line per named curve, with a legend.
- :func:`new_axes`, :func:`bioplastic_style`, :data:`COLORS` (``style``): the shared look.

Example
-------
>>> import numpy as np
>>> from bioplastic import plotting
>>> spikes = np.zeros((200, 5))
>>> spikes[99, :] = 1.0
>>> from matplotlib.figure import Figure
>>> fig = Figure(figsize=(6.0, 4.0), layout="constrained")
>>> top, bottom = fig.subplots(2, 1, sharex=True)
>>> plotting.spike_raster(spikes, dt_ms=0.1, ax=top) is top
True
>>> plotting.population_rate(spikes, dt_ms=0.1, ax=bottom, window_ms=1.0) is bottom
True
>>> len(top.collections[0].get_offsets()), float(bottom.lines[0].get_ydata().max())
(5, 1000.0)
"""

from bioplastic.plotting.curves import learning_curves
from bioplastic.plotting.intervals import means_with_intervals, repeats_with_intervals
from bioplastic.plotting.isi import interspike_intervals_ms, isi_histogram
from bioplastic.plotting.population import population_rate, population_rate_hz
from bioplastic.plotting.raster import spike_raster, spike_raster_populations
from bioplastic.plotting.save import save_figure
from bioplastic.plotting.style import COLORS, STYLE, bioplastic_style, new_axes, population_color, population_kind
from bioplastic.plotting.traces import voltage_traces
from bioplastic.plotting.weights import weight_matrix

__all__ = [
    "means_with_intervals",
    "repeats_with_intervals",
    "spike_raster",
    "spike_raster_populations",
    "voltage_traces",
    "population_rate",
    "population_rate_hz",
    "isi_histogram",
    "interspike_intervals_ms",
    "weight_matrix",
    "learning_curves",
    "save_figure",
    "new_axes",
    "bioplastic_style",
    "population_color",
    "population_kind",
    "COLORS",
    "STYLE",
]
