"""Population firing rate: spikes per neuron per second, smoothed with a boxcar window.

For a recording of ``N`` neurons with step ``dt`` (ms), step ``n`` holds ``c_n`` spikes
in all. The rate at step ``n`` averages over a window of ``w = max(1, round(window_ms /
dt))`` steps centred on it, ``[n - w // 2, n - w // 2 + w)``, cut at the ends of the
recording::

    rate_n = 1000 * sum_{k in window} c_k / (N * dt * (number of steps in the window))   [Hz]

Cutting (instead of padding with zeros) keeps the ends unbiased: a neuron firing
regularly at 50 Hz reads 50 Hz on average everywhere, and with ``w = 1`` the rate
integrates back to the spike count exactly (``sum(rate) * dt / 1000 * N = total``).
Each value is stamped with its step's end, ``t0_ms + (n + 1) * dt``.

Example
-------
>>> import numpy as np
>>> from bioplastic.plotting import population_rate_hz
>>> spikes = np.zeros((1000, 2))
>>> spikes[199::200] = 1.0                 # both neurons every 20 ms (dt = 0.1 ms): 50 Hz
>>> t, rate = population_rate_hz(spikes, dt_ms=0.1, window_ms=20.0)
>>> float(rate[100:900].min()), float(rate[100:900].max())
(50.0, 50.0)
"""

from __future__ import annotations

import math

import numpy as np

from bioplastic._checks import check_dt
from bioplastic.plotting._arrays import as_events, as_positive, as_time, step_times_ms
from bioplastic.plotting.style import COLORS, STYLE, add_legend, label_axes, new_axes


def population_rate_hz(spikes, dt_ms, window_ms=5.0, t0_ms=0.0):
    """Return ``(t_ms, rate_hz)``: the smoothed population rate at each step's end.

    Parameters
    ----------
    spikes : array of shape (time, *neurons), or SpikeEvents
        0/1 (or False/True) per step and neuron, or the same spikes as events.
    dt_ms : float
        Time step of the recording (ms), > 0.
    window_ms : float
        Width of the centred boxcar (ms), > 0; rounded to a whole number of steps, at
        least one (one step: no smoothing).
    t0_ms : float
        Time (ms) at the start of the first step.

    Returns
    -------
    t_ms : float64 array (time,)
        ``t0_ms + (n + 1) * dt_ms``.
    rate_hz : float64 array (time,)
        Spikes per neuron per second (Hz), see the module notes.

    Raises
    ------
    BadInput
        ``spikes`` not a non-empty (time, neurons) 0/1 array, ``dt_ms`` or
        ``window_ms`` not > 0, ``t0_ms`` not finite.

    Example
    -------
    >>> import numpy as np
    >>> from bioplastic.plotting import population_rate_hz
    >>> spikes = np.array([[1, 0], [0, 0], [1, 1], [0, 0]])
    >>> t, rate = population_rate_hz(spikes, dt_ms=1.0, window_ms=1.0)
    >>> t.tolist(), rate.tolist()
    ([1.0, 2.0, 3.0, 4.0], [500.0, 0.0, 1000.0, 0.0])
    """
    events = as_events(spikes)
    dt_ms = check_dt(dt_ms)
    window_ms = as_positive(window_ms, "window_ms", "ms")
    t0_ms = as_time(t0_ms)
    n_steps, n_neurons = events.n_steps, events.n_neurons
    width = window_steps(window_ms, dt_ms)
    cumulative = np.concatenate([[0.0], np.cumsum(events.counts_per_step())])
    start = np.arange(n_steps) - width // 2
    lo, hi = np.clip(start, 0, n_steps), np.clip(start + width, 0, n_steps)
    rate_hz = 1000.0 * (cumulative[hi] - cumulative[lo]) / (n_neurons * dt_ms * (hi - lo))
    return step_times_ms(n_steps, dt_ms, t0_ms), rate_hz


def window_steps(window_ms: float, dt_ms: float) -> int:
    """Steps of the boxcar: ``window_ms / dt_ms`` rounded half up, at least one.

    Example
    -------
    >>> window_steps(5.0, 0.1), window_steps(0.01, 0.1), window_steps(0.25, 0.1)
    (50, 1, 3)
    """
    return max(1, math.floor(window_ms / dt_ms + 0.5))


def population_rate(spikes, dt_ms, ax=None, window_ms=5.0, t0_ms=0.0, color=None, label=None):
    """Draw the smoothed population rate (Hz) against time (ms).

    Parameters are those of :func:`population_rate_hz`, and

    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.
    color : matplotlib colour, optional
        Line colour; ``COLORS["other"]`` when None.
    label : str, optional
        Legend entry (which neurons the rate covers); when given, a legend is drawn.

    The y label states the smoothing: ``"population rate (Hz, boxcar 5 ms)"``, the
    window as drawn (a whole number of steps).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; the rate is its last ``Line2D`` (x: ``t_ms``, y: ``rate_hz``).

    Raises
    ------
    BadInput
        As :func:`population_rate_hz`.

    Example
    -------
    >>> import numpy as np
    >>> from bioplastic.plotting import population_rate
    >>> ax = population_rate(np.ones((10, 3)), dt_ms=1.0, window_ms=3.0)
    >>> ax.lines[-1].get_ydata().tolist() == [1000.0] * 10, ax.get_ylabel()
    (True, 'population rate (Hz, boxcar 3 ms)')
    """
    t_ms, rate_hz = population_rate_hz(spikes, dt_ms, window_ms, t0_ms)
    _, ax = new_axes(ax)
    ax.plot(t_ms, rate_hz, color=COLORS["other"] if color is None else color, label=label,
            linewidth=STYLE["lines.linewidth"])
    boxcar_ms = window_steps(float(window_ms), float(dt_ms)) * float(dt_ms)
    label_axes(ax, "time (ms)", f"population rate (Hz, boxcar {boxcar_ms:g} ms)")
    if label is not None:
        add_legend(ax)
    return ax
