"""Simulation protocols: a network of populations and projections simulated in time.

Example
-------
>>> KIND.table, KIND.default
('simulation', True)
"""

from bioplastic.experiments.kind import Kind
from bioplastic.experiments.simulation.batch import batched_work
from bioplastic.experiments.simulation.build import SIMULATION_PLOTS, build_experiment
from bioplastic.experiments.simulation.run import SimulationWork
from bioplastic.experiments.simulation.schema import SimulationProtocol
from bioplastic.experiments.simulation.size import estimate_simulation


def _summary(experiment) -> str:
    return (f"{experiment.n_steps} steps of {experiment.dt:g} ms, {len(experiment.network.populations)} populations, "
            f"{len(experiment.network.projections)} projections")


KIND = Kind("simulation", SimulationProtocol, build_experiment, estimate_simulation,
            SimulationWork, _summary, tuple(SIMULATION_PLOTS),
            "a network of populations and projections simulated in time", default=True, batch=batched_work)
