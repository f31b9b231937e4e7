"""Counter-current learning vs backprop: seconds and FLOPs per training step on the same MLP and batch.

The MLP is the authors' 784-256x5-10 (ELU, no biases), batch 256, each network trained by
SGD with gradient clipping; one jitted training step per rule, timed in one process after
compilation (median of ``--repeats`` blocks of ``--steps`` steps). FLOPs per step are read
from the compiled program (XLA cost analysis), so they count what actually runs: CCL
trains two networks (forward and feedback) but needs no backward sweep through depth.

Usage::

    python benchmarks/counter_current.py            # table
    python benchmarks/counter_current.py --json     # {"ccl_s", "bp_s", "ccl_over_bp", "ccl_flops", "bp_flops", ...}
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import numpy as np
import optax

from bioplastic.layers.counter_current import CounterCurrentParams, init_counter_current
from bioplastic.rules.counter_current import counter_current
from bioplastic.rules.counter_current_baselines import backprop_baseline
from bioplastic.train.batches import make_step


def measure(rule, params, optimizer, x, y, steps: int, repeats: int) -> dict:
    """Compile time, FLOPs of the compiled step, and median seconds per step."""
    step = make_step(rule, optimizer)
    state = (params, rule.init(params), optimizer.init(params))
    start = time.perf_counter()
    compiled = step.lower(*state, x, y).compile()
    compile_s = time.perf_counter() - start
    analysis = compiled.cost_analysis()
    analysis = analysis[0] if isinstance(analysis, (list, tuple)) else analysis
    jax.block_until_ready(compiled(*state, x, y))
    blocks = []
    for _ in range(repeats):
        current = state
        start = time.perf_counter()
        for _ in range(steps):
            current = compiled(*current, x, y)
        jax.block_until_ready(current)
        blocks.append((time.perf_counter() - start) / steps)
    return {"compile_s": compile_s, "flops": float(analysis.get("flops", float("nan"))), "s": float(np.median(blocks))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="784,256,256,256,256,256,10")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    params = init_counter_current(jax.random.PRNGKey(0), sizes)
    x = jax.random.uniform(jax.random.PRNGKey(1), (args.batch, sizes[0]))
    y = jax.nn.one_hot(jax.random.randint(jax.random.PRNGKey(2), (args.batch,), 0, sizes[-1]), sizes[-1])
    per_network = optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(1.0))
    labels = CounterCurrentParams(("forward",) * (len(sizes) - 1), ("feedback",) * (len(sizes) - 1))
    optimizer = optax.multi_transform({"forward": per_network, "feedback": per_network}, labels)
    ccl = measure(counter_current(), params, optimizer, x, y, args.steps, args.repeats)
    bp = measure(backprop_baseline(), params, optimizer, x, y, args.steps, args.repeats)
    figures = {
        "ccl_s": ccl["s"], "bp_s": bp["s"], "ccl_over_bp": ccl["s"] / bp["s"],
        "ccl_flops": ccl["flops"], "bp_flops": bp["flops"], "ccl_flops_over_bp": ccl["flops"] / bp["flops"],
        "ccl_compile_s": ccl["compile_s"], "bp_compile_s": bp["compile_s"],
        "sizes": list(sizes), "batch": args.batch, "backend": jax.default_backend(),
    }
    if args.json:
        print(json.dumps(figures))
        return figures
    print(f"MLP {'-'.join(map(str, sizes))}, batch {args.batch}, SGD with clipping, per training step:")
    print(f"  CCL: {ccl['s'] * 1e3:7.2f} ms  {ccl['flops'] / 1e9:6.3f} GFLOP  (compile {ccl['compile_s']:.2f} s)")
    print(f"  BP:  {bp['s'] * 1e3:7.2f} ms  {bp['flops'] / 1e9:6.3f} GFLOP  (compile {bp['compile_s']:.2f} s)")
    print(f"  CCL / BP: time {figures['ccl_over_bp']:.2f}, FLOPs {figures['ccl_flops_over_bp']:.2f}")
    return figures


if __name__ == "__main__":
    main()
