"""HLOP's overhead: training time per task with and without the Hebbian subspaces, one process.

The authors' permuted-MNIST network (784-800-800-10 spiking MLP, T = 20, DSR), batch 64,
SGD: one jitted training step of plain training and one of HLOP in the state of a second
task (80 / 200 / 100 frozen rows, 70 new rows per layer learning by 5 Oja iterations per
batch), timed after compilation (median of ``--repeats`` blocks of ``--steps`` steps, the
kinds of block alternating), and scaled to a task of 60000 images (937 steps). HLOP's
gradient is projected off the frozen rows the way the protocols do it, in DSR's backward
pass on the presynaptic activity (``hlop``), and, for comparison, on the finished gradient
(``hlop_gradient_projected``; the route of a trainer that cannot project itself).

Usage::

    python benchmarks/hlop.py            # table
    python benchmarks/hlop.py --json     # {"hlop_s", "plain_s", "overhead", ...}
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import numpy as np
import optax

from bioplastic.networks.spiking_mlp import init_spiking_mlp, spiking_gradients
from bioplastic.train.continual import ContinualSettings, continual_step
from bioplastic.rules.hlop import frozen_rows_of, init_hlop, start_task

SIZES = (784, 800, 800, 10)
BATCH = 64
STEPS_PER_TASK = 60000 // BATCH


def seconds_per_step(steps_and_states: dict, x, y, steps: int, repeats: int) -> dict:
    """Median seconds per step of each ``name: (step, state)``, timed in alternating blocks of ``steps`` steps.

    Alternating the blocks (one of each, ``repeats`` times) exposes every step to the same
    machine load, so the ratio is not skewed by load that changes during the run.
    """
    carries, blocks = {}, {name: [] for name in steps_and_states}
    for name, (step, state) in steps_and_states.items():
        carries[name] = step(*state, x, y)          # compile
        jax.block_until_ready(carries[name])
    for _ in range(repeats):
        for name, (step, _) in steps_and_states.items():
            carry = carries[name]
            start = time.perf_counter()
            for _ in range(steps):
                carry = step(*carry, x, y)
            jax.block_until_ready(carry)
            blocks[name].append((time.perf_counter() - start) / steps)
            carries[name] = carry
    return {name: float(np.median(times)) for name, times in blocks.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    weights = init_spiking_mlp(jax.random.PRNGKey(0), SIZES)
    x = jax.random.normal(jax.random.PRNGKey(1), (BATCH, SIZES[0]))
    y = jax.random.randint(jax.random.PRNGKey(2), (BATCH,), 0, SIZES[-1])
    optimizer = optax.sgd(0.1)
    settings = ContinualSettings(method="hlop", batch_size=BATCH)
    subspaces = init_hlop(jax.random.PRNGKey(3), SIZES[:-1], settings.hlop_rows_first)
    subspaces = start_task(subspaces, jax.random.PRNGKey(4), settings.hlop_rows_added)
    gradients = lambda w, x, y, frozen=None: spiking_gradients(w, x, y, "dsr", frozen=frozen)  # noqa: E731
    frozen_rows = frozen_rows_of(subspaces)
    seconds = seconds_per_step({
        "plain": (continual_step(gradients, optimizer, settings, False, False),
                  (weights, optimizer.init(weights), (None, None, None, None))),
        "hlop": (continual_step(gradients, optimizer, settings, True, False, frozen_rows, projects=True),
                 (weights, optimizer.init(weights), (subspaces, None, None, None))),
        "hlop_gradient_projected": (continual_step(gradients, optimizer, settings, True, False, frozen_rows),
                                    (weights, optimizer.init(weights), (subspaces, None, None, None))),
    }, x, y, args.steps, args.repeats)
    plain, hlop, after = seconds["plain"], seconds["hlop"], seconds["hlop_gradient_projected"]
    result = {"hlop_s": hlop * STEPS_PER_TASK, "plain_s": plain * STEPS_PER_TASK, "overhead": hlop / plain,
              "overhead_projecting_the_gradient": after / plain,
              "hlop_step_s": hlop, "plain_step_s": plain, "steps_per_task": STEPS_PER_TASK,
              "sizes": list(SIZES), "batch": BATCH, "device": jax.devices()[0].platform}
    if args.json:
        print(json.dumps(result))
        return result
    print(f"784-800-800-10 spiking MLP, DSR, batch {BATCH}, {jax.devices()[0].platform}:")
    print(f"  plain training: {plain * 1e3:7.1f} ms/step, {result['plain_s']:6.1f} s per task")
    print(f"  with HLOP:      {hlop * 1e3:7.1f} ms/step, {result['hlop_s']:6.1f} s per task")
    print(f"  overhead (HLOP / plain): {result['overhead']:.2f} (the trainer projects the presynaptic activity "
          f"in its backward pass; projecting the finished gradient instead: {result['overhead_projecting_the_gradient']:.2f})")
    return result


if __name__ == "__main__":
    main()
