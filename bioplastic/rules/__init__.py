"""Learning rules: pure ``init`` / ``update`` pairs built by factories (see ``base``).

Example
-------
>>> from bioplastic.rules import stdp
>>> stdp(dt_ms=0.1).signals
()
"""

from bioplastic.rules.backprop import backprop
from bioplastic.rules.base import Rule
from bioplastic.rules.bcm import bcm
from bioplastic.rules.dopamine_stdp import dopamine_stdp
from bioplastic.rules.dual_propagation import dual_propagation
from bioplastic.rules.equilibrium_propagation import equilibrium_propagation
from bioplastic.rules.inhibitory_stdp import inhibitory_stdp
from bioplastic.rules.oja import oja
from bioplastic.rules.stdp import reward_modulated_stdp, stdp
from bioplastic.rules.triplet_stdp import triplet_stdp

__all__ = ["Rule", "stdp", "reward_modulated_stdp", "dual_propagation", "backprop", "equilibrium_propagation", "bcm", "oja", "triplet_stdp", "inhibitory_stdp", "dopamine_stdp"]
