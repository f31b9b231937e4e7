"""Training speed of the theta-gated path-integration model (experiment B), against its 60-s budget.

The network of ``protocols/theta_path_integration.toml`` (HPC 100, EC 100, 200
conjunctive velocity cells, 5 Hz theta, 25-ms steps) trains for ``--steps`` steps (72,000
= 30 simulated minutes) exactly as ``bioplastic run`` does: one jitted scan per simulated
minute, the mismatch of every step and the decoder recordings brought back to the host.
Timed twice in one process: the first run includes compilation (what a user waits for),
the second is the steady state. The environment (path, place cells) is drawn before the
clock starts.

Usage::

    python benchmarks/theta.py            # table
    python benchmarks/theta.py --json     # {"steps", "seconds", "steady_seconds", "budget_ratio", ...}
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import jax
import numpy as np

from bioplastic.experiments import load_protocol
from bioplastic.experiments.theta.build import build_theta
from bioplastic.experiments.theta.run import train

PROTOCOL = pathlib.Path(__file__).resolve().parents[1] / "protocols" / "theta_path_integration.toml"
BUDGET_S = 60.0


def time_training(experiment, seed: int, n_steps: int) -> float:
    """Wall time (s) of training ``n_steps`` steps from the untrained state, results on the host.

    The network's ``compiled_run`` is compiled by the first call and reused by the next.
    """
    environment = experiment.environment(seed, n_steps, experiment.keys(seed)["path"])
    gates = experiment.gates(n_steps, seed)
    state = experiment.initial_state(seed)
    jax.block_until_ready((environment.inputs, state))
    start = time.perf_counter()
    state, mismatch, recorded = train(experiment, experiment.network, state, environment, gates, record_from=0)
    jax.block_until_ready(state)
    elapsed = time.perf_counter() - start
    assert all(np.isfinite(values).all() for values in mismatch.values())
    return elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=72000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    minutes = args.steps * 25.0 / 60000.0
    protocol, _ = load_protocol(PROTOCOL, [f"theta.minutes={minutes}", f"theta.test.decoder_minutes={min(minutes, 10.0)}"])
    experiment = build_theta(protocol, str(PROTOCOL))
    first = time_training(experiment, protocol.seed, experiment.train_steps)
    steady = time_training(experiment, protocol.seed, experiment.train_steps)
    result = {"steps": experiment.train_steps, "seconds": first, "steady_seconds": steady,
              "budget_ratio": first / BUDGET_S, "steps_per_second": experiment.train_steps / steady,
              "realtime_factor": experiment.train_steps * 0.025 / steady, "device": jax.devices()[0].platform}
    if args.json:
        print(json.dumps(result))
        return result
    print(f"theta path integration (HPC 100, EC 100, 200 conjunctive cells), {result['device']}:")
    print(f"  {result['steps']} steps, first run (with compilation): {first:6.2f} s = {result['budget_ratio']:.3f} x "
          f"the {BUDGET_S:g}-s budget")
    print(f"  steady state: {steady:6.2f} s, {result['steps_per_second']:,.0f} steps/s, "
          f"{result['realtime_factor']:.0f} x real time")
    return result


if __name__ == "__main__":
    main()
