"""The time loop and what it is fed: inputs, probes, and input schedules such as the theta gate.

:func:`simulate` runs one ``jax.lax.scan`` over time steps inside ``jit``
(:mod:`bioplastic.simulation.loop`), fed by the inputs of :mod:`bioplastic.simulation.inputs`;
:mod:`bioplastic.simulation.theta_gate` makes the theta schedules that switch two-compartment
units between inference and generation.

Example
-------
>>> from bioplastic.simulation import Constant, drive_at
>>> float(drive_at(Constant(2.0), 0, 0.1))
2.0
"""

from bioplastic.simulation.inputs import Constant, ItemSequence, Periodic, Poisson, Step, TimeSeries, Windowed
from bioplastic.simulation.loop import (
    Events,
    Probe,
    drive_at,
    lower_simulation,
    probe_shapes,
    run_seeds,
    simulate,
)

__all__ = ["Constant", "Events", "ItemSequence", "Periodic", "Poisson", "Probe", "Step", "TimeSeries", "Windowed", "drive_at", "lower_simulation", "probe_shapes",
           "run_seeds", "simulate"]
