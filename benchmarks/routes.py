"""Measure the two event-driven propagation routes and write the table that picks between them.

For each population size ``n`` and firing rate in a small grid, a square projection with
80 synapses per neuron on average (COBA's in-degree, ``fixed_probability``) propagates
the same Bernoulli spike trains (``rate * dt`` per neuron per step, dt 0.1 ms) through

- ``events``: :func:`~bioplastic.synapses.propagation.propagate_events` (pure JAX: a
  ``top_k`` search into a spike buffer sized for 200 Hz, then one row per spike);
- ``brainevent``: :func:`~bioplastic.synapses.propagation.propagate_brainevent`
  (BrainPy's compiled CSR kernel on the same padded out-lists);

and reports microseconds per step of each (best of ``--repeats``), plus ``search_us``:
the ``top_k`` search alone, which shows that the search grows linearly in ``n`` (not
``n log n``) at a fixed buffer. ``--write`` stores the grid as
``bioplastic/synapses/route_table.json``, the table :func:`bioplastic.synapses.routes.choose_route`
reads; rerun it on a new kind of machine (the table records the platform and version it
was measured with).

Usage::

    python benchmarks/routes.py                  # print the grid
    python benchmarks/routes.py --write          # ... and store it as the shipped table
    python benchmarks/routes.py --sizes 1000,4000 --rates-hz 20 --json
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic.synapses.connectivity import fixed_probability
from bioplastic.synapses.propagation import propagate_brainevent, propagate_events
from bioplastic.synapses.routes import TABLE_PATH

DT_MS = 0.1
SYNAPSES_PER_NEURON = 80.0


def best_seconds(call, repeats: int) -> float:
    """Best wall time of ``repeats`` calls after one warm-up (compilation) call."""
    jax.block_until_ready(call())
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(call())
        best = min(best, time.perf_counter() - start)
    return best


def measure(n: int, rate_hz: float, n_steps: int, repeats: int, seed: int) -> dict:
    """Microseconds per step of each route (and of the ``top_k`` search) at one grid point."""
    conn = fixed_probability(jax.random.PRNGKey(seed), n, n, min(1.0, SYNAPSES_PER_NEURON / n), 1.0)
    buffer = max(32, math.ceil(n * 200.0 * DT_MS * 1e-3))
    spikes = (jax.random.uniform(jax.random.PRNGKey(seed + 1), (n_steps, n)) < rate_hz * DT_MS * 1e-3).astype(jnp.float32)

    def replay(route):
        run = jax.jit(lambda spikes, conn: jax.lax.scan(lambda total, s: (total + route(conn, s), None),
                                                        jnp.zeros(conn.n_post), spikes)[0])
        return lambda: run(spikes, conn)

    routes = {
        "events": lambda conn, s: propagate_events(conn, s, buffer),
        "brainevent": propagate_brainevent,
        "search": lambda conn, s: jnp.zeros(conn.n_post).at[0].set(jax.lax.top_k(s, buffer)[1][0].astype(jnp.float32)),
    }
    row = {"n_pre": n, "rate_hz": rate_hz, "spikes_per_step": float(spikes.sum(axis=1).mean()), "buffer": buffer}
    for name, route in routes.items():
        row[f"{name}_us"] = best_seconds(replay(route), repeats) / n_steps * 1e6
    np.testing.assert_allclose(replay(routes["events"])(), replay(routes["brainevent"])(), rtol=1e-5, atol=1e-3)
    return row


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,4000,16000,64000,256000", help="population sizes (comma-separated)")
    parser.add_argument("--rates-hz", default="5,20,80", help="firing rates in Hz (comma-separated)")
    parser.add_argument("--steps", type=int, default=200, help="steps replayed per measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help=f"store the grid as {TABLE_PATH}")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        for rate in (float(x) for x in args.rates_hz.split(",")):
            rows.append(measure(n, rate, args.steps, args.repeats, args.seed))
            if not args.json:
                r = rows[-1]
                print(f"n {n:>7}  {rate:>5g} Hz  {r['spikes_per_step']:>8.1f} spikes/step   events {r['events_us']:>8.1f} us"
                      f"  brainevent {r['brainevent_us']:>8.1f} us  (search {r['search_us']:>7.1f} us)"
                      f"  -> {'events' if r['events_us'] <= r['brainevent_us'] else 'brainevent'}", flush=True)
    import brainevent

    table = {"measured_by": "python benchmarks/routes.py --write", "platform": jax.default_backend(),
             "machine": f"{platform.machine()}, {jax.local_device_count()} device(s), {platform.processor() or 'cpu'}",
             "versions": {"jax": jax.__version__, "brainevent": brainevent.__version__, "python": platform.python_version()},
             "dt_ms": DT_MS, "synapses_per_neuron": SYNAPSES_PER_NEURON, "rows": rows}
    if args.write:
        TABLE_PATH.write_text(json.dumps(table, indent=1) + "\n")
        if not args.json:
            print(f"wrote {TABLE_PATH}")
    if args.json:
        json.dump(table, sys.stdout, indent=1)
        print()
    return table


if __name__ == "__main__":
    main()
