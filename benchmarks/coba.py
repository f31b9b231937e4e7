"""COBA benchmark: bioplastic against BrainPy (``brainpy.state``) and Brian2's C++ standalone mode, in one run.

For each network size the same COBA network (Vogels & Abbott 2005; 80 % excitatory,
80 synapses per neuron on average, exponential conductances, dt 0.1 ms) is simulated
for ``--duration-ms`` of simulated time by both simulators. Reported per simulator:

- ``compile_s``: wall time of the first call minus the best later call (tracing and
  XLA compilation; connectivity building is not included for either). For bioplastic
  also ``compile_only_s``: tracing, lowering and XLA compilation measured on their own
  (``jax.jit(...).lower(...).compile()``), free of the run-to-run noise that
  ``compile_s`` carries at large sizes.
- ``s_per_sim_s``: best wall time of ``--repeats`` later calls / simulated seconds.
- ``rate_hz``: mean firing rate (must lie in 15-25 Hz: a rate near 50-60 Hz means the
  coupling is broken).
- ``memory_bytes`` (bioplastic): bytes of the network's arrays (connectivity, neuron
  parameters and state, conductances), with ``bytes_per_neuron`` and ``bytes_per_synapse``
  (the arrays over the neurons and over the synapses, each on its own: the synapses
  dominate).

plus:

- ``protocol``: the steady-state seconds per simulated second of ``bioplastic run
  protocols/coba.toml``, the path users take (the protocol run end to end -- engine,
  chunks, checkpoints, recordings -- at two durations; the difference over the
  difference in simulated time cancels compilation and fixed costs), with its ratio to
  ``CobaNetwork`` of the same size run as one scan (``network_s_per_sim_s``, timed in
  turn with the protocol; ``ratio_to_fused``: the key keeps the name it had when
  ``CobaNetwork`` was a separate, hand-fused engine), the protocol's network run
  as one scan (``scan_s_per_sim_s``) and the share of the protocol's time spent outside
  that scan (``chunk_overhead``: chunking, recordings, checkpoints, the NaN watch, plots);
- ``brian2_cpp``: Brian2's C++ standalone mode on the same network at the first size, in
  its own virtual environment (Brian2 needs numpy < 2.4; see ``brian2_cpp.py``), or the
  reason it is left out;
- ``ratio`` = bioplastic / BrainPy steady-state time (target <= 0.5), a scaling table
  over ``--sizes``, and ``projection``: memory and seconds per simulated second at 10^6
  neurons from straight lines fitted to the measured sizes;
- the cost per step of the two event-driven propagation routes (bioplastic's pure-JAX
  event path and BrainPy's ``brainevent`` CSR kernel) on one projection of the first
  size at 20 Hz (``benchmarks/routes.py``, which measures the table the route is chosen
  from), and the route chosen there.

Usage::

    python benchmarks/coba.py                 # table
    python benchmarks/coba.py --json          # one JSON object
    python benchmarks/coba.py --sizes 4000    # no scaling table
    python benchmarks/coba.py --device gpu    # on a CUDA machine (jax[cuda] installed)
    python benchmarks/coba.py --sizes 64000 --no-protocol --no-brian2 --json   # one more size, bioplastic and BrainPy

``--no-brainpy``, ``--no-protocol``, ``--no-propagation`` and ``--no-brian2`` leave the
BrainPy side, the protocol path, the propagation routes and the Brian2 entry out (each
entry then reads ``{"left_out": "--no-..."}`` and its ratios ``None``): for a machine
without one of them, or to add sizes without repeating the work done at the first size
(``benchmarks/gpu_session.sh`` does both).
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
import numpy as np  # noqa: E402

from brian2_cpp import brian2_python, run_brian2_cpp  # noqa: E402
from bioplastic.experiments import run_protocol, validate_protocol  # noqa: E402
from bioplastic.networks.coba import CobaNetwork  # noqa: E402
from bioplastic.simulation import lower_simulation, simulate  # noqa: E402
from bioplastic.synapses.routes import choose_route  # noqa: E402
from routes import measure  # noqa: E402


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


def array_bytes(*trees) -> int:
    """Bytes of every array leaf of ``trees``."""
    return sum(int(np.asarray(leaf).nbytes) for tree in trees for leaf in jax.tree_util.tree_leaves(tree))


def compile_only(net: CobaNetwork, params, state, n_steps: int) -> float:
    """Seconds to trace, lower and compile the loop of ``net.run`` (nothing runs)."""
    start = time.perf_counter()
    lower_simulation(net.network.step, state, n_steps, params=params, **net.run_arguments(n_steps)).compile()
    return time.perf_counter() - start


def run_bioplastic_coba(n_neurons: int, duration_ms: float, dt_ms: float, seed: int, repeats: int) -> dict:
    """Time bioplastic's COBA network; the figures of ``run_brainpy_coba`` and its memory."""
    net = CobaNetwork.scaled(n_neurons, dt=dt_ms)
    params, state = net.build(jax.random.PRNGKey(seed))
    compile_s = compile_only(net, params, state, int(round(duration_ms / dt_ms)))
    first, best, (_, rates) = time_calls(lambda: net.run(params, state, duration_ms), repeats)
    sim_s = duration_ms * 1e-3
    memory = array_bytes(params, state)
    n_synapses = sum(int(conn.n_synapses) for conn in params["projections"].values())
    synapse_bytes = array_bytes(params["projections"])
    return {"compile_s": max(first - best, 0.0), "compile_only_s": compile_s, "s_per_sim_s": best / sim_s,
            "rate_hz": float(np.mean(rates)), "memory_bytes": memory, "n_synapses": n_synapses,
            "bytes_per_neuron": (memory - synapse_bytes) / n_neurons, "bytes_per_synapse": synapse_bytes / n_synapses}


def projection(scaling: list, n: int = 1_000_000) -> dict:
    """Memory and seconds per simulated second at ``n`` neurons from least-squares lines through the measured sizes.

    Both grow linearly with the number of neurons at a fixed number of synapses per neuron
    (and so of synaptic events per step); with fewer than two sizes there is nothing to fit.
    """
    if len(scaling) < 2:
        return {"n": n, "note": "needs at least two sizes"}
    sizes = np.array([row["n"] for row in scaling], float)
    fit = {key: np.polyfit(sizes, [row["bioplastic"][key] for row in scaling], 1)
           for key in ("s_per_sim_s", "memory_bytes")}
    return {"n": n, "s_per_sim_s": float(np.polyval(fit["s_per_sim_s"], n)),
            "memory_bytes": float(np.polyval(fit["memory_bytes"], n)),
            "slope_s_per_sim_s_per_neuron": float(fit["s_per_sim_s"][0]),
            "slope_bytes_per_neuron": float(fit["memory_bytes"][0]), "fitted_sizes": sizes.astype(int).tolist()}


PROTOCOL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "protocols", "coba.toml")


def run_protocol_path(durations_ms: tuple, repeats: int, duration_ms: float, dt_ms: float, seed: int) -> dict:
    """Marginal seconds per simulated second of ``bioplastic run protocols/coba.toml``, beside the same network as one scan.

    After one run that compiles, each repeat runs the protocol at the two ``durations_ms``
    into a scratch folder, as the command line does (``(t_long - t_short) / (long - short)``
    is the steady-state cost), then the protocol's network as one scan of ``durations_ms[0]``
    and ``CobaNetwork.run`` of ``duration_ms``: the four timings alternate, so the ratios
    compare runs under the same machine load; each figure is the best of ``repeats``.
    """
    short, long = durations_ms
    e = validate_protocol(PROTOCOL, [f"simulation.duration_ms={short}"])
    net = CobaNetwork.scaled(4000, dt=dt_ms)
    params, state = net.build(jax.random.PRNGKey(seed))
    calls = {
        "scan": lambda: simulate(e.network.step, e.state, int(round(short / e.dt)), params=e.params, drive=e.drive,
                                 dt=e.dt, check=False),
        "network": lambda: net.run(params, state, duration_ms),
    }
    best = {}
    with tempfile.TemporaryDirectory() as out:
        run_protocol(PROTOCOL, out, [f"simulation.duration_ms={short}"], progress=False)     # compiles
        for call in calls.values():
            jax.block_until_ready(call())
        for _ in range(repeats):
            for duration in (short, long):
                start = time.perf_counter()
                run_protocol(PROTOCOL, out, [f"simulation.duration_ms={duration}"], progress=False)
                best[duration] = min(best.get(duration, float("inf")), time.perf_counter() - start)
            for name, call in calls.items():
                start = time.perf_counter()
                jax.block_until_ready(call())
                best[name] = min(best.get(name, float("inf")), time.perf_counter() - start)
    marginal = (best[long] - best[short]) / ((long - short) * 1e-3)
    scan_s_per_sim_s = best["scan"] / (short * 1e-3)
    network_s_per_sim_s = best["network"] / (duration_ms * 1e-3)
    return {"s_per_sim_s": marginal, "durations_ms": [short, long], "wall_s": [best[short], best[long]],
            "scan_s_per_sim_s": scan_s_per_sim_s, "chunk_overhead": 1.0 - scan_s_per_sim_s / marginal,
            "network_s_per_sim_s": network_s_per_sim_s, "ratio_to_fused": marginal / network_s_per_sim_s}


def propagation_routes(n_neurons: int, n_steps: int, seed: int, repeats: int) -> dict:
    """Microseconds per step of the two event-driven routes on one ``n_neurons`` projection at 20 Hz."""
    row = measure(n_neurons, 20.0, n_steps, repeats, seed)
    return {"pure_jax_events_us_per_step": row["events_us"], "brainevent_csr_us_per_step": row["brainevent_us"],
            "chosen": choose_route(n_neurons)}


def left_out(flag: str) -> dict:
    """The entry of a part left out by ``flag``."""
    return {"left_out": flag}


def brian2_entry(args, n_neurons: int) -> dict:
    """Brian2's C++ standalone figures at ``n_neurons``, or ``{"left_out": reason}``."""
    if args.no_brian2:
        return left_out("--no-brian2")
    python, reason = brian2_python(args.brian2_python, create=True)
    if python is None:
        return {"left_out": reason}
    try:
        figures = run_brian2_cpp(n_neurons, args.duration_ms, args.dt_ms, args.seed, args.repeats, python)
    except RuntimeError as error:
        return {"left_out": str(error)}
    check_rate(f"Brian2 C++ (n={n_neurons})", figures)
    return figures


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
    parser.add_argument("--brian2-python", help="a python with Brian2 installed (default: $BIOPLASTIC_BRIAN2_PYTHON, "
                                                "else a virtual environment created in ~/.cache/bioplastic)")
    parser.add_argument("--no-brian2", action="store_true", help="leave the Brian2 C++ standalone entry out")
    parser.add_argument("--no-brainpy", action="store_true", help="leave the BrainPy side out (bioplastic alone)")
    parser.add_argument("--no-protocol", action="store_true", help="leave the protocol path out")
    parser.add_argument("--no-propagation", action="store_true",
                        help="leave the propagation routes out (their brainevent route is BrainPy's)")
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu", help="the JAX platform to run on")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args(argv)
    jax.config.update("jax_default_device", jax.devices(args.device)[0])
    sizes = [int(s) for s in args.sizes.split(",")]

    scaling = []
    for n in sizes:
        if not args.json:
            print(f"running n = {n} ...", file=sys.stderr)
        ours = run_bioplastic_coba(n, args.duration_ms, args.dt_ms, args.seed, args.repeats)
        check_rate(f"bioplastic (n={n})", ours)
        if args.no_brainpy:
            theirs, ratio = left_out("--no-brainpy"), None
        else:
            from brainpy_coba import run_brainpy_coba     # imports BrainPy: not needed with --no-brainpy

            theirs = run_brainpy_coba(n, args.duration_ms, args.dt_ms, args.seed, args.repeats)
            check_rate(f"BrainPy (n={n})", theirs)
            ratio = ours["s_per_sim_s"] / theirs["s_per_sim_s"]
        scaling.append({"n": n, "bioplastic": ours, "brainpy": theirs, "ratio": ratio})

    base = scaling[0]
    protocol = left_out("--no-protocol") if args.no_protocol else run_protocol_path(
        tuple(float(d) for d in args.protocol_ms.split(",")), args.repeats, args.duration_ms, args.dt_ms, args.seed)
    brian2 = brian2_entry(args, base["n"])
    if "s_per_sim_s" in brian2:
        brian2["ratio_bioplastic_to_brian2"] = base["bioplastic"]["s_per_sim_s"] / brian2["s_per_sim_s"]
        brian2["ratio_protocol_to_brian2"] = (protocol["s_per_sim_s"] / brian2["s_per_sim_s"]
                                              if base["n"] == 4000 and "s_per_sim_s" in protocol else None)
    report = {
        "n": base["n"],
        "duration_ms": args.duration_ms,
        "bioplastic": base["bioplastic"],
        "brainpy": base["brainpy"],
        "ratio": base["ratio"],
        "protocol": protocol,
        "brian2_cpp": brian2,
        "scaling": scaling,
        "projection": projection(scaling),
        "propagation": (left_out("--no-propagation") if args.no_propagation
                        else propagation_routes(base["n"], 2000, args.seed, args.repeats)),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "jax_backend": jax.default_backend()},
    }
    if args.json:
        print(json.dumps(report))
        return report

    print(f"\nCOBA, {args.duration_ms:g} ms simulated, dt {args.dt_ms} ms, {jax.default_backend()} backend")
    print(f"{'n':>7} | {'simulator':>10} | {'compile s':>9} | {'s / sim s':>9} | {'us / step':>9} | {'rate Hz':>7} | "
          f"{'MB':>7} | {'B/neuron':>8} | {'B/syn':>5} | ratio")
    steps_per_sim_s = 1000.0 / args.dt_ms
    for row in scaling:
        for name in ("bioplastic", "brainpy"):
            f = row[name]
            if "left_out" in f:
                print(f"{row['n']:>7} | {name:>10} | left out ({f['left_out']})")
                continue
            ratio = f"{row['ratio']:.2f}" if name == "bioplastic" and row["ratio"] is not None else ""
            compile_s = f.get("compile_only_s", f["compile_s"])
            memory = (f"{f['memory_bytes'] / 1e6:7.1f} | {f['bytes_per_neuron']:8.0f} | {f['bytes_per_synapse']:5.1f}"
                      if "memory_bytes" in f else f"{'':>7} | {'':>8} | {'':>5}")
            print(f"{row['n']:>7} | {name:>10} | {compile_s:9.2f} | {f['s_per_sim_s']:9.3f} | "
                  f"{f['s_per_sim_s'] / steps_per_sim_s * 1e6:9.1f} | {f['rate_hz']:7.2f} | {memory} | {ratio}")
    p = report["projection"]
    if "memory_bytes" in p:
        print(f"projected to {p['n']:,} neurons (lines through {p['fitted_sizes']}): {p['s_per_sim_s']:.1f} s / sim s, "
              f"{p['memory_bytes'] / 1e9:.2f} GB of arrays")
    if "left_out" in protocol:
        print(f"\nprotocol path: left out ({protocol['left_out']})")
    else:
        print(f"\nprotocol path (bioplastic run protocols/coba.toml, 4000 neurons): {protocol['s_per_sim_s']:.3f} s / sim s, "
              f"{protocol['ratio_to_fused']:.2f}x CobaNetwork as one scan; the protocol's network as one scan "
              f"{protocol['scan_s_per_sim_s']:.3f} s / sim s, so {100 * protocol['chunk_overhead']:.0f} % of the protocol's "
              "time is chunks, recordings, checkpoints and plots")
    if "s_per_sim_s" in brian2:
        print(f"Brian2 C++ standalone, n = {base['n']}: {brian2['s_per_sim_s']:.3f} s / sim s, rate {brian2['rate_hz']:.2f} Hz; "
              f"bioplastic CobaNetwork / Brian2 = {brian2['ratio_bioplastic_to_brian2']:.2f}"
              + (f", protocol path / Brian2 = {brian2['ratio_protocol_to_brian2']:.2f}" if brian2["ratio_protocol_to_brian2"] else ""))
    else:
        print(f"Brian2 C++ standalone: left out ({brian2['left_out']})")
    prop = report["propagation"]
    if "left_out" in prop:
        print(f"\nspike propagation: left out ({prop['left_out']})")
    else:
        print(f"\nspike propagation, n = {base['n']}: pure-JAX events {prop['pure_jax_events_us_per_step']:.1f} us/step, "
              f"brainevent CSR {prop['brainevent_csr_us_per_step']:.1f} us/step (chosen: {prop['chosen']})")
    return report


if __name__ == "__main__":
    main()
