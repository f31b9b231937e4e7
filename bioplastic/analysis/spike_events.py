"""Spike trains as events: the step and the neuron of every spike, as Brian2's SpikeMonitor keeps them.

A recording of ``n_steps`` steps of ``n_neurons`` neurons holds one event per spike:
``steps[k]`` (the row of the dense ``(n_steps, n_neurons)`` 0/1 array, from 0) and
``neurons[k]`` (its column). Memory grows with the number of spikes, not of steps: 4000
neurons at 20 Hz for 10 s are 800 000 events (10 MB), against 1.6 GB as dense float32.
Spike ``k`` happened at the end of its step, ``t0_ms + (steps[k] + 1) * dt_ms``, the time
:mod:`bioplastic.plotting` draws it at.

A run folder's ``recordings.npz`` stores a spike recording ``NAME`` as
``NAME.steps``, ``NAME.neurons`` and ``NAME.shape`` (:meth:`SpikeEvents.to_arrays`);
:func:`spike_recordings` reads them back.

Example
-------
>>> import numpy as np
>>> dense = np.zeros((4, 3))
>>> dense[1, 2] = dense[3, 0] = 1
>>> events = SpikeEvents.from_dense(dense)
>>> events.steps.tolist(), events.neurons.tolist(), events.times_ms(dt_ms=0.5).tolist()
([1, 3], [2, 0], [1.0, 2.0])
>>> bool((events.to_dense() == dense).all())
True
"""

from __future__ import annotations

import dataclasses

import numpy as np

from bioplastic._checks import BadInput, check_dt

SUFFIXES = (".steps", ".neurons", ".shape")


@dataclasses.dataclass(frozen=True, eq=False)
class SpikeEvents:
    """The spikes of ``n_neurons`` neurons over ``n_steps`` steps, one event each, in step order.

    Fields
    ------
    steps : int64 array (n_spikes,)
        Step of each spike, from 0, non-decreasing.
    neurons : int32 array (n_spikes,)
        Neuron (column of the dense form) of each spike, increasing within a step.
    n_steps, n_neurons : int
        The span of the recording, silent steps and neurons included (rates count them).

    Example
    -------
    >>> events = SpikeEvents(np.array([0, 0, 5]), np.array([1, 2, 1]), n_steps=10, n_neurons=3)
    >>> len(events), events.counts_per_step()[:2].tolist()
    (3, [2, 0])
    >>> SpikeEvents(np.array([3]), np.array([0]), n_steps=3, n_neurons=1)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: steps: got 3 at event 0; allowed: steps in [0, 3), in non-decreasing order
    """

    steps: np.ndarray
    neurons: np.ndarray
    n_steps: int
    n_neurons: int

    def __post_init__(self):
        steps = np.asarray(self.steps).astype(np.int64).reshape(-1)
        neurons = np.asarray(self.neurons).astype(np.int32).reshape(-1)
        if steps.shape != neurons.shape:
            raise BadInput("neurons", f"{neurons.size} neurons for {steps.size} steps", "one neuron per step")
        n_steps, n_neurons = int(self.n_steps), int(self.n_neurons)
        if n_steps < 0 or n_neurons < 1:
            raise BadInput("shape", f"({n_steps}, {n_neurons})", "at least 0 steps and 1 neuron")
        bad = np.nonzero((steps < 0) | (steps >= n_steps) | np.concatenate([[False], np.diff(steps) < 0]))[0]
        if bad.size:
            raise BadInput("steps", f"{int(steps[bad[0]])} at event {int(bad[0])}",
                           f"steps in [0, {n_steps}), in non-decreasing order")
        bad = np.nonzero((neurons < 0) | (neurons >= n_neurons))[0]
        if bad.size:
            raise BadInput("neurons", f"{int(neurons[bad[0]])} at event {int(bad[0])}", f"neurons in [0, {n_neurons})")
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "neurons", neurons)
        object.__setattr__(self, "n_steps", n_steps)
        object.__setattr__(self, "n_neurons", n_neurons)

    def __len__(self) -> int:
        return int(self.steps.size)

    @classmethod
    def from_dense(cls, spikes) -> "SpikeEvents":
        """The events of a dense ``(n_steps, *neurons)`` array of 0/1 (neuron axes flattened in C order).

        Example
        -------
        >>> SpikeEvents.from_dense(np.eye(2)).neurons.tolist()
        [0, 1]
        """
        array = np.asarray(spikes)
        array = array.reshape(array.shape[0], -1)
        steps, neurons = np.nonzero(array)
        return cls(steps, neurons, n_steps=array.shape[0], n_neurons=array.shape[1])

    def to_dense(self, dtype=bool) -> np.ndarray:
        """The dense ``(n_steps, n_neurons)`` array (True/1 where a neuron spiked).

        Example
        -------
        >>> SpikeEvents(np.array([1]), np.array([0]), n_steps=2, n_neurons=2).to_dense().tolist()
        [[False, False], [True, False]]
        """
        dense = np.zeros((self.n_steps, self.n_neurons), dtype)
        dense[self.steps, self.neurons] = 1
        return dense

    def times_ms(self, dt_ms: float, t0_ms: float = 0.0) -> np.ndarray:
        """Each spike's time (ms), the end of its step: ``t0_ms + (steps + 1) * dt_ms``.

        Example
        -------
        >>> SpikeEvents(np.array([0, 9]), np.array([0, 0]), n_steps=10, n_neurons=1).times_ms(0.1).tolist()
        [0.1, 1.0]
        """
        return t0_ms + (self.steps + 1) * check_dt(dt_ms)

    def counts_per_step(self) -> np.ndarray:
        """Spikes in each step, summed over neurons (int64, ``n_steps`` long).

        Example
        -------
        >>> SpikeEvents(np.array([0, 0, 2]), np.array([0, 1, 0]), n_steps=3, n_neurons=2).counts_per_step().tolist()
        [2, 0, 1]
        """
        return np.bincount(self.steps, minlength=self.n_steps)

    def to_arrays(self, name: str) -> dict:
        """The arrays ``NAME.steps``, ``NAME.neurons`` and ``NAME.shape`` that store it in an ``.npz`` file.

        Example
        -------
        >>> sorted(SpikeEvents(np.array([0]), np.array([0]), 1, 1).to_arrays("spikes"))
        ['spikes.neurons', 'spikes.shape', 'spikes.steps']
        """
        return {f"{name}.steps": self.steps, f"{name}.neurons": self.neurons,
                f"{name}.shape": np.array([self.n_steps, self.n_neurons], np.int64)}

    @classmethod
    def from_arrays(cls, arrays, name: str) -> "SpikeEvents":
        """The recording ``name`` stored by :meth:`to_arrays` in ``arrays`` (e.g. a loaded ``.npz``).

        Example
        -------
        >>> events = SpikeEvents(np.array([2]), np.array([1]), 3, 2)
        >>> SpikeEvents.from_arrays(events.to_arrays("s"), "s").to_dense().sum()
        np.int64(1)
        """
        n_steps, n_neurons = (int(n) for n in arrays[f"{name}.shape"])
        return cls(arrays[f"{name}.steps"], arrays[f"{name}.neurons"], n_steps, n_neurons)


def spike_recordings(arrays) -> dict:
    """A run's recordings (``read_npz(run_dir / "recordings.npz")``) by name: arrays, and spike events as :class:`SpikeEvents`.

    Example
    -------
    >>> stored = {"v": np.zeros((5, 2)), **SpikeEvents(np.array([1]), np.array([0]), 5, 2).to_arrays("spikes")}
    >>> recordings = spike_recordings(stored)
    >>> sorted(recordings), type(recordings["spikes"]).__name__
    (['spikes', 'v'], 'SpikeEvents')
    """
    names = {key[: -len(".shape")] for key in arrays if key.endswith(".shape")}
    names = {name for name in names if all(f"{name}{suffix}" in arrays for suffix in SUFFIXES)}
    recordings = {name: SpikeEvents.from_arrays(arrays, name) for name in names}
    recordings.update({key: value for key, value in arrays.items()
                       if not any(key == f"{name}{suffix}" for name in names for suffix in SUFFIXES)})
    return recordings
