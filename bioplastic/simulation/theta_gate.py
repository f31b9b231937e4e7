"""Theta schedules: which compartment drives the soma of a two-compartment unit, step by step.

A schedule is the gate ``theta(t)`` of :class:`~bioplastic.neurons.two_compartment.TwoCompartmentUnit`:
0 is the inference (wake, basal) phase, 1 the generative (sleep, apical) phase (George et
al. 2023). Time ``t_n = n dt`` in ms, frequency in Hz, phases in cycles (0 to 1):

- ``"square"`` (the default): ``theta = 1`` while ``frac(f t + phase) < duty``, else 0 --
  each cycle starts with ``duty`` of its length in the generative phase;
- ``"sine"``: ``theta = (1 + sin(2 pi (f t + phase))) / 2``, a smooth mixing of the two
  compartments (``duty`` is ignored);
- ``"jittered"``: square cycles whose lengths are drawn independently and uniformly in
  ``(1 +- jitter) / f``, each with ``duty`` of its length generative: the phases are not
  rigid and the schedule is not periodic (``key`` seeds it).

Example
-------
>>> from bioplastic.simulation.theta_gate import theta_schedule
>>> theta_schedule(8, dt_ms=25.0, frequency_hz=5.0).tolist()      # 200 ms cycles of 8 steps
[1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
>>> theta_schedule(4, dt_ms=25.0, frequency_hz=10.0, duty=0.25, phase=0.75).tolist()
[0.0, 1.0, 0.0, 0.0]
"""

from __future__ import annotations

import numpy as np

from bioplastic._checks import BadInput, check_choice, check_dt, check_positive, check_size

SHAPES = ("square", "sine", "jittered")


def theta_schedule(n_steps: int, dt_ms: float, frequency_hz: float = 5.0, duty: float = 0.5, phase: float = 0.0,
                   shape: str = "square", jitter: float = 0.0, seed: int = 0) -> np.ndarray:
    """The gate at steps ``0 .. n_steps - 1`` (float32, values in [0, 1]).

    Parameters
    ----------
    n_steps : int
    dt_ms : float
        Step (ms).
    frequency_hz : float
        Theta frequency (Hz), > 0; the hippocampal range is 5-10 Hz.
    duty : float
        Fraction of each cycle in the generative phase (``"square"``, ``"jittered"``), in [0, 1].
    phase : float
        Offset in cycles, in [0, 1).
    shape : {"square", "sine", "jittered"}
    jitter : float
        ``"jittered"`` only: relative spread of the cycle lengths, in [0, 1).
    seed : int
        ``"jittered"`` only: seed of the cycle lengths.

    Returns
    -------
    numpy.ndarray (n_steps,)

    Raises
    ------
    BadInput
        A value outside its range, or an unknown shape.

    Example
    -------
    >>> theta_schedule(8, dt_ms=25.0, frequency_hz=5.0).tolist()      # generative half first
    [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    """
    n_steps = check_size(n_steps, "n_steps")
    dt_ms = check_dt(dt_ms)
    check_positive(frequency_hz, "frequency_hz", "Hz")
    check_choice(shape, "shape", SHAPES)
    if not 0.0 <= duty <= 1.0:
        raise BadInput("duty", f"{duty!r}", "a fraction of the cycle in [0, 1]")
    if not 0.0 <= phase < 1.0:
        raise BadInput("phase", f"{phase!r}", "an offset in cycles in [0, 1)")
    if not 0.0 <= jitter < 1.0:
        raise BadInput("jitter", f"{jitter!r}", "a relative spread in [0, 1)")
    cycles = np.arange(n_steps) * dt_ms * 1e-3 * frequency_hz + phase   # time in cycles
    if shape == "sine":
        return (0.5 * (1.0 + np.sin(2.0 * np.pi * cycles))).astype(np.float32)
    if shape == "square":
        return (np.mod(cycles, 1.0) < duty).astype(np.float32)
    return _jittered(n_steps, dt_ms, frequency_hz, duty, phase, jitter, seed)


def _jittered(n_steps, dt_ms, frequency_hz, duty, phase, jitter, seed) -> np.ndarray:
    """Square cycles of random lengths ``(1 + jitter u) / f``, ``u ~ U(-1, 1)``."""
    rng = np.random.default_rng(seed)
    period_ms = 1e3 / frequency_hz
    total_ms = n_steps * dt_ms + period_ms * (1.0 + phase)
    lengths = period_ms * (1.0 + jitter * rng.uniform(-1.0, 1.0, size=int(total_ms / (period_ms * (1 - jitter))) + 2))
    starts = np.concatenate([[0.0], np.cumsum(lengths)]) - phase * period_ms
    t = np.arange(n_steps) * dt_ms
    cycle = np.searchsorted(starts, t, side="right") - 1
    into = (t - starts[cycle]) / lengths[cycle]
    return (into < duty).astype(np.float32)
