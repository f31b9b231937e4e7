"""COBA benchmark: bioplastic against BrainPy (``brainpy.state``) on the same network, in one process.

For each network size the same COBA network (Vogels & Abbott 2005; 80 % excitatory,
80 synapses per neuron on average, exponential conductances, dt 0.1 ms) is simulated
for ``--duration-ms`` of simulated time by both simulators. Reported per simulator:

- ``compile_s``: wall time of the first call minus the best later call (tracing and
  XLA compilation; connectivity building is not included for either).
- ``s_per_sim_s``: best wall time of ``--repeats`` later calls / simulated seconds.
- ``rate_hz``: mean firing rate (must lie in 15-25 Hz: a rate near 50-60 Hz means the
  coupling is broken).

plus ``protocol``: the steady-state seconds per simulated second of ``bioplastic run
protocols/coba.toml``, the path users take (the protocol run end to end -- engine, chunks,
checkpoints, recordings -- at two durations; the difference over the difference in simulated
time cancels compilation and fixed costs), with its ratio to the fused network of the same
size; ``ratio`` = bioplastic / BrainPy steady-state time (target <= 0.5), a scaling table
over ``--sizes``, and the cost per step of the two spike-propagation routes (bioplastic's
pure-JAX event path and BrainPy's ``brainevent`` CSR kernel) replaying the same recorded
spikes, which is how the default route was chosen.

Usage::

    python benchmarks/coba.py                 # table
    python benchmarks/coba.py --json          # one JSON object
    python benchmarks/coba.py --sizes 4000    # no scaling table
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from brainpy_coba import run_brainpy_coba  # noqa: E402
from bioplastic.experiments import run_protocol  # noqa: E402
from bioplastic.networks.coba import CobaNetwork  # noqa: E402
from bioplastic.simulation import Probe, simulate  # noqa: E402
from bioplastic.synapses.propagation import brainevent_matrix, propagate_brainevent, propagate_events  # noqa: E402


def time_calls(call, repeats: int):
    """(first call seconds, best of ``repeats`` later calls, last result)."""
    start = time.perf_counter()
    result = jax.block_until_ready(call())
    first = time.perf_counter() - start
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = jax.block_until_ready(call())
        best = min(best, time.perf_counter() - start)
    return first, best, result


def run_bioplastic_coba(n_neurons: int, duration_ms: float, dt_ms: float, seed: int, repeats: int) -> dict:
    """Time bioplastic's COBA network; same figures as ``run_brainpy_coba``."""
    net = CobaNetwork.scaled(n_neurons, dt=dt_ms)
    params, state = net.build(jax.random.PRNGKey(seed))
    first, best, (_, rates) = time_calls(lambda: net.run(params, state, duration_ms), repeats)
    sim_s = duration_ms * 1e-3
    return {"compile_s": max(first - best, 0.0), "s_per_sim_s": best / sim_s, "rate_hz": float(np.mean(rates))}


PROTOCOL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "protocols", "coba.toml")


def run_protocol_path(durations_ms: tuple, repeats: int) -> dict:
    """Marginal seconds per simulated second of ``bioplastic run protocols/coba.toml`` (best of ``repeats``).

    Each repeat runs the protocol at the two ``durations_ms`` into a scratch folder, as the
    command line does; ``(t_long - t_short) / (long - short)`` is the steady-state cost.
    """
    short, long = durations_ms
    best = {}
    with tempfile.TemporaryDirectory() as out:
        for _ in range(repeats):
            for duration in (short, long):
                start = time.perf_counter()
                run_protocol(PROTOCOL, out, [f"simulation.duration_ms={duration}"], progress=False)
                best[duration] = min(best.get(duration, float("inf")), time.perf_counter() - start)
    return {"s_per_sim_s": (best[long] - best[short]) / ((long - short) * 1e-3), "durations_ms": [short, long],
            "wall_s": [best[short], best[long]]}


def propagation_routes(n_neurons: int, n_steps: int, seed: int, repeats: int) -> dict:
    """Microseconds per step of the two propagation routes on COBA's recorded spikes."""
    net = CobaNetwork.scaled(n_neurons)
    params, state = net.build(jax.random.PRNGKey(seed))
    _, rec = simulate(net.step, state, n_steps, params=params, dt=net.dt, probes={"s": Probe("output")})
    spikes = rec["s"]
    conn = params.synapses

    def replay(route):
        @jax.jit
        def run(spikes):
            return jax.lax.scan(lambda total, s: (total + route(s), None), jnp.zeros(conn.n_post), spikes)[0]

        return lambda: run(spikes)

    routes = {
        "pure_jax_events": lambda s: propagate_events(conn, s, net.buffer_size),
        "brainevent_csr": lambda s, matrix=brainevent_matrix(conn): propagate_brainevent(matrix, s),
    }
    out = {}
    results = {}
    for name, route in routes.items():
        _, best, results[name] = time_calls(replay(route), repeats)
        out[f"{name}_us_per_step"] = best / n_steps * 1e6
    np.testing.assert_allclose(results["pure_jax_events"], results["brainevent_csr"], rtol=1e-4, atol=1e-2)
    return out


def check_rate(name: str, figures: dict):
    if not 15.0 <= figures["rate_hz"] <= 25.0:
        print(f"WARNING: {name} fires at {figures['rate_hz']:.1f} Hz, outside 15-25 Hz", file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration-ms", type=float, default=1000.0)
    parser.add_argument("--dt-ms", type=float, default=0.1)
    parser.add_argument("--sizes", default="4000,8000,16000,32000", help="comma-separated network sizes")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--protocol-ms", default="500,2500", help="the two durations the protocol path is run for")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    scaling = []
    for n in sizes:
        if not args.json:
            print(f"running n = {n} ...", file=sys.stderr)
        ours = run_bioplastic_coba(n, args.duration_ms, args.dt_ms, args.seed, args.repeats)
        theirs = run_brainpy_coba(n, args.duration_ms, args.dt_ms, args.seed, args.repeats)
        check_rate(f"bioplastic (n={n})", ours)
        check_rate(f"BrainPy (n={n})", theirs)
        scaling.append({"n": n, "bioplastic": ours, "brainpy": theirs, "ratio": ours["s_per_sim_s"] / theirs["s_per_sim_s"]})

    base = scaling[0]
    protocol = run_protocol_path(tuple(float(d) for d in args.protocol_ms.split(",")), args.repeats)
    fused_4000 = base["bioplastic"] if base["n"] == 4000 else run_bioplastic_coba(4000, args.duration_ms, args.dt_ms,
                                                                                 args.seed, args.repeats)
    protocol["ratio_to_fused"] = protocol["s_per_sim_s"] / fused_4000["s_per_sim_s"]
    report = {
        "n": base["n"],
        "duration_ms": args.duration_ms,
        "bioplastic": base["bioplastic"],
        "brainpy": base["brainpy"],
        "ratio": base["ratio"],
        "protocol": protocol,
        "scaling": scaling,
        "propagation": propagation_routes(base["n"], 2000, args.seed, args.repeats),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "jax_backend": jax.default_backend()},
    }
    if args.json:
        print(json.dumps(report))
        return report

    print(f"\nCOBA, {args.duration_ms:g} ms simulated, dt {args.dt_ms} ms, {jax.default_backend()} backend")
    print(f"{'n':>7} | {'simulator':>10} | {'compile s':>9} | {'s / sim s':>9} | {'rate Hz':>7} | ratio")
    for row in scaling:
        for name in ("bioplastic", "brainpy"):
            f = row[name]
            ratio = f"{row['ratio']:.2f}" if name == "bioplastic" else ""
            print(f"{row['n']:>7} | {name:>10} | {f['compile_s']:9.2f} | {f['s_per_sim_s']:9.3f} | {f['rate_hz']:7.2f} | {ratio}")
    print(f"\nprotocol path (bioplastic run protocols/coba.toml, 4000 neurons): {protocol['s_per_sim_s']:.3f} s / sim s, "
          f"{protocol['ratio_to_fused']:.2f}x the fused network")
    prop = report["propagation"]
    print(f"\nspike propagation, n = {base['n']}: pure-JAX events {prop['pure_jax_events_us_per_step']:.1f} us/step, "
          f"brainevent CSR {prop['brainevent_csr_us_per_step']:.1f} us/step")
    return report


if __name__ == "__main__":
    main()
