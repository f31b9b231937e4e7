"""Spike sources: a population whose spikes are its input's pulses, with no membrane.

A spike source emits a spike in every step in which its input is positive::

    spike(t) = 1  if I(t) > 0,  else 0

so a Poisson input (``rate_hz``, amplitude 1) makes each neuron an independent (or,
with a ``correlation``, a correlated) Poisson spike train, and a periodic input a
regular one. This is how afferent spike trains reach a plastic projection: the
projection's rule sees the trains themselves, as in Song, Miller & Abbott (2000), not the
spikes of relay neurons driven by them. A spike source has no parameters; its input is
dimensionless (protocol key ``current``).

Example
-------
>>> import jax.numpy as jnp
>>> from bioplastic.neurons.spike_source import SpikeSource
>>> source = SpikeSource()
>>> state = source.init(source.params(), 3, None)
>>> state, spikes = source.step(source.params(), state, jnp.array([0.0, 1.0, 0.3]), 0.1)
>>> spikes.tolist()
[0.0, 1.0, 1.0]
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic._checks import BadInput
from bioplastic.neurons.base import NeuronModel


class SpikeSourceParams(NamedTuple):
    """A spike source has no parameters (an empty tuple, so the parameter pytree has the common form).

    Example
    -------
    >>> SpikeSourceParams()._fields
    ()
    """


class SpikeSourceState(NamedTuple):
    """``spike``: this step's spikes (0.0 / 1.0), of the population shape.

    Example
    -------
    >>> SpikeSource().init(SpikeSourceParams(), 2, None).spike.tolist()
    [0.0, 0.0]
    """

    spike: jax.Array


@dataclasses.dataclass(frozen=True)
class SpikeSource(NeuronModel):
    """A population of spike sources: a spike in every step whose input is > 0.

    Example
    -------
    >>> model = SpikeSource()
    >>> _, spikes = model.step(model.params(), model.init(model.params(), 2, None), jnp.array([-1.0, 2.0]), 1.0)
    >>> spikes.tolist(), SpikeSource.state_variables
    ([0.0, 1.0], ('spike',))
    """

    state_variables = ("spike",)
    state_units = {"spike": "1"}

    def params(self, **values) -> SpikeSourceParams:
        """The (empty) parameters; any name is unknown.

        Example
        -------
        >>> SpikeSource().params(tau_ms=10.0)
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: SpikeSource.params: got unknown parameter 'tau_ms'; allowed: none (a spike source has no parameters)
        """
        if values:
            raise BadInput("SpikeSource.params", f"unknown parameter {sorted(values)[0]!r}",
                           "none (a spike source has no parameters)")
        return SpikeSourceParams()

    def init(self, params: SpikeSourceParams, shape, key) -> SpikeSourceState:
        """No spike yet; ``params`` and ``key`` are unused.

        Example
        -------
        >>> SpikeSource().init(SpikeSourceParams(), (2, 2), None).spike.shape
        (2, 2)
        """
        return SpikeSourceState(jnp.zeros(shape, jnp.float32))

    def step(self, params: SpikeSourceParams, state: SpikeSourceState, input, dt: float):
        """A spike where ``input > 0`` (dimensionless); ``dt`` (ms) is unused.

        Example
        -------
        >>> model = SpikeSource()
        >>> state, spikes = model.step(SpikeSourceParams(), model.init(SpikeSourceParams(), 1, None), jnp.ones(1), 0.1)
        >>> state.spike.tolist(), spikes.tolist()
        ([1.0], [1.0])
        """
        spikes = (jnp.broadcast_to(jnp.asarray(input), state.spike.shape) > 0).astype(jnp.float32)
        return SpikeSourceState(spikes), spikes
