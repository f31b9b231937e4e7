"""Brian2 C++ standalone side of the COBA speed benchmark (run by a Python with Brian2, not the project's).

This script imports neither bioplastic nor JAX: it runs in the separate Brian2 virtual
environment (Brian2 needs numpy < 2.4) that ``brian2_cpp.py`` finds or makes, and prints
one JSON object on stdout. ``brian2_cpp.run_brian2_cpp`` runs it in a subprocess.

Model
-----
The COBA network of Vogels & Abbott (2005) as in BrainPy's benchmark and
``bioplastic/networks/coba.py``: ``n`` LIF neurons in one ``NeuronGroup``, the first
``round(0.8 n)`` excitatory, the rest inhibitory::

    dv/dt  = (-(v - v_rest) + I + g_e (E_e - v) + g_i (E_i - v)) / tau_m   (unless refractory)
    dg_e/dt = -g_e / tau_e,     dg_i/dt = -g_i / tau_i                     (g relative to leak)

tau_m 20 ms, v_rest -60 mV, threshold ``v > -50 mV``, reset ``v = -60 mV``, refractory
5 ms (v clamped, no spikes), drive I = 20 mV (R = 1), v(0) ~ N(-55, 2) mV, g(0) = 0;
dt 0.1 ms. Synapses: ``Synapses(E, all)`` with ``on_pre='g_e += 0.6'`` and
``Synapses(I, all)`` with ``on_pre='g_i += 6.7'``, each ``connect(p=80 / n)``: every
(source, target) pair independently with probability p (80 synapses per neuron on
average, self-connections allowed), no delay. tau_e 5 ms, E_e 0 mV; tau_i 10 ms,
E_i -80 mV. The conductances are dimensionless (relative to the leak), so the weights
are plain numbers and ``g (E - v)`` is a voltage: no unit slip of 1000x is possible here.

Integration: ``method='exponential_euler'`` -- exact for g_e and g_i, and for v the exact
exponential step with the conductances held over the step (v is linear given g), the
same scheme as bioplastic's ``LIF(integration="exact")`` and BrainPy's exponential Euler.
Brian2's step order is state update, threshold, synaptic propagation, reset, so a spike
at step k increments g at step k and acts on v from step k + 1, as in the other two.

Timing
------
``set_device('cpp_standalone', build_on_run=False)``; ``run()`` only records the network,
then ``device.build(compile=True, run=False)`` generates and compiles the C++ project once
and ``device.run()`` runs the compiled binary ``--repeats`` times (same seed, so the same
connectivity, initial voltages and spikes each time).

* ``compile_s``: wall time of ``run()`` (code-object generation) plus
  ``device.build(...)`` (writing the project, ``make -j`` with Brian2's default flags
  ``-O3 -ffast-math -march=native``). Not cached: the build folder is new.
* ``s_per_sim_s``: best over the repeats of the **wall time of the simulation loop
  alone** (``Network::run`` of the binary, measured with ``clock_gettime(CLOCK_MONOTONIC)``
  by code inserted with ``device.insert_code('before_network_run' / 'after_network_run')``),
  divided by the simulated seconds. This excludes the binary's start, the random
  connectivity and initial voltages (drawn by the binary before the loop), and reading
  and writing the arrays -- the steady-state cost, comparable with the
  ``jax.block_until_ready`` wall times of the other two simulators.
* ``cpu_s_per_sim_s``: the same loop as Brian2 reports it itself (``device._last_run_time``,
  which without OpenMP is ``std::clock()`` process CPU time); close to ``s_per_sim_s`` on
  an idle machine, lower when the core is shared.
* ``binary_s_per_sim_s``: best wall time of the whole ``device.run()`` (process start,
  synapse creation, loop, I/O) per simulated second -- an upper bound.
* ``rate_hz``: spikes counted by a ``SpikeMonitor(record=False)`` (part of the timed
  loop, as the spike counts are for the other two) / (n x simulated seconds).

Threads: ``prefs.devices.cpp_standalone.openmp_threads`` is left at its default 0, i.e.
one thread without OpenMP: the bioplastic and BrainPy figures it is set against are one
CPU process each, on a 2-core machine a second thread would compete with anything else
running, and with OpenMP Brian2 would time the loop with ``omp_get_wtime`` and add a
parallel region per code object per step.

Usage::

    ~/.cache/bioplastic/brian2-venv/bin/python benchmarks/brian2_coba.py --n 4000 --repeats 3
    # {"compile_s": ..., "s_per_sim_s": ..., "rate_hz": ..., ...}
"""

import json
import os
import tempfile
import time

import brian2 as b2
from brian2_cpp import network_arguments

SYNAPSES_PER_NEURON = 80.0  # p = 0.02 at 4000 neurons
_EQUATIONS = """
dv/dt = (-(v - v_rest) + drive + g_e * (E_e - v) + g_i * (E_i - v)) / tau_m : volt (unless refractory)
dg_e/dt = -g_e / tau_e : 1
dg_i/dt = -g_i / tau_i : 1
"""
_NAMESPACE = {
    "tau_m": 20.0 * b2.ms, "v_rest": -60.0 * b2.mV, "v_th": -50.0 * b2.mV, "v_reset": -60.0 * b2.mV,
    "drive": 20.0 * b2.mV, "tau_e": 5.0 * b2.ms, "tau_i": 10.0 * b2.ms, "E_e": 0.0 * b2.mV, "E_i": -80.0 * b2.mV,
    "w_e": 0.6, "w_i": 6.7,  # conductance per spike, relative to leak
}
_LOOP_FILE = "bioplastic_loop_wall_s.txt"
_BEFORE = "timespec _bp_t0, _bp_t1;\nclock_gettime(CLOCK_MONOTONIC, &_bp_t0);"
_AFTER = (
    "clock_gettime(CLOCK_MONOTONIC, &_bp_t1);\n"
    "{\n"
    f"    std::ofstream _bp_out((brian::results_dir + \"{_LOOP_FILE}\").c_str());\n"
    "    _bp_out.precision(12);\n"
    "    _bp_out << ((_bp_t1.tv_sec - _bp_t0.tv_sec) + 1e-9 * (_bp_t1.tv_nsec - _bp_t0.tv_nsec)) << std::endl;\n"
    "}"
)


def run_brian2_coba(n_neurons: int = 4000, duration_ms: float = 1000.0, dt_ms: float = 0.1, seed: int = 0,
                    repeats: int = 1, build_dir: str | None = None) -> dict:
    """Build, compile once and time the COBA network in C++ standalone mode (figures: module docstring).

    ``build_dir`` is the C++ project folder (a new temporary one if None; it must not hold
    an older build). Returns ``compile_s`` (s), ``s_per_sim_s`` (wall s per simulated s),
    ``rate_hz`` (Hz) and the extras ``cpu_s_per_sim_s``, ``binary_s_per_sim_s``,
    ``loop_s`` (every repeat, s), ``n_synapses``, ``n``, ``duration_ms``, ``dt_ms``,
    ``seed``, ``repeats``, ``method``, ``openmp_threads``, ``brian2_version``.
    """
    if build_dir is None:
        build_dir = tempfile.mkdtemp(prefix="brian2-coba-")
    n_neurons = int(n_neurons)
    n_exc = int(round(0.8 * n_neurons))
    p = SYNAPSES_PER_NEURON / n_neurons
    if not 0.0 < p <= 1.0 or n_exc in (0, n_neurons):
        raise ValueError(f"n = {n_neurons}: needs n >= 80 with both populations non-empty")
    n_steps = int(round(duration_ms / dt_ms))
    sim_s = n_steps * dt_ms * 1e-3

    b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0  # the default: one thread, no OpenMP
    b2.defaultclock.dt = dt_ms * b2.ms
    b2.seed(seed)

    neurons = b2.NeuronGroup(n_neurons, _EQUATIONS, threshold="v > v_th", reset="v = v_reset",
                             refractory=5.0 * b2.ms, method="exponential_euler", namespace=_NAMESPACE)
    neurons.v = "-55*mV + 2*mV*randn()"
    exc = b2.Synapses(neurons[:n_exc], neurons, on_pre="g_e += w_e", namespace=_NAMESPACE)
    inh = b2.Synapses(neurons[n_exc:], neurons, on_pre="g_i += w_i", namespace=_NAMESPACE)
    exc.connect(p=p)
    inh.connect(p=p)
    spikes = b2.SpikeMonitor(neurons, record=False)
    b2.device.insert_code("before_network_run", _BEFORE)
    b2.device.insert_code("after_network_run", _AFTER)

    start = time.perf_counter()
    b2.run(n_steps * dt_ms * b2.ms)
    b2.device.build(directory=build_dir, compile=True, run=False, with_output=False)
    compile_s = time.perf_counter() - start

    loop_s, cpu_s, binary_s = [], [], []
    for _ in range(max(1, int(repeats))):
        start = time.perf_counter()
        b2.device.run(directory=build_dir, with_output=False)
        binary_s.append(time.perf_counter() - start)
        with open(os.path.join(b2.device.results_dir, _LOOP_FILE)) as f:
            loop_s.append(float(f.read()))
        cpu_s.append(float(b2.device._last_run_time))
    n_spikes = int(spikes.num_spikes)
    return {
        "compile_s": compile_s,
        "s_per_sim_s": min(loop_s) / sim_s,
        "rate_hz": n_spikes / (n_neurons * sim_s),
        "cpu_s_per_sim_s": min(cpu_s) / sim_s,
        "binary_s_per_sim_s": min(binary_s) / sim_s,
        "loop_s": loop_s,
        "n_synapses": int(len(exc) + len(inh)),
        "n": n_neurons, "duration_ms": n_steps * dt_ms, "dt_ms": dt_ms, "seed": seed, "repeats": len(loop_s),
        "method": "exponential_euler", "openmp_threads": 0, "brian2_version": b2.__version__,
    }


def main(argv=None):
    parser = network_arguments(__doc__.split("\n")[0])
    parser.add_argument("--build-dir", default=None, help="C++ project folder (default: a new temporary one)")
    args = parser.parse_args(argv)
    figures = run_brian2_coba(args.n, args.duration_ms, args.dt_ms, args.seed, args.repeats, args.build_dir)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
