"""STDP benchmark: Song, Miller & Abbott (2000) in bioplastic, BrainPy and Brian2, side by side in one run.

The set-up is the shipped protocol ``protocols/stdp_song2000.toml``: one conductance-based
LIF neuron, 1000 excitatory Poisson afferents at 10 Hz (a ``spike_source`` population)
through pair STDP with hard bounds [0, 0.015] (a_plus 7.5e-5, a_minus 7.875e-5,
tau 20 ms), 200 fixed inhibitory Poisson afferents at 10 Hz, dt 0.1 ms. The other two
simulators take every number from that file (``brian2_song.song_setup``; the equations
are written out in ``brian2_song.py``, BrainPy's classes in ``brainpy_song.py``) and
start from bioplastic's initial weights (the protocol's draw from its seed), so the three
differ only in their Poisson trains. The neuron fires at ~3 Hz on input fluctuations, so
a 10-s run counts ~30 output spikes and its rate is good to ~20 %; the mean weight moves
by ~2e-5 per 10 s. Over 100 s (seed 0) bioplastic fired at 3.08 Hz, Brian2 at 2.95 Hz,
BrainPy at 1.98 Hz, with mean weights 0.00767, 0.00771, 0.00771: BrainPy's ``Expon``
decays each spike's conductance once before it acts (x 0.98), which near threshold costs
a third of the spikes; with the weights scaled back BrainPy fired at 2.97 Hz
(``brainpy_song.py``).

Every simulator runs ``--duration-s`` of simulated time; ``*_s_per_sim_s`` is the best wall
time of ``--repeats`` runs after the first (which compiles) per simulated second, and each
entry reports ``compile_s`` (first run minus the best later one), ``rate_hz`` (output
spikes / simulated seconds) and ``mean_weight`` (mean excitatory weight at the end).

Keys of ``--json``
------------------
- ``duration_ms``, ``dt_ms``, ``seed``, ``repeats``: what was simulated, and how often;
- ``bioplastic_s_per_sim_s``: the protocol's ``Network`` run as one scan (the experiment
  built by ``bioplastic.experiments.validate_protocol``, run through
  ``bioplastic.simulation.simulate`` with one probe, the output spike count);
- ``brian2_s_per_sim_s``: Brian2 in C++ standalone mode (the mode ``coba.py`` times
  Brian2 in: the simulation loop of the compiled binary alone, one thread);
  ``brian2_runtime_s_per_sim_s``: Brian2's runtime mode with Cython code generation
  (``--brian2-target``), what a Brian2 user gets without ``set_device``;
- ``brainpy_s_per_sim_s``: BrainPy's ``brainpy.dyn.STDP_Song2000`` projection, or null;
- ``brian2_reason``, ``brian2_runtime_reason``, ``brainpy_reason``: null when measured,
  else a string saying why not (no Brian2 Python, a failed build, BrainPy without the
  rule, ``--no-...``);
- ``brian2_over_bioplastic``, ``brian2_runtime_over_bioplastic``,
  ``brainpy_over_bioplastic``, ``protocol_over_bioplastic``: the other's seconds per
  simulated second over ``bioplastic_s_per_sim_s`` (above 1: bioplastic is faster), null
  when either is missing;
- ``bioplastic``: ``compile_s``, ``compile_only_s`` (tracing, lowering and XLA compilation
  on their own), ``s_per_sim_s``, ``rate_hz``, ``mean_weight``, ``initial_mean_weight``;
- ``protocol``: ``bioplastic run protocols/stdp_song2000.toml`` end to end, the path users
  take (``bioplastic.experiments.run_protocol`` into a scratch folder: engine, chunks of
  the protocol's ``simulation.chunk_ms``, checkpoints, recordings, metrics and plots), at the two ``--protocol-ms``
  durations after one warm-up run at each: ``s_per_sim_s`` = (t_long - t_short) /
  (long - short), which cancels compilation and fixed costs; ``durations_ms``,
  ``wall_s``; ``scan_s_per_sim_s``, the same network as one scan of the short duration,
  timed in turn with the protocol runs so both see the same machine load, and
  ``chunk_overhead`` = 1 - scan / protocol, the share of the protocol's marginal time
  spent outside that scan (under heavy load the difference of two noisy wall times can make
  it negative: read it only on a quiet machine); ``rate_hz`` and ``mean_weight`` from the
  long run's ``metrics.json`` (at ``durations_ms[1]``; the same numbers as the scan's when
  the durations agree: the engine runs the same steps on the same random keys);
- ``brian2``, ``brian2_runtime``, ``brainpy``: each simulator's figures (``compile_s``,
  ``s_per_sim_s``, ``rate_hz``, ``mean_weight``, ``initial_mean_weight`` and its
  extras: see ``brian2_song.py``, ``brainpy_song.py``), or ``{"left_out": reason}``;
- ``agreement``: ``rate_hz`` and ``mean_weight`` of every simulator that ran, side by side,
  with ``initial_mean_weight``: the check that the three simulate the same thing;
- ``versions``: bioplastic, jax, numpy, brainpy, brian2 (null where not run), and the
  Brian2 Python's note (where it came from, its numpy);
- ``load_average``: ``os.getloadavg()`` at the start and at the end; on a shared machine
  the timings are only as good as the load lets them be;
- ``machine``: CPU count, platform, JAX backend.

Usage::

    python benchmarks/plasticity.py                      # table
    python benchmarks/plasticity.py --json               # one JSON object
    python benchmarks/plasticity.py --duration-s 60 --protocol-ms 10000,60000 --json
    python benchmarks/plasticity.py --no-brian2 --no-brainpy   # bioplastic alone

Brian2 runs in its own virtual environment (``~/.cache/bioplastic/brian2-venv``, made by
``brian2_cpp.brian2_python`` when missing, as for ``coba.py``; ``--brian2-python``
names another). A Cython or C++ build of Brian2 is cached by Brian2 (runtime) or made
anew (standalone), so ``compile_s`` of Brian2 depends on what an earlier run left.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jax  # noqa: E402
import numpy as np  # noqa: E402

import bioplastic  # noqa: E402
from brian2_cpp import _child_env, _one_line, brian2_python  # noqa: E402
from brian2_song import PROTOCOL, song_setup  # noqa: E402
from bioplastic.experiments import run_protocol, validate_protocol  # noqa: E402
from bioplastic.simulation import Probe, lower_simulation, simulate  # noqa: E402
from coba import left_out, time_calls  # noqa: E402

BRIAN2_SCRIPT = pathlib.Path(__file__).resolve().with_name("brian2_song.py")


def _overrides(duration_ms: float, seed) -> list:
    return [f"simulation.duration_ms={duration_ms}"] + ([] if seed is None else [f"seed={int(seed)}"])


def _scan(e, probes=None):
    """The experiment's network as one scan (the call both timings below make)."""
    return simulate(e.network.step, e.state, e.n_steps, params=e.params, drive=e.drive, dt=e.dt, probes=probes,
                    check=False)


def run_bioplastic_scan(duration_ms: float, repeats: int, seed=None):
    """Time the protocol's network as one scan; its figures and its initial excitatory weights (n_exc,)."""
    e = validate_protocol(PROTOCOL, _overrides(duration_ms, seed))
    probes = {"spikes": Probe("outputs.neuron", stride=e.n_steps, reduce="sum")}
    start = time.perf_counter()
    lower_simulation(e.network.step, e.state, e.n_steps, params=e.params, drive=e.drive, probes=probes, dt=e.dt).compile()
    compile_only_s = time.perf_counter() - start
    first, best, (final, recordings) = time_calls(lambda: _scan(e, probes), repeats)
    sim_s = e.n_steps * e.dt * 1e-3
    conn = e.params["projections"]["excitatory"]
    mask = np.asarray(conn.mask)
    initial = np.asarray(conn.weights)[mask]
    learned = np.asarray(final["plastic"]["excitatory"]["weights"])[mask]
    figures = {"compile_s": max(first - best, 0.0), "compile_only_s": compile_only_s, "s_per_sim_s": best / sim_s,
               "rate_hz": float(np.sum(recordings["spikes"])) / sim_s, "mean_weight": float(learned.mean()),
               "initial_mean_weight": float(initial.mean()), "duration_ms": e.n_steps * e.dt}
    return figures, initial


def run_protocol_path(durations_ms: tuple, repeats: int, seed=None) -> dict:
    """Marginal seconds per simulated second of ``bioplastic run protocols/stdp_song2000.toml``, beside its scan.

    One warm-up run at each duration compiles both chunk programs (a run shorter than the
    protocol's ``chunk_ms`` is one chunk of its own length); then each repeat runs the
    protocol at the two durations and the network as one scan of the short one, in turn;
    each figure is the best of ``repeats``.
    """
    short, long = durations_ms
    e = validate_protocol(PROTOCOL, _overrides(short, seed))
    best = {}
    with tempfile.TemporaryDirectory() as out:
        for duration in (short, long):
            run_protocol(PROTOCOL, out, _overrides(duration, seed), progress=False)     # compiles
        jax.block_until_ready(_scan(e))
        for _ in range(repeats):
            for duration in (short, long):
                start = time.perf_counter()
                folder = run_protocol(PROTOCOL, out, _overrides(duration, seed), progress=False)
                best[duration] = min(best.get(duration, float("inf")), time.perf_counter() - start)
            start = time.perf_counter()
            jax.block_until_ready(_scan(e))
            best["scan"] = min(best.get("scan", float("inf")), time.perf_counter() - start)
        metrics = json.loads((pathlib.Path(folder) / "metrics.json").read_text())
    marginal = (best[long] - best[short]) / ((long - short) * 1e-3)
    scan_s_per_sim_s = best["scan"] / (short * 1e-3)
    return {"s_per_sim_s": marginal, "durations_ms": [short, long], "wall_s": [best[short], best[long]],
            "scan_s_per_sim_s": scan_s_per_sim_s, "chunk_overhead": 1.0 - scan_s_per_sim_s / marginal,
            "rate_hz": metrics["mean_rate_hz_neuron"], "mean_weight": metrics["mean_weight_excitatory"]}


def run_brian2(setup: dict, duration_ms: float, repeats: int, device: str, python: str, target: str = "cython",
               timeout_s: float = 3600.0) -> dict:
    """Run ``brian2_song.py`` with the Brian2 ``python`` on ``device``; its figures (raises RuntimeError, one line)."""
    name = f"Brian2 {device}"
    with tempfile.TemporaryDirectory(prefix="bioplastic-brian2-song-") as scratch:
        setup_file = os.path.join(scratch, "setup.json")
        with open(setup_file, "w") as f:
            json.dump(setup, f)
        command = [str(python), str(BRIAN2_SCRIPT), "--setup", setup_file, "--device", device, "--target", target,
                   "--duration-ms", repr(float(duration_ms)), "--repeats", str(int(repeats)),
                   "--build-dir", os.path.join(scratch, "build")]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=_child_env(), cwd=scratch)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"{name} ran past {timeout_s} s") from None
        except OSError as error:
            raise RuntimeError(f"{name} could not start {python}: {_one_line(str(error))}") from None
    if done.returncode != 0:
        raise RuntimeError(f"{name} exited {done.returncode}: {_one_line(done.stderr or done.stdout)}")
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            figures = json.loads(line)
            missing = {"compile_s", "s_per_sim_s", "rate_hz", "mean_weight"} - set(figures)
            if missing:
                raise RuntimeError(f"{name} output lacks {sorted(missing)}: {_one_line(line)}")
            return figures
    raise RuntimeError(f"{name} printed no JSON object: {_one_line(done.stdout or done.stderr)}")


def brainpy_entry(setup: dict, duration_ms: float, repeats: int) -> tuple[dict, str | None]:
    """BrainPy's figures, or ``{"left_out": reason}``; and BrainPy's version (None when not importable)."""
    try:
        import brainpy
    except Exception as error:  # noqa: BLE001 -- any import failure is a reason to report
        return {"left_out": f"brainpy is not importable: {_one_line(str(error))}"}, None
    version = brainpy.__version__
    if not hasattr(getattr(brainpy, "dyn", None), "STDP_Song2000"):
        return {"left_out": f"brainpy {version} has no pair STDP on a projection: looked for brainpy.dyn.STDP_Song2000 "
                            "(with a SupportSTDP layer such as brainpy.dnn.AllToAll)"}, version
    from brainpy_song import run_brainpy_song

    return run_brainpy_song(setup, duration_ms, repeats), version


def _ratio(entry: dict, base: float):
    return entry["s_per_sim_s"] / base if "s_per_sim_s" in entry else None


def _reason(entry: dict):
    return entry.get("left_out")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration-s", type=float, default=10.0, help="simulated seconds per timed run (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs after the first (the best is reported)")
    parser.add_argument("--seed", type=int, default=None, help="the protocol's seed (default: the file's, 0)")
    parser.add_argument("--protocol-ms", default="2000,10000", help="the two durations the protocol path is run for")
    parser.add_argument("--brian2-python", help="a python with Brian2 installed (default: $BIOPLASTIC_BRIAN2_PYTHON, "
                                                "else a virtual environment created in ~/.cache/bioplastic)")
    parser.add_argument("--brian2-target", choices=("cython", "numpy"), default="cython",
                        help="code generation of Brian2's runtime mode")
    parser.add_argument("--no-brian2", action="store_true", help="leave both Brian2 entries out")
    parser.add_argument("--no-brian2-runtime", action="store_true", help="leave Brian2's runtime mode out (C++ stays)")
    parser.add_argument("--no-brainpy", action="store_true", help="leave the BrainPy side out")
    parser.add_argument("--no-protocol", action="store_true", help="leave the protocol path out")
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu", help="the JAX platform to run on")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    jax.config.update("jax_default_device", jax.devices(args.device)[0])
    load_start = list(os.getloadavg())
    duration_ms = args.duration_s * 1000.0

    def note(text):
        if not args.json:
            print(text, file=sys.stderr)

    note("bioplastic: the protocol's network as one scan ...")
    ours, initial = run_bioplastic_scan(duration_ms, args.repeats, args.seed)
    base = ours["s_per_sim_s"]
    setup = song_setup(PROTOCOL, initial_weights=initial)
    if args.seed is not None:
        setup["seed"] = args.seed
    if args.no_protocol:
        protocol = left_out("--no-protocol")
    else:
        note("bioplastic: the protocol end to end ...")
        protocol = run_protocol_path(tuple(float(d) for d in args.protocol_ms.split(",")), args.repeats, args.seed)

    brian2_note, brian2 = None, {}
    runtime = left_out("--no-brian2-runtime") if args.no_brian2_runtime else None
    if args.no_brian2:
        brian2, runtime = left_out("--no-brian2"), left_out("--no-brian2")
    else:
        python, brian2_note = brian2_python(args.brian2_python, create=True)
        if python is None:
            brian2 = {"left_out": brian2_note}
            runtime = runtime or {"left_out": brian2_note}
        else:
            for device in ("cpp_standalone", "runtime"):
                if device == "runtime" and runtime is not None:
                    continue
                note(f"Brian2 {device} ...")
                try:
                    figures = run_brian2(setup, ours["duration_ms"], args.repeats, device, python, args.brian2_target)
                except RuntimeError as error:
                    figures = {"left_out": str(error)}
                if device == "cpp_standalone":
                    brian2 = figures
                else:
                    runtime = figures
    if args.no_brainpy:
        brainpy, brainpy_version = left_out("--no-brainpy"), None
    else:
        note("BrainPy ...")
        brainpy, brainpy_version = brainpy_entry(setup, ours["duration_ms"], args.repeats)

    entries = {"bioplastic": ours, "protocol": protocol, "brian2": brian2, "brian2_runtime": runtime, "brainpy": brainpy}
    report = {
        "duration_ms": ours["duration_ms"], "dt_ms": setup["dt_ms"], "seed": setup["seed"], "repeats": args.repeats,
        "bioplastic_s_per_sim_s": base,
        "brian2_s_per_sim_s": brian2.get("s_per_sim_s"),
        "brian2_runtime_s_per_sim_s": runtime.get("s_per_sim_s"),
        "brainpy_s_per_sim_s": brainpy.get("s_per_sim_s"),
        "brian2_reason": _reason(brian2), "brian2_runtime_reason": _reason(runtime), "brainpy_reason": _reason(brainpy),
        "brian2_over_bioplastic": _ratio(brian2, base),
        "brian2_runtime_over_bioplastic": _ratio(runtime, base),
        "brainpy_over_bioplastic": _ratio(brainpy, base),
        "protocol_over_bioplastic": _ratio(protocol, base),
        "bioplastic": ours,
        "protocol": protocol,
        "brian2": brian2,
        "brian2_runtime": runtime,
        "brainpy": brainpy,
        "agreement": {name: {"rate_hz": entry["rate_hz"], "mean_weight": entry["mean_weight"]}
                      for name, entry in entries.items() if "rate_hz" in entry},
        "versions": {"bioplastic": bioplastic.__version__, "jax": jax.__version__, "numpy": np.__version__,
                     "brainpy": brainpy_version,
                     "brian2": brian2.get("brian2_version", runtime.get("brian2_version")), "brian2_python": brian2_note},
        "load_average": {"start": load_start, "end": list(os.getloadavg())},
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "jax_backend": jax.default_backend()},
    }
    report["agreement"]["initial_mean_weight"] = ours["initial_mean_weight"]
    if "rate_hz" in protocol:
        report["agreement"]["protocol"]["duration_ms"] = protocol["durations_ms"][1]
    if args.json:
        print(json.dumps(report))
        return report

    print(f"\nSong et al. (2000) STDP, {report['duration_ms'] / 1000:g} s simulated, dt {report['dt_ms']} ms, "
          f"{jax.default_backend()} backend, load average {load_start[0]:.1f} -> {report['load_average']['end'][0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(f"initial mean weight {ours['initial_mean_weight']:.6f} (the same weights in every simulator)")
    print(f"{'simulator':>23} | {'compile s':>9} | {'s / sim s':>9} | {'us / step':>9} | {'rate Hz':>7} | "
          f"{'mean w':>8} | x bioplastic")
    steps_per_sim_s = 1000.0 / report["dt_ms"]
    rows = (("bioplastic (scan)", ours), ("bioplastic (protocol)", protocol), ("Brian2 C++ standalone", brian2),
            (f"Brian2 runtime ({args.brian2_target})", runtime), ("BrainPy", brainpy))
    for name, f in rows:
        if "left_out" in f:
            print(f"{name:>23} | left out ({f['left_out']})")
            continue
        compile_s = f.get("compile_only_s", f.get("compile_s"))
        compile_s = f"{compile_s:9.2f}" if compile_s is not None else f"{'':>9}"
        print(f"{name:>23} | {compile_s} | {f['s_per_sim_s']:9.3f} | {f['s_per_sim_s'] / steps_per_sim_s * 1e6:9.1f} | "
              f"{f['rate_hz']:7.2f} | {f['mean_weight']:8.6f} | {f['s_per_sim_s'] / base:.2f}")
    if "s_per_sim_s" in protocol:
        print(f"protocol path: durations {protocol['durations_ms']} ms (rate and weight at the long one); "
              f"{100 * protocol['chunk_overhead']:.0f} % of its marginal time is spent outside the scan")
    return report


if __name__ == "__main__":
    main()
