"""Exponential synapses: a trace that jumps by the arriving weight and decays with ``tau_ms``.

Per step of ``dt`` ms::

    g(t + dt) = g(t) exp(-dt / tau) + arriving

where ``arriving`` is the summed weight of the spikes delivered in this step (from
:mod:`bioplastic.synapses.propagation`). A **current-based** synapse gives the neuron
the current ``g`` (mV, as R*I); a **conductance-based** synapse gives it the conductance
``g`` (relative to leak) with reversal potential ``reversal_mv``, and the neuron
computes the driving force ``g (E - v)`` itself (see
:class:`bioplastic.neurons.lif.ConductanceInput`). With a single spike of weight ``w``
at ``t = 0``, ``g(t) = w exp(-t / tau)`` exactly at every step: no integration error.

Example
-------
>>> import jax.numpy as jnp
>>> from bioplastic.synapses.exponential import ExponentialSynapse
>>> syn = ExponentialSynapse(tau_ms=5.0, reversal_mv=0.0)
>>> g = syn.step(jnp.zeros(2), jnp.array([1.0, 0.0]), dt=5.0)
>>> [round(x, 4) for x in syn.step(g, jnp.zeros(2), dt=5.0).tolist()]
[0.3679, 0.0]
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import jax
import jax.numpy as jnp

from bioplastic._checks import check_finite, check_positive


@dataclasses.dataclass(frozen=True)
class ExponentialSynapse:
    """Exponentially decaying synaptic trace.

    Parameters
    ----------
    tau_ms : float
        Decay time constant (ms), > 0.
    reversal_mv : float or None
        Reversal potential (mV) of a conductance-based synapse; ``None`` for current-based.

    Example
    -------
    >>> ExponentialSynapse(tau_ms=10.0, reversal_mv=-80.0).conductance_based
    True
    """

    tau_ms: float
    reversal_mv: Optional[float] = None

    def __post_init__(self):
        check_positive(self.tau_ms, "ExponentialSynapse.tau_ms", "ms")
        if self.reversal_mv is not None:
            check_finite(self.reversal_mv, "ExponentialSynapse.reversal_mv")

    @property
    def conductance_based(self) -> bool:
        """True when the synapse carries a conductance with a reversal potential.

        Example
        -------
        >>> ExponentialSynapse(tau_ms=5.0).conductance_based, ExponentialSynapse(5.0, reversal_mv=0.0).conductance_based
        (False, True)
        """
        return self.reversal_mv is not None

    def step(self, g: jax.Array, arriving: jax.Array, dt: float) -> jax.Array:
        """Decay ``g`` over ``dt`` ms and add the ``arriving`` weight.

        Parameters
        ----------
        g : array
            Trace before the step (mV for a current-based synapse, x leak conductance for a
            conductance-based one).
        arriving : array
            Summed weight of the spikes delivered in this step (same units as ``g``).
        dt : float
            Step (ms).

        Returns
        -------
        array
            ``g exp(-dt / tau_ms) + arriving``.

        Example
        -------
        Without input the trace shrinks by ``exp(-dt / tau) = exp(-0.2)`` every step:

        >>> syn = ExponentialSynapse(tau_ms=5.0)
        >>> g = jnp.array([2.0])
        >>> ratios = []
        >>> for _ in range(3):
        ...     new = syn.step(g, jnp.zeros(1), dt=1.0)
        ...     ratios.append(round(float(new[0] / g[0]), 4))
        ...     g = new
        >>> ratios, round(float(jnp.exp(-0.2)), 4)
        ([0.8187, 0.8187, 0.8187], 0.8187)

        Arriving weight adds after the decay: ``2 exp(-0.2) + 0.5``:

        >>> round(float(syn.step(jnp.array([2.0]), jnp.array([0.5]), dt=1.0)[0]), 4)
        2.1375
        """
        return g * jnp.exp(-dt / self.tau_ms) + arriving
