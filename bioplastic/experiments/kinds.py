"""The table of protocol kinds: one entry per folder of :mod:`bioplastic.experiments`.

A new kind is a folder with its schema, build, run and plots, plus one line here.

Example
-------
>>> list(KINDS)
['simulation', 'training', 'continual', 'prediction', 'theta', 'distal_reward']
"""

# The order of these imports is the order kinds register their plots (and are listed).
from bioplastic.experiments import simulation  # isort: skip
from bioplastic.experiments import training  # isort: skip
from bioplastic.experiments import continual  # isort: skip
from bioplastic.experiments import prediction  # isort: skip
from bioplastic.experiments import theta  # isort: skip
from bioplastic.experiments import distal_reward  # isort: skip
from bioplastic.experiments.kind import Kind

KINDS: dict[str, Kind] = {kind.table: kind for kind in (
    simulation.KIND,
    training.KIND,
    continual.KIND,
    prediction.KIND,
    theta.KIND,
    distal_reward.KIND,
)}
