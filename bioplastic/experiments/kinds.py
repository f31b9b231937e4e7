"""The table of protocol kinds: one entry per folder of :mod:`bioplastic.experiments`.

A new kind is a folder with its schema, build, run and plots, plus one line here.

Example
-------
>>> list(KINDS)
['simulation', 'training', 'continual', 'prediction', 'theta']
"""

from bioplastic.experiments import continual, prediction, simulation, theta, training
from bioplastic.experiments.kind import Kind

KINDS: dict[str, Kind] = {kind.table: kind for kind in (
    simulation.KIND,
    training.KIND,
    continual.KIND,
    prediction.KIND,
    theta.KIND,
)}
