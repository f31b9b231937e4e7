"""Brian2 side of the STDP benchmark (Song, Miller & Abbott 2000), run by a Python with Brian2, not the project's.

``benchmarks/plasticity.py`` runs this script in a subprocess with the Python of Brian2's
own virtual environment (Brian2 needs numpy < 2.4; ``brian2_cpp.py`` finds or makes it) and
reads the one JSON object it prints on stdout. Brian2 is imported only when a simulation
runs, so the project's Python can import :func:`song_setup` from here (``plasticity.py``
and ``brainpy_song.py`` do), and all three simulators take their numbers from one place.

Model
-----
The set-up of ``protocols/stdp_song2000.toml``, every number read from that file by
:func:`song_setup` (the values below are the shipped ones): one conductance-based LIF
neuron, v(0) = -60 mV, driven by 1000 excitatory Poisson afferents at 10 Hz through
plastic synapses and 200 inhibitory Poisson afferents at 10 Hz through fixed ones::

    tau_m dv/dt = (v_rest - v) + g_ex (E_ex - v) + g_in (E_in - v)
    dg_ex/dt = -g_ex / tau_ex,    dg_in/dt = -g_in / tau_in       (g relative to the leak)

tau_m 20 ms, v_rest -70 mV, threshold ``v >= -54 mV``, reset ``v = -60 mV``, no
refractory period; E_ex 0 mV, E_in -70 mV, tau_ex = tau_in = 5 ms; an inhibitory spike
adds 0.05 to g_in, an excitatory one its synapse's weight w to g_ex. The weights start
uniform in [0, 0.015] -- the very draw bioplastic's protocol makes from its seed when
``plasticity.py`` passes them (``--setup``), so that the three simulators start from the
same weights and differ only in their Poisson trains -- and learn by pair STDP with
all-to-all pairing and hard bounds [0, 0.015]::

    on a presynaptic spike:   x += 1;  w = clip(w - a_minus * y, 0, 0.015);  g_ex += w
    on the postsynaptic spike: y += 1;  w = clip(w + a_plus * x, 0, 0.015)

with traces x, y decaying with tau_plus = tau_minus = 20 ms (``(event-driven)``, exact
between events), a_plus = 7.5e-5 and a_minus = 7.875e-5. This is bioplastic's
``rules.stdp.stdp`` but for one detail, whose effect is far below the noise of one run
(about one afferent in a thousand spikes in the step of an output spike): in a step where
an afferent and the neuron both spike, bioplastic depresses by ``a_minus (y + 1)`` (its
traces take the step's spikes first), Brian2 by ``a_minus y`` (its presynaptic pathway
runs before the postsynaptic one), and the bounds may be applied in another order within
that step. Afferent spikes: ``PoissonGroup``
(a spike in a step with probability rate x dt, as bioplastic's Poisson input).

Integration: ``method='exponential_euler'``, exact for the conductances and, for v, the
exact exponential step with the conductances held over the step -- bioplastic's
``LIF(integration="exact")``. Brian2's step order (state update, thresholds, synaptic
pathways, resets) makes an afferent spike of step k act on v from step k + 1, as in
bioplastic, whose projections carry the previous step's output.

Devices and timing
------------------
``--device cpp_standalone`` (what ``brian2_coba.py`` times for COBA): ``run()`` records the
network, ``device.build(compile=True, run=False)`` generates and compiles the C++
project once, the binary runs ``--repeats`` times (same seed: same spikes and weights).

* ``compile_s``: wall time of ``run()`` plus ``device.build(...)`` (code generation and
  ``make`` with Brian2's default flags), in a new build folder;
* ``s_per_sim_s``: best wall time of the simulation loop alone (``Network::run`` inside
  the binary, timed with ``clock_gettime`` by code inserted exactly as in
  ``brian2_coba.py``) per simulated second; ``binary_s_per_sim_s``: the whole binary's
  run (start, initialisation, I/O), an upper bound; one thread, no OpenMP.

``--device runtime`` (Brian2's default mode, code generated for ``--target``: ``cython``,
Brian2's default where a compiler works, or ``numpy``): the first ``Network.run`` generates
(and, for Cython, compiles or loads from Brian2's cache ``~/.cython/brian_extensions``)
the code; then ``--repeats`` times the network is restored to its stored start
(``Network.restore``) and reseeded, and ``run`` is timed.

* ``compile_s``: first run minus the best later run (code generation and compilation;
  small when Cython's cache already holds the code objects from an earlier process);
* ``s_per_sim_s``: best wall time of the later runs per simulated second.

Both report ``rate_hz`` (output spikes of the last timed run / simulated seconds),
``mean_weight`` (mean excitatory weight at the end of that run), ``initial_mean_weight``
and ``brian2_version``.

Usage::

    ~/.cache/bioplastic/brian2-venv/bin/python benchmarks/brian2_song.py --device cpp_standalone --duration-ms 10000
    ~/.cache/bioplastic/brian2-venv/bin/python benchmarks/brian2_song.py --device runtime --target numpy
    # {"compile_s": ..., "s_per_sim_s": ..., "rate_hz": ..., "mean_weight": ..., ...}

Without ``--setup`` the script reads ``--protocol`` (default: the shipped one) and draws
the initial weights itself (numpy, ``--seed``).

Example
-------
>>> setup = song_setup(PROTOCOL)
>>> setup["n_exc"], setup["n_inh"], setup["rate_exc_hz"], setup["a_plus"], setup["w_max"]
(1000, 200, 10.0, 7.5e-05, 0.015)
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import tempfile
import time
import tomllib

import numpy as np

PROTOCOL = pathlib.Path(__file__).resolve().parent.parent / "protocols" / "stdp_song2000.toml"
DEVICES = ("cpp_standalone", "runtime")


def _one_rate(inputs: dict, target: str) -> float:
    """The one Poisson rate (Hz) of every input to ``target``; other set-ups are refused."""
    rates = set()
    for name, spec in inputs.items():
        if spec.get("target") != target:
            continue
        if spec.get("type") != "poisson" or float(spec.get("correlation", 0.0)) != 0.0 or float(spec.get("current", 1.0)) <= 0:
            raise ValueError(f"inputs.{name}: the benchmark models independent Poisson trains only")
        rates.add(float(spec["rate_hz"]))
    if len(rates) != 1:
        raise ValueError(f"inputs to {target!r}: need one common rate, got {sorted(rates)}")
    return rates.pop()


def song_setup(protocol=PROTOCOL, initial_weights=None) -> dict:
    """The numbers of the Song et al. (2000) set-up, read from a protocol file shaped like ``stdp_song2000.toml``.

    Parameters
    ----------
    protocol : path
        The TOML file (populations ``afferents``, ``inhibitory``, ``neuron``; projections
        ``excitatory`` (plastic, rule ``stdp``) and ``inhibition``).
    initial_weights : sequence of float or None
        The excitatory weights to start from (one per afferent); None leaves
        ``initial_weights`` out (each simulator then draws its own from ``w_low, w_high``).

    Returns
    -------
    dict
        ``n_exc``, ``n_inh``; ``rate_exc_hz``, ``rate_inh_hz`` (Hz); ``tau_m_ms``,
        ``v_rest_mv``, ``v_th_mv``, ``v_reset_mv``, ``v0_mv``; ``tau_ex_ms``, ``e_ex_mv``,
        ``tau_in_ms``, ``e_in_mv``, ``w_in`` (x leak conductance); ``a_plus``,
        ``a_minus``, ``tau_plus_ms``, ``tau_minus_ms``, ``w_min``, ``w_max``; ``w_low``,
        ``w_high`` (the uniform initial draw); ``dt_ms``, ``seed``; and
        ``initial_weights`` (list) when given.

    Raises
    ------
    ValueError
        A protocol that is not this set-up (a refractory period, correlated inputs, a
        rule other than ``stdp``, ...).

    Example
    -------
    >>> s = song_setup(PROTOCOL, initial_weights=[0.01] * 1000)
    >>> s["tau_m_ms"], s["v_th_mv"], s["e_in_mv"], s["w_in"], s["dt_ms"], len(s["initial_weights"])
    (20.0, -54.0, -70.0, 0.05, 0.1, 1000)
    """
    with open(protocol, "rb") as f:
        p = tomllib.load(f)
    pops, projs = p["model"]["populations"], p["model"]["projections"]
    neuron, exc, inh = pops["neuron"], projs["excitatory"], projs["inhibition"]
    params = neuron["params"]
    if neuron["neuron"] != "lif" or pops["neuron"]["size"] != 1 or float(params.get("tau_ref_ms", 0.0)) != 0.0:
        raise ValueError("population 'neuron': the benchmark models one LIF neuron without refractory period")
    if neuron.get("options", {}).get("reset", "hard") != "hard":
        raise ValueError("population 'neuron': the benchmark models a hard reset")
    rule = exc["plasticity"]
    if rule["rule"] != "stdp" or exc["weight"].get("distribution") != "uniform":
        raise ValueError("projection 'excitatory': the benchmark models rule 'stdp' from uniform weights")
    if exc["connectivity"]["type"] != "dense" or inh["connectivity"]["type"] != "dense":
        raise ValueError("projections: the benchmark models dense (all-to-all) connectivity")
    setup = {
        "n_exc": int(pops["afferents"]["size"]), "n_inh": int(pops["inhibitory"]["size"]),
        "rate_exc_hz": _one_rate(p["inputs"], "afferents"), "rate_inh_hz": _one_rate(p["inputs"], "inhibitory"),
        "tau_m_ms": float(params["tau_ms"]), "v_rest_mv": float(params["v_rest_mv"]),
        "v_th_mv": float(params["v_th_mv"]), "v_reset_mv": float(params["v_reset_mv"]),
        "v0_mv": float(neuron.get("initial", {}).get("v_mv", params["v_reset_mv"])),
        "tau_ex_ms": float(exc["synapse"]["tau_ms"]), "e_ex_mv": float(exc["synapse"]["reversal_mv"]),
        "tau_in_ms": float(inh["synapse"]["tau_ms"]), "e_in_mv": float(inh["synapse"]["reversal_mv"]),
        "w_in": float(inh["weight"]),
        **{key: float(rule["params"][key]) for key in ("a_plus", "a_minus", "tau_plus_ms", "tau_minus_ms", "w_min", "w_max")},
        "w_low": float(exc["weight"]["low"]), "w_high": float(exc["weight"]["high"]),
        "dt_ms": float(p["simulation"]["dt_ms"]), "seed": int(p.get("seed", 0)),
    }
    if initial_weights is not None:
        weights = [float(w) for w in np.asarray(initial_weights, dtype=float).ravel()]
        if len(weights) != setup["n_exc"]:
            raise ValueError(f"initial_weights: got {len(weights)}, need one per afferent ({setup['n_exc']})")
        setup["initial_weights"] = weights
    return setup


def _build(b2, setup: dict, seed: int):
    """The network's objects: (neuron, plastic synapses, spike monitor, all objects)."""
    ns = {
        "tau_m": setup["tau_m_ms"] * b2.ms, "v_rest": setup["v_rest_mv"] * b2.mV, "v_th": setup["v_th_mv"] * b2.mV,
        "v_reset": setup["v_reset_mv"] * b2.mV, "tau_ex": setup["tau_ex_ms"] * b2.ms, "E_ex": setup["e_ex_mv"] * b2.mV,
        "tau_in": setup["tau_in_ms"] * b2.ms, "E_in": setup["e_in_mv"] * b2.mV, "w_in": setup["w_in"],
        "a_plus": setup["a_plus"], "a_minus": setup["a_minus"], "tau_plus": setup["tau_plus_ms"] * b2.ms,
        "tau_minus": setup["tau_minus_ms"] * b2.ms, "w_min": setup["w_min"], "w_max": setup["w_max"],
    }
    b2.seed(seed)
    neuron = b2.NeuronGroup(1, """
        dv/dt = ((v_rest - v) + g_ex * (E_ex - v) + g_in * (E_in - v)) / tau_m : volt
        dg_ex/dt = -g_ex / tau_ex : 1
        dg_in/dt = -g_in / tau_in : 1
        """, threshold="v >= v_th", reset="v = v_reset", method="exponential_euler", namespace=ns)
    neuron.v = setup["v0_mv"] * b2.mV
    afferents = b2.PoissonGroup(setup["n_exc"], rates=setup["rate_exc_hz"] * b2.Hz)
    inhibitory = b2.PoissonGroup(setup["n_inh"], rates=setup["rate_inh_hz"] * b2.Hz)
    plastic = b2.Synapses(afferents, neuron, """
        w : 1
        dx/dt = -x / tau_plus : 1 (event-driven)
        dy/dt = -y / tau_minus : 1 (event-driven)
        """, on_pre="""
        x += 1
        w = clip(w - a_minus * y, w_min, w_max)
        g_ex_post += w
        """, on_post="""
        y += 1
        w = clip(w + a_plus * x, w_min, w_max)
        """, namespace=ns)
    plastic.connect()
    if "initial_weights" in setup:
        plastic.w = np.asarray(setup["initial_weights"], dtype=float)
    else:
        plastic.w = np.random.default_rng(seed).uniform(setup["w_low"], setup["w_high"], setup["n_exc"])
    inhibition = b2.Synapses(inhibitory, neuron, on_pre="g_in_post += w_in", namespace=ns)
    inhibition.connect()
    spikes = b2.SpikeMonitor(neuron, record=False)
    return neuron, plastic, spikes, [neuron, afferents, inhibitory, plastic, inhibition, spikes]


def run_brian2_song(setup: dict, duration_ms: float = 10000.0, repeats: int = 3, device: str = "cpp_standalone",
                    target: str = "cython", seed: int | None = None, build_dir: str | None = None) -> dict:
    """Build the set-up in Brian2 and time it on ``device`` (figures: module docstring).

    ``setup`` comes from :func:`song_setup`; ``seed`` (default ``setup["seed"]``) seeds
    Brian2's random numbers (the Poisson trains). ``build_dir`` is the C++ project folder
    (cpp_standalone only; a new temporary one if None).
    """
    import brian2 as b2

    if device not in DEVICES:
        raise ValueError(f"device: got {device!r}; allowed: one of {', '.join(DEVICES)}")
    seed = setup["seed"] if seed is None else int(seed)
    dt_ms = setup["dt_ms"]
    n_steps = int(round(duration_ms / dt_ms))
    sim_s = n_steps * dt_ms * 1e-3
    repeats = max(1, int(repeats))
    extras = {}
    if device == "cpp_standalone":
        from brian2_coba import _AFTER, _BEFORE, _LOOP_FILE

        build_dir = build_dir or tempfile.mkdtemp(prefix="brian2-song-")
        b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0  # the default: one thread, no OpenMP
        b2.defaultclock.dt = dt_ms * b2.ms
        neuron, plastic, spikes, objects = _build(b2, setup, seed)
        net = b2.Network(*objects)
        b2.device.insert_code("before_network_run", _BEFORE)
        b2.device.insert_code("after_network_run", _AFTER)
        start = time.perf_counter()
        net.run(n_steps * dt_ms * b2.ms)
        b2.device.build(directory=build_dir, compile=True, run=False, with_output=False)
        compile_s = time.perf_counter() - start
        loop_s, binary_s = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            b2.device.run(directory=build_dir, with_output=False)
            binary_s.append(time.perf_counter() - start)
            with open(os.path.join(b2.device.results_dir, _LOOP_FILE)) as f:
                loop_s.append(float(f.read()))
        best = min(loop_s)
        extras = {"binary_s_per_sim_s": min(binary_s) / sim_s, "loop_s": loop_s, "openmp_threads": 0}
    else:
        b2.prefs.codegen.target = target
        b2.defaultclock.dt = dt_ms * b2.ms
        neuron, plastic, spikes, objects = _build(b2, setup, seed)
        net = b2.Network(*objects)
        net.store("start")
        start = time.perf_counter()
        net.run(n_steps * dt_ms * b2.ms)
        first = time.perf_counter() - start
        loop_s = []
        for _ in range(repeats):
            net.restore("start")
            b2.seed(seed)
            start = time.perf_counter()
            net.run(n_steps * dt_ms * b2.ms)
            loop_s.append(time.perf_counter() - start)
        best = min(loop_s)
        compile_s = max(first - best, 0.0)
        extras = {"first_run_s": first, "loop_s": loop_s, "target": target}
    weights = np.asarray(plastic.w[:], dtype=float)
    return {
        "compile_s": compile_s,
        "s_per_sim_s": best / sim_s,
        "rate_hz": int(spikes.num_spikes) / sim_s,
        "mean_weight": float(weights.mean()),
        "initial_mean_weight": (float(np.mean(setup["initial_weights"])) if "initial_weights" in setup else None),
        **extras,
        "device": device, "duration_ms": n_steps * dt_ms, "dt_ms": dt_ms, "seed": seed, "repeats": repeats,
        "method": "exponential_euler", "brian2_version": b2.__version__,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setup", help="a JSON file holding song_setup(...) (with initial_weights); default: read --protocol")
    parser.add_argument("--protocol", default=str(PROTOCOL), help="the protocol file read without --setup")
    parser.add_argument("--device", choices=DEVICES, default="cpp_standalone")
    parser.add_argument("--target", choices=("cython", "numpy"), default="cython", help="code generation of --device runtime")
    parser.add_argument("--duration-ms", type=float, default=10000.0, help="simulated time (ms)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (the best is reported)")
    parser.add_argument("--seed", type=int, default=None, help="Brian2's seed (default: the protocol's)")
    parser.add_argument("--build-dir", default=None, help="C++ project folder (default: a new temporary one)")
    args = parser.parse_args(argv)
    if args.setup:
        with open(args.setup) as f:
            setup = json.load(f)
    else:
        setup = song_setup(args.protocol)
    figures = run_brian2_song(setup, args.duration_ms, args.repeats, args.device, args.target, args.seed, args.build_dir)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
