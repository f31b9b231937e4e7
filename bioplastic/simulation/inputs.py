"""Inputs of the time loop: values, spike trains and schedules evaluated inside the scan at step ``n``.

Each is a pytree (its arrays are data, its sizes static), given to
:func:`bioplastic.simulation.loop.simulate` as ``drive`` alone or in any pytree (e.g. a dict
per population):

- :class:`Constant` -- the same value at every step.
- :class:`Step` -- a value switched on at one step and off at another.
- :class:`TimeSeries` -- ``values[n]`` from an array of shape ``(n_steps, ...)``.
- :class:`Poisson` -- independent Poisson spike trains at ``rate_hz`` (0/1 per step with
  probability ``rate_hz * dt / 1000``), times ``weight``; seeded by its own key; or
  correlated trains (``correlation``).
- :class:`Periodic` -- a pulse of ``width_steps`` every ``period_steps`` steps (regular spike trains,
  pulse trains).
- :class:`ModulatedPoisson` -- Poisson trains whose rates follow one time-varying rate per
  group of neurons (e.g. :func:`ornstein_uhlenbeck` signals), stored per group, not per neuron.
- :class:`ItemSequence` -- items (images) shown one after another, as values or as the
  rates of Poisson trains.
- :class:`Windowed` -- any of these, on only within a window of steps.

Example
-------
>>> from bioplastic.simulation import drive_at
>>> pulse = Step(2.0, start_step=3, stop_step=5)
>>> float(drive_at(pulse, 4, 0.1)), float(drive_at(pulse, 5, 0.1))
(2.0, 0.0)
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import scipy.signal

from bioplastic._checks import BadInput, check_nonnegative, check_positive, check_size


@functools.partial(jax.tree_util.register_dataclass, data_fields=["value"], meta_fields=[])
@dataclasses.dataclass(frozen=True, eq=False)
class Constant:
    """The same ``value`` (array or scalar) at every step.

    ``value`` is in the units the step function expects (e.g. mV of current for LIF).

    Example
    -------
    >>> Constant(jnp.array([1.0, 2.0])).at(jnp.asarray(5), 0.1).tolist()
    [1.0, 2.0]
    """

    value: Any

    def at(self, step: jax.Array, dt: float):
        """Value at ``step`` (a pytree value, such as a ``ConductanceInput``, keeps its structure).

        Example
        -------
        >>> from bioplastic.neurons.lif import ConductanceInput
        >>> drive = Constant(ConductanceInput(current=0.0, conductance=0.5, conductance_reversal=-40.0))
        >>> value = drive.at(jnp.asarray(7), 0.1)
        >>> type(value).__name__, float(value.conductance_reversal)
        ('ConductanceInput', -40.0)
        """
        return jax.tree_util.tree_map(jnp.asarray, self.value)

    def check(self, n_steps: int, where: str):
        """Nothing to check for a constant.

        Example
        -------
        >>> print(Constant(1.0).check(n_steps=10, where="drive"))
        None
        """


@functools.partial(jax.tree_util.register_dataclass, data_fields=["value", "start_step", "stop_step"], meta_fields=[])
@dataclasses.dataclass(frozen=True, eq=False)
class Step:
    """``value`` during steps ``start_step <= n < stop_step``, zero elsewhere.

    Example
    -------
    >>> drive = Step(2.0, start_step=1, stop_step=3)
    >>> [float(drive.at(jnp.asarray(n), 0.1)) for n in range(4)]
    [0.0, 2.0, 2.0, 0.0]
    """

    value: Any
    start_step: Any
    stop_step: Any

    def at(self, step: jax.Array, dt: float):
        """``value`` inside the window, zeros outside (same shape either way).

        Example
        -------
        >>> drive = Step(jnp.array([1.0, 3.0]), start_step=2, stop_step=4)
        >>> drive.at(jnp.asarray(1), 0.1).tolist(), drive.at(jnp.asarray(3), 0.1).tolist()
        ([0.0, 0.0], [1.0, 3.0])
        """
        on = (step >= self.start_step) & (step < self.stop_step)
        return jnp.where(on, jnp.asarray(self.value), jnp.zeros_like(jnp.asarray(self.value)))

    def check(self, n_steps: int, where: str):
        """The window must not be empty.

        Example
        -------
        >>> Step(1.0, start_step=5, stop_step=5).check(10, "drive")
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: drive: got a window [5, 5) of steps; allowed: start < stop
        """
        if int(self.stop_step) <= int(self.start_step):
            raise BadInput(where,
                           f"a window [{int(self.start_step)}, {int(self.stop_step)}) of steps",
                           "start < stop")


@functools.partial(jax.tree_util.register_dataclass, data_fields=["values"], meta_fields=[])
@dataclasses.dataclass(frozen=True, eq=False)
class TimeSeries:
    """``values[n]`` at step ``n``; ``values`` has shape ``(n_steps_or_more, ...)``.

    Example
    -------
    >>> TimeSeries(jnp.arange(3.0)).at(jnp.asarray(2), 0.1)
    Array(2., dtype=float32)
    """

    values: Any

    def at(self, step: jax.Array, dt: float):
        """Row ``step`` of ``values``.

        Example
        -------
        >>> TimeSeries(jnp.arange(6.0).reshape(3, 2)).at(jnp.asarray(1), 0.1).tolist()
        [2.0, 3.0]
        """
        return jnp.asarray(self.values)[step]

    def check(self, n_steps: int, where: str):
        """The series must cover every step up to ``n_steps`` (the end of the run: ``start_step + n_steps``).

        Example
        -------
        >>> TimeSeries(jnp.zeros(5)).check(10, "drive")
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: drive: got a time series of 5 steps; allowed: at least 10 rows, one per step up to the end of the run
        """
        length = np.shape(self.values)[0] if np.ndim(self.values) else 0
        if length < n_steps:
            raise BadInput(where, f"a time series of {length} steps",
                           f"at least {n_steps} rows, one per step up to the end of the run")


def _bernoulli(key, step, probability, shape) -> jax.Array:
    """0/1 spikes (float32) of one step with ``probability`` each: draws from ``fold_in(key, step)``, as every train uses."""
    return (jax.random.uniform(jax.random.fold_in(key, step), shape) < probability).astype(jnp.float32)


@functools.partial(
    jax.tree_util.register_dataclass, data_fields=["rate_hz", "key", "weight"], meta_fields=["shape", "correlation"]
)
@dataclasses.dataclass(frozen=True, eq=False)
class Poisson:
    """Poisson spike trains: ``weight`` times 0/1 draws, ``P(1) = rate_hz * dt / 1000``.

    With ``correlation = 0`` (the default) the trains are independent. With
    ``correlation = c > 0`` they are correlated by the multiple interaction process (Kuhn,
    Aertsen & Rotter 2003): one shared mother train fires at ``rate_hz / c``, and each train
    copies each mother spike with probability ``c``. Every train is then Poisson at
    ``rate_hz`` and the spike counts of two trains have correlation coefficient ``c`` (for
    trains of one rate; the mother's draw is shared, so trains with different rates copy from
    nested mothers).

    Parameters
    ----------
    rate_hz : float or array
        Rate of each train (Hz); broadcasts to ``shape``.
    shape : int or tuple
        Number (shape) of trains.
    key : jax key
        Seed of the trains; step ``n`` uses ``fold_in(key, n)``, so runs are reproducible.
    weight : float
        What one spike delivers (e.g. mV of current).
    correlation : float
        Pairwise correlation ``c`` in [0, 1] of the trains (a static number).

    Example
    -------
    >>> p = Poisson(rate_hz=1000.0, shape=4, key=jax.random.PRNGKey(0))
    >>> p.at(jnp.asarray(0), 1.0).tolist()  # rate * dt = 1: always a spike
    [1.0, 1.0, 1.0, 1.0]

    Fully correlated trains (``c = 1``) are one train, copied:

    >>> p = Poisson(rate_hz=200.0, shape=3, key=jax.random.PRNGKey(0), correlation=1.0)
    >>> rows = [p.at(jnp.asarray(n), 1.0).tolist() for n in range(20)]
    >>> all(len(set(row)) == 1 for row in rows), 0 < sum(row[0] for row in rows) < 20
    (True, True)
    """

    rate_hz: Any
    shape: Any
    key: jax.Array
    weight: float = 1.0
    correlation: float = 0.0

    def at(self, step: jax.Array, dt: float):
        """Spikes (times ``weight``) of step ``step``.

        Example
        -------
        A silent train never spikes, a train at ``1000 / dt`` Hz always does:

        >>> p = Poisson(rate_hz=jnp.array([0.0, 1000.0]), shape=2, key=jax.random.PRNGKey(0), weight=0.5)
        >>> p.at(jnp.asarray(3), 1.0).tolist()
        [0.0, 0.5]
        """
        shape = (self.shape,) if isinstance(self.shape, int) else tuple(self.shape)
        probability = jnp.asarray(self.rate_hz) * dt * 1e-3
        if self.correlation == 0:
            return self.weight * _bernoulli(self.key, step, probability, shape)
        mother_key, copy_key = jax.random.split(jax.random.fold_in(self.key, step))
        mother = jax.random.uniform(mother_key) < probability / self.correlation
        copied = jax.random.uniform(copy_key, shape) < self.correlation
        return self.weight * (mother & copied).astype(jnp.float32)

    def check(self, n_steps: int, where: str):
        """Rates must be finite and >= 0 (Hz).

        Example
        -------
        >>> Poisson(rate_hz=-1.0, shape=3, key=jax.random.PRNGKey(0)).check(10, "drive")
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: drive.rate_hz: got -1.0; allowed: finite rates >= 0 (Hz)
        """
        rate = np.asarray(self.rate_hz, dtype=float)
        if not np.all(np.isfinite(rate)) or np.any(rate < 0):
            raise BadInput(f"{where}.rate_hz", f"{self.rate_hz!r}", "finite rates >= 0 (Hz)")
        if not 0 <= self.correlation <= 1:
            raise BadInput(f"{where}.correlation", f"{self.correlation!r}", "a correlation in [0, 1]")


@functools.partial(
    jax.tree_util.register_dataclass, data_fields=["value"],
    meta_fields=["period_steps", "start_step", "stop_step", "width_steps"],
)
@dataclasses.dataclass(frozen=True, eq=False)
class Periodic:
    """A pulse of ``value``, ``width_steps`` long, every ``period_steps`` steps, from ``start_step`` to ``stop_step``.

    Step ``n`` carries ``value`` when ``start_step <= n < stop_step`` and
    ``(n - start_step) mod period_steps < width_steps``, zeros otherwise. With the default
    ``width_steps = 1``: a regular spike train, for pairing protocols (pre and post trains
    at one frequency, shifted by a delay); wider: a train of current pulses (a resonator
    driven at its resonant frequency). ``stop_step`` cuts a pulse it falls in.

    Example
    -------
    >>> drive = Periodic(1.0, period_steps=3, start_step=1, stop_step=8)
    >>> [float(drive.at(jnp.asarray(n), 0.1)) for n in range(9)]
    [0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    >>> wide = Periodic(1.0, period_steps=4, start_step=1, stop_step=8, width_steps=2)
    >>> [float(wide.at(jnp.asarray(n), 0.1)) for n in range(9)]
    [0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    """

    value: Any
    period_steps: int
    start_step: int
    stop_step: int
    width_steps: int = 1

    def at(self, step: jax.Array, dt: float):
        """``value`` at the pulses, zeros between (same shape either way).

        Example
        -------
        >>> Periodic(jnp.array([1.0, 2.0]), period_steps=2, start_step=0, stop_step=4).at(jnp.asarray(2), 0.1).tolist()
        [1.0, 2.0]
        """
        on = ((step >= self.start_step) & (step < self.stop_step)
              & ((step - self.start_step) % self.period_steps < self.width_steps))
        return jnp.where(on, jnp.asarray(self.value), jnp.zeros_like(jnp.asarray(self.value)))

    def check(self, n_steps: int, where: str):
        """A period of at least one step, pulses from one step to one period long, and a window that is not empty.

        Example
        -------
        >>> Periodic(1.0, period_steps=0, start_step=0, stop_step=5).check(10, "drive")
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: drive.period_steps: got 0; allowed: a whole number >= 1
        >>> Periodic(1.0, period_steps=4, start_step=0, stop_step=5, width_steps=5).check(10, "drive")
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: drive.width_steps: got 5; allowed: a whole number of steps in [1, 4] (the period)
        """
        check_size(self.period_steps, f"{where}.period_steps")
        if not 1 <= self.width_steps <= self.period_steps:
            raise BadInput(f"{where}.width_steps", self.width_steps,
                           f"a whole number of steps in [1, {self.period_steps}] (the period)")
        if self.stop_step <= self.start_step:
            raise BadInput(where, f"a window [{self.start_step}, {self.stop_step}) of steps", "start < stop")


@functools.partial(
    jax.tree_util.register_dataclass, data_fields=["values", "key", "weight"], meta_fields=["steps_per_item", "poisson"]
)
@dataclasses.dataclass(frozen=True, eq=False)
class ItemSequence:
    """Items (images, patterns) shown one after another, each for ``steps_per_item`` steps.

    ``values`` has shape ``(n_items, ...)``; item ``(n // steps_per_item) % n_items`` is
    shown at step ``n`` (the sequence repeats). With ``poisson=False`` the input is
    ``weight * item``; with ``poisson=True`` the item holds rates in Hz and the input is
    ``weight`` times independent Poisson draws (``P(1) = rate * dt / 1000``), seeded by
    ``key`` and the step, like :class:`Poisson`.

    Example
    -------
    >>> seq = ItemSequence(jnp.array([[1.0, 0.0], [0.0, 2.0]]), steps_per_item=2, key=None)
    >>> [seq.at(jnp.asarray(n), 0.1).tolist() for n in range(5)]
    [[1.0, 0.0], [1.0, 0.0], [0.0, 2.0], [0.0, 2.0], [1.0, 0.0]]
    """

    values: Any
    steps_per_item: int
    key: Any
    weight: float = 1.0
    poisson: bool = False

    def at(self, step: jax.Array, dt: float):
        """The input of step ``step``.

        Example
        -------
        With ``poisson=True`` an item of rates 0 and ``1000 / dt`` Hz gives no spike and
        a sure spike, times ``weight``:

        >>> seq = ItemSequence(jnp.array([[0.0, 1000.0]]), steps_per_item=1,
        ...                    key=jax.random.PRNGKey(0), weight=2.0, poisson=True)
        >>> seq.at(jnp.asarray(0), 1.0).tolist()
        [0.0, 2.0]
        """
        values = jnp.asarray(self.values)
        item = values[(step // self.steps_per_item) % values.shape[0]]
        if not self.poisson:
            return self.weight * item
        return self.weight * _bernoulli(self.key, step, item * dt * 1e-3, item.shape)

    def check(self, n_steps: int, where: str):
        """At least one item, shown for at least one step; with ``poisson``, a key and rates >= 0 (Hz).

        Example
        -------
        >>> ItemSequence(jnp.zeros((1, 2)), steps_per_item=0, key=None).check(10, "drive")
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: drive.steps_per_item: got 0; allowed: a whole number >= 1
        >>> ItemSequence(jnp.zeros((0, 2)), steps_per_item=1, key=None).check(10, "drive")
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: drive: got no items; allowed: at least one item
        >>> ItemSequence(jnp.ones((1, 2)), steps_per_item=1, key=None, poisson=True).check(10, "drive")
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: drive.key: got None; allowed: a jax.random key (poisson=True draws spikes)
        """
        check_size(self.steps_per_item, f"{where}.steps_per_item")
        if np.shape(self.values)[0] < 1:
            raise BadInput(where, "no items", "at least one item")
        if self.poisson:
            if self.key is None:
                raise BadInput(f"{where}.key", "None", "a jax.random key (poisson=True draws spikes)")
            check_nonnegative(self.values, f"{where}.values", "Hz")


def ornstein_uhlenbeck(key: jax.Array, n_samples: int, n_signals: int, sample_ms: float, tau_ms: float, std=1.0,
                       first: int = 0):
    """``n_signals`` independent Ornstein-Uhlenbeck processes on a grid of ``sample_ms``, exactly: ``(n_samples, n_signals)``.

    Each has mean 0, stationary standard deviation ``std`` and correlation time ``tau_ms``
    (``<x(t) x(t + s)> = std^2 exp(-|s| / tau_ms)``): low-pass-filtered white noise. The
    grid values are the exact discretisation (an AR(1) process)::

        x_0 ~ N(0, std^2),   x_{k+1} = a x_k + std sqrt(1 - a^2) xi_k,   a = exp(-sample_ms / tau_ms)

    with ``xi_k`` independent standard normals, so every sample already has the stationary
    distribution (no transient) and the autocorrelation at lag ``k`` samples is ``a^k``.
    Column ``k`` is signal number ``first + k``, drawn from ``fold_in(key, first + k)`` alone:
    the same key and number give the same signal whatever else is drawn with it.

    Parameters
    ----------
    key : jax.Array
        The draws' seed.
    n_samples, n_signals : int
        Grid points and independent processes.
    sample_ms, tau_ms : float
        Grid step and correlation time (ms), both > 0.
    std : float
        Stationary standard deviation (in the unit of the result, e.g. Hz).
    first : int
        Number of the first signal (column 0).

    Example
    -------
    >>> x = ornstein_uhlenbeck(jax.random.PRNGKey(0), 200_000, 2, sample_ms=1.0, tau_ms=10.0, std=3.0)
    >>> x.shape, bool(abs(float(x.std()) - 3.0) < 0.1)
    ((200000, 2), True)
    >>> lag = 10                                             # one tau: correlation exp(-1) = 0.37
    >>> c = float(jnp.mean(x[lag:] * x[:-lag]) / jnp.mean(x * x))
    >>> bool(abs(c - math.exp(-1)) < 0.03)
    True

    Signal number 1 is the same drawn alone or as the second of two:

    >>> two = ornstein_uhlenbeck(jax.random.PRNGKey(0), 100, 2, 1.0, 10.0, 3.0)
    >>> bool((ornstein_uhlenbeck(jax.random.PRNGKey(0), 100, 1, 1.0, 10.0, 3.0, first=1)[:, 0] == two[:, 1]).all())
    True
    """
    check_size(n_samples, "n_samples")
    check_size(n_signals, "n_signals")
    check_positive(sample_ms, "sample_ms", "ms")
    check_positive(tau_ms, "tau_ms", "ms")
    a = math.exp(-float(sample_ms) / float(tau_ms))
    draws = np.stack([np.asarray(jax.random.normal(jax.random.fold_in(key, (int(first) + k) % 2**32), (int(n_samples),)),
                                 np.float64) for k in range(n_signals)], axis=1)       # one compiled draw per length
    draws[1:] *= math.sqrt(1.0 - a * a)
    return jnp.asarray(float(std) * scipy.signal.lfilter([1.0], [1.0, -a], draws, axis=0), jnp.float32)   # x_k = a x_{k-1} + ...


@functools.partial(
    jax.tree_util.register_dataclass, data_fields=["rates_hz", "groups", "key", "weight"], meta_fields=["steps_per_sample"]
)
@dataclasses.dataclass(frozen=True, eq=False)
class ModulatedPoisson:
    """Poisson trains whose rates follow one time-varying rate per group of neurons.

    ``rates_hz`` (n_samples, n_groups) holds each group's rate (Hz) on a grid of
    ``steps_per_sample`` steps: at step ``n`` neuron ``i`` fires with probability
    ``rates_hz[n // steps_per_sample, groups[i]] * dt / 1000``, and a spike delivers
    ``weight`` (one number or one per neuron). ``groups`` (n_neurons,) int gives each
    neuron's group; ``n_groups`` (one past the last group) marks a neuron the input does not
    reach (rate 0). The draws are seeded by ``key`` and the step, like :class:`Poisson`.
    Memory: the groups' rates per sample, not a rate per neuron and step.

    Example
    -------
    Two groups, rates switched every 2 steps; neuron 2 is not reached:

    >>> trains = ModulatedPoisson(jnp.array([[1000.0, 0.0], [0.0, 1000.0]]), jnp.array([0, 1, 2]),
    ...                           jax.random.PRNGKey(0), steps_per_sample=2)
    >>> [trains.at(jnp.asarray(n), 1.0).tolist() for n in range(4)]    # rate * dt = 1: a sure spike
    [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
    """

    rates_hz: Any
    groups: Any
    key: jax.Array
    weight: Any = 1.0
    steps_per_sample: int = 1

    def at(self, step: jax.Array, dt: float):
        """Spikes (times ``weight``) of step ``step``.

        Example
        -------
        >>> ModulatedPoisson(jnp.array([[0.0]]), jnp.array([0, 0]), jax.random.PRNGKey(1)).at(jnp.asarray(0), 1.0).tolist()
        [0.0, 0.0]
        """
        rates = jnp.asarray(self.rates_hz)
        row = rates[jnp.minimum(step // self.steps_per_sample, rates.shape[0] - 1)]
        per_neuron = jnp.append(row, 0.0)[self.groups]
        return self.weight * _bernoulli(self.key, step, per_neuron * dt * 1e-3, per_neuron.shape)

    def check(self, n_steps: int, where: str):
        """Samples for every step up to ``n_steps``, finite rates >= 0 (Hz), groups in range.

        Example
        -------
        >>> ModulatedPoisson(jnp.ones((3, 1)), jnp.array([0]), jax.random.PRNGKey(0), steps_per_sample=2).check(8, "drive")
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: drive.rates_hz: got 3 samples of 2 steps; allowed: at least 8 steps, up to the end of the run
        """
        check_size(self.steps_per_sample, f"{where}.steps_per_sample")
        rates = np.asarray(self.rates_hz, dtype=float)
        if rates.ndim != 2 or rates.shape[0] < 1:
            raise BadInput(f"{where}.rates_hz", f"shape {rates.shape}", "(n_samples >= 1, n_groups)")
        if rates.shape[0] * self.steps_per_sample < n_steps:
            raise BadInput(f"{where}.rates_hz", f"{rates.shape[0]} samples of {self.steps_per_sample} steps",
                           f"at least {n_steps} steps, up to the end of the run")
        if not np.all(np.isfinite(rates)) or np.any(rates < 0):
            raise BadInput(f"{where}.rates_hz", "a rate that is negative or not finite", "finite rates >= 0 (Hz)")
        groups = np.asarray(self.groups)
        if groups.size and (groups.min() < 0 or groups.max() > rates.shape[1]):
            raise BadInput(f"{where}.groups", f"groups from {groups.min()} to {groups.max()}",
                           f"groups in [0, {rates.shape[1]}] ({rates.shape[1]}: not reached)")


@functools.partial(jax.tree_util.register_dataclass, data_fields=["term"], meta_fields=["start_step", "stop_step"])
@dataclasses.dataclass(frozen=True, eq=False)
class Windowed:
    """Another input, on during steps ``start_step <= n < stop_step`` and zero elsewhere.

    Example
    -------
    >>> from bioplastic.simulation import drive_at
    >>> trains = Windowed(Poisson(rate_hz=1000.0, shape=2, key=jax.random.PRNGKey(0)), start_step=2, stop_step=4)
    >>> [drive_at(trains, n, 1.0).tolist() for n in range(5)]
    [[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]
    """

    term: Any
    start_step: int
    stop_step: int

    def at(self, step: jax.Array, dt: float):
        """The inner input's value inside the window, zeros outside.

        Example
        -------
        >>> Windowed(Constant(jnp.ones(2)), 1, 2).at(jnp.asarray(0), 0.1).tolist()
        [0.0, 0.0]
        """
        value = self.term.at(step, dt)
        return jnp.where((step >= self.start_step) & (step < self.stop_step), value, jnp.zeros_like(value))

    def check(self, n_steps: int, where: str):
        """The inner input's checks, and a window that is not empty.

        Example
        -------
        >>> Windowed(Constant(1.0), 3, 3).check(10, "drive")
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: drive: got a window [3, 3) of steps; allowed: start < stop
        """
        self.term.check(n_steps, where)
        if self.stop_step <= self.start_step:
            raise BadInput(where, f"a window [{self.start_step}, {self.stop_step}) of steps", "start < stop")


INPUT_TYPES = (Constant, Step, TimeSeries, Poisson, Periodic, Windowed, ModulatedPoisson, ItemSequence)
