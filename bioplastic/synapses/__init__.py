"""Connectivity builders, spike propagation, synapse dynamics and delays.

Example
-------
>>> import jax
>>> from bioplastic.synapses import fixed_probability, propagate_events
>>> conn = fixed_probability(jax.random.PRNGKey(0), 10, 10, 0.5, 1.0)
>>> propagate_events(conn, jax.numpy.ones(10), max_events=4).shape
(10,)
"""

from bioplastic.synapses.connectivity import Connectivity, dense, fixed_out_degree, fixed_probability, stack
from bioplastic.synapses.delay import SpikeDelay
from bioplastic.synapses.exponential import ExponentialSynapse
from bioplastic.synapses.propagation import (
    count_overflow,
    propagate_brainevent,
    propagate_events,
    propagate_rows,
)

__all__ = [
    "Connectivity",
    "dense",
    "fixed_probability",
    "fixed_out_degree",
    "stack",
    "SpikeDelay",
    "ExponentialSynapse",
    "propagate_events",
    "propagate_rows",
    "propagate_brainevent",
    "count_overflow",
]
