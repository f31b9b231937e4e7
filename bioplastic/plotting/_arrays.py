"""Checks and conversions of the arrays that the plotting functions take.

Every plotting function receives plain arrays (NumPy or JAX, concrete values); these
helpers turn them into float64 NumPy arrays of a known layout, or raise
:class:`~bioplastic._checks.BadInput` with the message form
``"<argument>: got <value>; allowed: <what>"``.

Layout conventions
------------------
- A recording is ``(time, *neurons)``: row ``n`` holds step ``n``; the neuron axes are
  flattened in C order, so neuron ``i`` of a ``(T, 4, 5)`` recording is ``[:, i // 5, i % 5]``.
- Row ``n`` of a recording taken every ``stride`` steps of ``dt_ms`` is stamped with the
  end of its last step, ``t0_ms + (n + 1) * stride * dt_ms`` (the convention of
  :func:`bioplastic.simulate`: a spike emitted by step ``n`` has time ``(n + 1) dt``).

Example
-------
>>> import numpy as np
>>> from bioplastic.plotting._arrays import as_spikes, step_times_ms
>>> as_spikes(np.zeros((3, 2, 2))).shape
(3, 4)
>>> step_times_ms(3, 0.5).tolist()
[0.5, 1.0, 1.5]
>>> as_spikes(np.array([0.0, 1.0]))
Traceback (most recent call last):
...
bioplastic._checks.BadInput: spikes: got array of shape (2,); allowed: a (time, neurons) array with at least one step and one neuron
"""

from __future__ import annotations

import math
import reprlib

import numpy as np
from matplotlib.axes import Axes

from bioplastic._checks import BadInput, _describe, check_positive
from bioplastic.analysis.spike_events import SpikeEvents


def as_numeric(value, where: str, allowed: str) -> np.ndarray:
    """Return ``value`` as a NumPy array after checking it holds numbers (or booleans).

    Parameters
    ----------
    value : array-like
        The argument to check; its dtype is kept (no conversion to float).
    where : str
        Argument name used in error messages.
    allowed : str
        What the argument may be, used in error messages.

    Raises
    ------
    BadInput
        A value NumPy cannot hold as one array (e.g. ragged lists), or a dtype that is not bool, integer or float.

    Example
    -------
    >>> as_numeric([1, 2], "weights", "numbers").tolist()
    [1, 2]
    >>> as_numeric(["a"], "weights", "numbers")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: weights: got array of shape (1,) and dtype <U1; allowed: numbers
    """
    try:
        array = np.asarray(value)
    except Exception:  # ragged lists and other objects NumPy cannot hold as one array
        raise BadInput(where, reprlib.repr(value), allowed) from None
    if array.dtype.kind not in "biuf":
        raise BadInput(where, describe(value, array), allowed)
    return array


def describe(value, array: np.ndarray) -> str:
    """Describe ``value`` in an error message: its repr when a scalar, else its shape.

    Example
    -------
    >>> describe(3.0, np.asarray(3.0)), describe("ab", np.asarray("ab")), describe(None, np.zeros((2, 3)))
    ('3.0', "'ab'", 'array of shape (2, 3)')
    """
    if array.dtype.kind in "biufc":
        return _describe(array)
    return repr(value) if array.ndim == 0 else f"array of shape {array.shape} and dtype {array.dtype}"


def _recording(value, where: str, allowed: str) -> np.ndarray:
    array = as_numeric(value, where, allowed)
    if array.ndim < 2 or array.size == 0:
        raise BadInput(where, describe(value, array), allowed)
    return array.reshape(array.shape[0], -1)


def as_spikes(spikes, where: str = "spikes") -> np.ndarray:
    """Return ``spikes`` as a boolean ``(time, neurons)`` array (True: a spike in that step).

    Parameters
    ----------
    spikes : array of shape (time, *neurons)
        One row per time step, 0/1 (or False/True) per neuron; the neuron axes are
        flattened in C order.
    where : str
        Argument name used in error messages.

    Raises
    ------
    BadInput
        Fewer than two axes, no step or no neuron, a non-numeric array, or a value other
        than 0 and 1.

    Example
    -------
    >>> as_spikes(np.array([[0, 1], [1, 0]])).tolist()
    [[False, True], [True, False]]
    """
    allowed = "a (time, neurons) array with at least one step and one neuron"
    array = _recording(spikes, where, allowed)
    if array.dtype == np.bool_:
        return array
    bad = ~((array == 0) | (array == 1))
    if np.any(bad):
        step, neuron = (int(i) for i in np.argwhere(bad)[0])
        raise BadInput(where,
                       f"{float(array[step, neuron])!r} at step {step}, neuron {neuron}",
                       "0 or 1 (no spike or one spike in a step)")
    return array == 1


def as_events(spikes, where: str = "spikes") -> SpikeEvents:
    """Return spikes as :class:`~bioplastic.analysis.spike_events.SpikeEvents`, from events or a dense 0/1 array.

    Every spike plot reads this form, so a recording drawn from either gives the same figure.

    Raises
    ------
    BadInput
        As :func:`as_spikes` for a dense array; a recording of no step.

    Example
    -------
    >>> events = as_events(np.array([[0, 1], [1, 0]]))
    >>> events.steps.tolist(), events.neurons.tolist(), as_events(events) is events
    ([0, 1], [1, 0], True)
    """
    if isinstance(spikes, SpikeEvents):
        if spikes.n_steps == 0:
            raise BadInput(where, "events over 0 steps", "a recording of at least one step")
        return spikes
    return SpikeEvents.from_dense(as_spikes(spikes, where))


def as_series(values, where: str = "values") -> np.ndarray:
    """Return ``values`` as a float64 ``(time, neurons)`` array (NaN allowed: drawn as gaps).

    Raises
    ------
    BadInput
        Fewer than two axes, no step or no neuron, or a non-numeric array.

    Example
    -------
    >>> as_series(np.arange(6).reshape(3, 2, 1)).shape          # neuron axes flattened
    (3, 2)
    """
    allowed = "a (time, neurons) array with at least one step and one neuron"
    return _recording(values, where, allowed).astype(np.float64)


def as_time(t0_ms, where: str = "t0_ms") -> float:
    """Return a time offset as a float after checking it is a finite number (ms).

    Example
    -------
    >>> as_time(5), as_time("2.5")
    (5.0, 2.5)
    >>> as_time(float("nan"))
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: t0_ms: got nan; allowed: a finite number (milliseconds)
    """
    try:
        value = float(t0_ms)
    except (TypeError, ValueError):
        raise BadInput(where, f"{t0_ms!r}", "a finite number (milliseconds)") from None
    if not math.isfinite(value):
        raise BadInput(where, f"{value!r}", "a finite number (milliseconds)")
    return value


def select_neurons(neurons, n: int, where: str = "neurons") -> np.ndarray:
    """Return the chosen flat neuron indices as an int array (all ``n`` when ``neurons`` is None).

    Parameters
    ----------
    neurons : int, sequence of int or None
        Flat neuron indices, kept in the given order (duplicates allowed); None selects all.
    n : int
        Number of neurons (flattened neuron axes of the recording).
    where : str
        Argument name used in error messages.

    Returns
    -------
    ndarray (k,)
        int64 indices (``np.arange(n)`` when ``neurons`` is None).

    Raises
    ------
    BadInput
        Indices that are not whole numbers, an empty selection, or an index outside
        ``[0, n)``.

    Example
    -------
    >>> select_neurons(None, 3).tolist(), select_neurons([2, 0], 3).tolist()
    ([0, 1, 2], [2, 0])
    >>> select_neurons([3], 3)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: neurons: got 3; allowed: whole-number indices in [0, 3)
    """
    if neurons is None:
        return np.arange(n)
    allowed = f"whole-number indices in [0, {n})"
    try:
        array = np.asarray(neurons)
    except Exception:
        raise BadInput(where, f"{neurons!r}", allowed) from None
    if array.size == 0:
        raise BadInput(where, "[]", f"at least one of the {allowed}")
    if array.ndim > 1:
        raise BadInput(where, describe(neurons, array), allowed)
    if array.dtype.kind not in "iu":
        first = array.reshape(-1)[0]
        shown = repr(first.item()) if array.dtype.kind in "bf" else describe(neurons, array)
        raise BadInput(where, shown, allowed)
    array = array.reshape(-1).astype(np.int64)
    outside = (array < 0) | (array >= n)
    if np.any(outside):
        raise BadInput(where, int(array[outside][0]), allowed)
    return array


def step_times_ms(n_rows: int, dt_ms: float, t0_ms: float = 0.0, stride: int = 1) -> np.ndarray:
    """Times (ms) of ``n_rows`` recorded rows: ``t0_ms + (n + 1) * stride * dt_ms``.

    Parameters
    ----------
    n_rows : int
        Number of recorded rows.
    dt_ms : float
        Simulation step (ms).
    t0_ms : float
        Time of the start of the first step (ms).
    stride : int
        Steps between recorded rows.

    Returns
    -------
    ndarray (n_rows,)
        float64 times (ms); row ``n`` is stamped with the end of its last step.

    Example
    -------
    >>> step_times_ms(3, 0.1, t0_ms=100.0, stride=10).tolist()     # every 10th step of 0.1 ms
    [101.0, 102.0, 103.0]
    """
    return t0_ms + ((np.arange(n_rows, dtype=np.int64) + 1) * stride) * float(dt_ms)


def check_axes(ax, where: str = "ax"):
    """Check ``ax`` is a matplotlib Axes or None; return it unchanged.

    Example
    -------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> check_axes(ax) is ax, check_axes(None)
    (True, None)
    >>> check_axes("ax")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: ax: got 'ax'; allowed: a matplotlib Axes or None
    """
    if ax is not None and not isinstance(ax, Axes):
        raise BadInput(where, f"{ax!r}", "a matplotlib Axes or None")
    return ax



def as_positive(value, where: str, unit: str = "") -> float:
    """Return a scalar as a float after checking it is a finite number > 0.

    Parameters
    ----------
    value : number or str
        The argument to check; anything ``float()`` accepts.
    where : str
        Argument name used in error messages.
    unit : str
        Unit named in the error message (e.g. ``"ms"``); empty for none.

    Raises
    ------
    BadInput
        A value that is not a number, not finite, or not > 0.

    Example
    -------
    >>> as_positive("0.5", "window_ms", "ms")
    0.5
    >>> as_positive(0, "window_ms", "ms")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: window_ms: got 0.0; allowed: a finite number > 0 (ms)
    """
    unit_text = f" ({unit})" if unit else ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadInput(where, f"{value!r}", f"a finite number > 0{unit_text}") from None
    return float(check_positive(number, where, unit))
