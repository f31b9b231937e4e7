"""Neuron models: each a frozen object with ``params``, ``init`` and ``step`` (see ``base``).

Example
-------
>>> from bioplastic.neurons import LIF, Izhikevich, RateUnit
>>> sorted(LIF.state_variables)
['refractory_steps', 'spike', 'v']
"""

from bioplastic.neurons.base import NeuronModel
from bioplastic.neurons.dyadic import DyadicInput, DyadicUnit, dyad_activity, dyad_error
from bioplastic.neurons.izhikevich import PRESETS, Izhikevich, excitatory_inhibitory_params
from bioplastic.neurons.lif import LIF, ConductanceInput
from bioplastic.neurons.rate import RateUnit
from bioplastic.neurons.spike_source import SpikeSource
from bioplastic.neurons.surrogate import Surrogate, spike
from bioplastic.neurons.two_compartment import TwoCompartmentInput, TwoCompartmentUnit

__all__ = [
    "NeuronModel",
    "LIF",
    "ConductanceInput",
    "Izhikevich",
    "PRESETS",
    "excitatory_inhibitory_params",
    "RateUnit",
    "SpikeSource",
    "DyadicUnit",
    "DyadicInput",
    "dyad_activity",
    "dyad_error",
    "TwoCompartmentUnit",
    "TwoCompartmentInput",
    "Surrogate",
    "spike",
]
