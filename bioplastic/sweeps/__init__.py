"""Sweeps: seeds and parameter grids of any protocol, every point an ordinary run folder, and their aggregate.

Example
-------
>>> from bioplastic.sweeps import SweepPlan, parse_seeds
>>> len(SweepPlan(parse_seeds("1-3"), {"training.epochs": ("1", "2")}).points())
6
"""

from bioplastic.sweeps.plan import SweepPlan, parse_grid, parse_seeds
from bioplastic.sweeps.run import run_sweep, sweep_plan

__all__ = ["SweepPlan", "parse_grid", "parse_seeds", "run_sweep", "sweep_plan"]
