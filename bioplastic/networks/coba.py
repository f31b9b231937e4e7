"""The COBA network (Vogels & Abbott 2005, as in BrainPy's benchmark) built from bioplastic's pieces.

``n`` LIF neurons, 80 % excitatory and 20 % inhibitory, randomly connected with
probability ``p`` (0.02 at 4000 neurons; :meth:`CobaNetwork.scaled` keeps 80 synapses per
neuron at any size), with exponential conductance synapses:

========================= ============ ===========
                          excitatory   inhibitory
========================= ============ ===========
time constant (ms)        5            10
weight (x leak cond.)     0.6          6.7
reversal potential (mV)   0            -80
========================= ============ ===========

Neurons: tau 20 ms, rest -60 mV, threshold -50 mV, reset -60 mV, refractory 5 ms,
constant drive 20 mV (R = 1), initial v ~ N(-55, 2) mV; dt 0.1 ms. A healthy network
fires at about 20 Hz (a rate near 50-60 Hz means the coupling is off, e.g. by a unit
slip of 1000x).

Order within a step: the spikes of the previous step are propagated (event-driven), the
two conductances decay and receive them, then the LIF neurons integrate with those
conductances (exact exponential step for inputs held over the step) and spike.

Example
-------
>>> import jax
>>> from bioplastic.networks.coba import CobaNetwork
>>> net = CobaNetwork(n=400, p=0.2)
>>> params, state = net.build(jax.random.PRNGKey(0))
>>> state, rates = net.run(params, state, duration_ms=50.0)
>>> rates.shape
(400,)
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic._checks import BadInput, check_choice, check_dt, check_positive, check_size
from bioplastic.neurons.lif import LIF, ConductanceInput, LIFParams, LIFState
from bioplastic.simulation import Probe, simulate
from bioplastic.synapses.connectivity import Connectivity, fixed_probability, stack
from bioplastic.synapses.exponential import ExponentialSynapse
from bioplastic.synapses.propagation import propagate_events, propagate_rows

EXCITATORY = ExponentialSynapse(tau_ms=5.0, reversal_mv=0.0)
INHIBITORY = ExponentialSynapse(tau_ms=10.0, reversal_mv=-80.0)
EXCITATORY_WEIGHT = 0.6  # conductance per spike, relative to leak
INHIBITORY_WEIGHT = 6.7


class CobaParams(NamedTuple):
    """``neurons``: LIF parameters; ``synapses``: all synapses, fused (targets ``[0, n)`` are
    excitatory conductances, ``[n, 2n)`` inhibitory); ``drive_mv``: constant input (mV).

    Example
    -------
    >>> params, _ = CobaNetwork.scaled(100).build(jax.random.PRNGKey(0))
    >>> params.synapses.n_pre, params.synapses.n_post, float(params.drive_mv)     # 100 sources, 2 x 100 targets
    (100, 200, 20.0)
    """

    neurons: LIFParams
    synapses: Connectivity
    drive_mv: jax.Array


class CobaState(NamedTuple):
    """``neurons``: LIF state; ``g_exc``, ``g_inh``: conductances (x leak) of each neuron.

    Example
    -------
    >>> _, state = CobaNetwork.scaled(100).build(jax.random.PRNGKey(0))
    >>> state.neurons.v.shape, float(state.g_exc.sum()), float(state.g_inh.sum())     # conductances start at 0
    ((100,), 0.0, 0.0)
    """

    neurons: LIFState
    g_exc: jax.Array
    g_inh: jax.Array


@dataclasses.dataclass(frozen=True)
class CobaNetwork:
    """A COBA network of ``n`` neurons.

    Parameters
    ----------
    n : int
        Number of neurons (``round(0.8 n)`` excitatory, the rest inhibitory).
    p : float
        Connection probability of every pair (self-connections allowed, as in BrainPy).
    dt : float
        Step (ms).
    max_events : int or None
        Spike buffer of the event-driven propagation; ``None`` sizes it for a population
        rate of 200 Hz (ten times the healthy rate), so it overflows only in bursts, which
        fall back to the exact all-rows product.
    propagation : {"events", "rows"}
        Event-driven (default) or every row every step (the cross-check).

    Example
    -------
    >>> net = CobaNetwork.scaled(100)
    >>> net.n_exc, net.buffer_size
    (80, 32)
    >>> params, state = net.build(jax.random.PRNGKey(0))
    >>> state, rates = net.run(params, state, duration_ms=1.0)          # rates in Hz, one per neuron
    >>> rates.shape
    (100,)
    """

    n: int = 4000
    p: float = 0.02
    dt: float = 0.1
    max_events: int | None = None
    propagation: str = "events"

    def __post_init__(self):
        check_size(self.n, "CobaNetwork.n")
        if self.n < 2:
            raise BadInput("CobaNetwork.n", self.n, "a whole number >= 2 (E and I populations)")
        check_positive(self.p, "CobaNetwork.p")
        if self.p > 1:
            raise BadInput("CobaNetwork.p", f"{self.p!r}", "a probability in (0, 1]")
        check_dt(self.dt, "CobaNetwork.dt")
        check_choice(self.propagation, "CobaNetwork.propagation", ("events", "rows"))
        if self.max_events is not None:
            check_size(self.max_events, "CobaNetwork.max_events")

    @classmethod
    def scaled(cls, n: int, synapses_per_neuron: float = 80.0, **kwargs) -> "CobaNetwork":
        """A network of ``n`` neurons with the same expected number of synapses per neuron.

        Parameters
        ----------
        n : int
            Number of neurons.
        synapses_per_neuron : float
            Expected in-degree (and out-degree): ``p = synapses_per_neuron / n``, which must be <= 1.
        **kwargs
            Other :class:`CobaNetwork` fields (``dt``, ``max_events``, ``propagation``).

        Example
        -------
        >>> CobaNetwork.scaled(8000).p
        0.01
        """
        return cls(n=n, p=synapses_per_neuron / n, **kwargs)

    @property
    def n_exc(self) -> int:
        """Number of excitatory neurons (the first ``n_exc`` indices): ``round(0.8 n)``.

        Example
        -------
        >>> CobaNetwork(n=4000).n_exc, CobaNetwork(n=10).n_exc, CobaNetwork(n=5).n_exc
        (3200, 8, 4)
        """
        return int(round(0.8 * self.n))

    @property
    def buffer_size(self) -> int:
        """Spike buffer size used by the event-driven propagation.

        ``max_events`` when given, else the spikes of all ``n`` neurons firing at 200 Hz in
        one step of ``dt`` ms (at least 32).

        Example
        -------
        >>> CobaNetwork().buffer_size, CobaNetwork(n=100).buffer_size, CobaNetwork(max_events=7).buffer_size
        (80, 32, 7)
        """
        if self.max_events is not None:
            return self.max_events
        return max(32, math.ceil(self.n * 200.0 * self.dt * 1e-3))

    @property
    def neuron_model(self) -> LIF:
        """The LIF model (exact integration, hard reset).

        Example
        -------
        >>> model = CobaNetwork(n=10).neuron_model
        >>> model.integration, model.reset
        ('exact', 'hard')
        """
        return LIF(integration="exact", reset="hard")

    def build(self, key: jax.Array, v_mean_mv: float = -55.0, v_std_mv: float = 2.0):
        """Draw connectivity and initial voltages; return ``(params, state)``.

        Parameters
        ----------
        key : jax key
            Seeds the excitatory and inhibitory synapses and the initial voltages.
        v_mean_mv, v_std_mv : float
            Initial voltages are drawn from ``N(v_mean_mv, v_std_mv**2)`` (mV).

        Example
        -------
        Excitatory rows (the first 8 of 10) reach only the excitatory-conductance targets
        ``[0, 10)`` with weight 0.6, inhibitory rows only ``[10, 20)`` with weight 6.7:

        >>> net = CobaNetwork(n=10, p=0.5)
        >>> params, state = net.build(jax.random.PRNGKey(0), v_std_mv=0.0)
        >>> w = params.synapses.to_dense()
        >>> w.shape, float(w[:8, 10:].sum()), float(w[8:, :10].sum())
        ((10, 20), 0.0, 0.0)
        >>> sorted({round(x, 4) for x in w.ravel().tolist()}), state.neurons.v.tolist() == [-55.0] * 10
        ([0.0, 0.6, 6.7], True)
        """
        key_exc, key_inh, key_v = jax.random.split(key, 3)
        n, n_exc = self.n, self.n_exc
        exc = fixed_probability(key_exc, n_exc, n, self.p, EXCITATORY_WEIGHT)
        inh = fixed_probability(key_inh, n - n_exc, n, self.p, INHIBITORY_WEIGHT)
        model = self.neuron_model
        neuron_params = model.params(tau_ms=20.0, v_rest_mv=-60.0, v_th_mv=-50.0, v_reset_mv=-60.0, tau_ref_ms=5.0)
        params = CobaParams(neuron_params, stack([exc, inh], [0, n], 2 * n), jnp.asarray(20.0, jnp.float32))
        v0 = v_mean_mv + v_std_mv * jax.random.normal(key_v, (n,))
        zeros = jnp.zeros((n,), jnp.float32)
        state = CobaState(model.init(neuron_params, n, key_v, v_mv=v0), zeros, zeros)
        return params, state

    def step(self, params: CobaParams, state: CobaState, drive, dt: float):
        """One step of ``dt`` ms; returns ``(state, spikes)``. ``drive`` (or None) adds current (mV).

        Parameters
        ----------
        params : CobaParams
            From :meth:`build`.
        state : CobaState
            State before the step; its spikes are propagated in this step.
        drive : array or None
            Extra input current as voltage across R (mV), added to ``params.drive_mv``; broadcasts to (n,).
        dt : float
            Step (ms).

        Returns
        -------
        (CobaState, array)
            The new state and this step's spikes, shape (n,), float 0/1.

        Example
        -------
        Without spikes ``v`` relaxes towards ``-60 + 20 = -40`` mV: from -55 mV,
        ``-40 - 15 exp(-0.1/20)`` after one 0.1-ms step:

        >>> net = CobaNetwork(n=10, p=0.5)
        >>> params, state = net.build(jax.random.PRNGKey(0), v_std_mv=0.0)
        >>> quiet, spikes = net.step(params, state, None, 0.1)
        >>> round(float(quiet.neurons.v[0]), 4), spikes.tolist() == [0.0] * 10
        (-54.9252, True)

        A strong extra drive makes every neuron spike; in the next step each neuron's
        conductances are the summed weights it receives (``w`` columns ``[0, n)`` excitatory,
        ``[n, 2n)`` inhibitory):

        >>> state, spikes = net.step(params, state, jnp.full(10, 1000.0), 0.1)
        >>> state, _ = net.step(params, state, None, 0.1)
        >>> w = params.synapses.to_dense()
        >>> spikes.tolist() == [1.0] * 10, bool(jnp.allclose(state.g_exc, w[:, :10].sum(axis=0)))
        (True, True)
        >>> bool(jnp.allclose(state.g_inh, w[:, 10:].sum(axis=0)))
        True
        """
        spikes = state.neurons.spike
        if self.propagation == "events":
            arriving = propagate_events(params.synapses, spikes, self.buffer_size)
        else:
            arriving = propagate_rows(params.synapses, spikes)
        g_exc = EXCITATORY.step(state.g_exc, arriving[: self.n], dt)
        g_inh = INHIBITORY.step(state.g_inh, arriving[self.n :], dt)
        current = params.drive_mv if drive is None else params.drive_mv + drive
        synaptic = ConductanceInput(
            current=current,
            conductance=g_exc + g_inh,
            conductance_reversal=g_exc * EXCITATORY.reversal_mv + g_inh * INHIBITORY.reversal_mv,
        )
        neurons, out = self.neuron_model.step(params.neurons, state.neurons, synaptic, dt)
        return CobaState(neurons, g_exc, g_inh), out

    def run(self, params: CobaParams, state: CobaState, duration_ms: float):
        """Simulate ``duration_ms``; return ``(state, rate_hz)`` with each neuron's mean rate.

        The rate (Hz) is the spike count over ``round(duration_ms / dt)`` steps divided by
        that time; the whole run is one ``lax.scan``.

        Parameters
        ----------
        params : CobaParams
            From :meth:`build`.
        state : CobaState
            Initial state.
        duration_ms : float
            Simulated time (ms), > 0; rounded to a whole number of steps (at least one).

        Returns
        -------
        (CobaState, array)
            The final state and each neuron's mean rate (Hz), shape (n,).

        Example
        -------
        Started at -50.5 mV, every neuron crosses -50 mV after about 1 ms, then stays
        refractory for 5 ms: one spike each in 2 ms, i.e. 500 Hz:

        >>> net = CobaNetwork(n=10, p=0.5)
        >>> params, state = net.build(jax.random.PRNGKey(0), v_mean_mv=-50.5, v_std_mv=0.0)
        >>> state, rates = net.run(params, state, duration_ms=2.0)
        >>> jnp.round(rates, 2).tolist() == [500.0] * 10
        True
        """
        n_steps = max(1, int(round(check_positive(duration_ms, "duration_ms", "ms") / self.dt)))
        state, rec = simulate(
            self.step,
            state,
            n_steps,
            params=params,
            probes={"count": Probe("output", reduce="sum", stride=n_steps)},
            dt=self.dt,
        )
        return state, rec["count"][0] / (n_steps * self.dt * 1e-3)



def main(argv=None) -> dict:
    """Run the 4000-neuron COBA network for 1 s and print its rates (the README's main job).

    Parameters
    ----------
    argv : list of str or None
        Command-line arguments (``--n``, ``--duration-ms`` in ms, ``--seed``); ``None`` reads ``sys.argv``.

    Returns
    -------
    dict
        ``mean_rate_hz``, ``exc_rate_hz``, ``inh_rate_hz`` (Hz) and ``wall_s`` (s, compilation included).

    Example
    -------
    >>> summary = main(["--n", "100", "--duration-ms", "1"])
    COBA: 100 LIF neurons (80 E, 20 I), p = 0.8000, dt = 0.1 ms
    simulated 1 ms in ... s (compilation included): mean rate ... Hz (E ... Hz, I ... Hz)
    >>> sorted(summary)
    ['exc_rate_hz', 'inh_rate_hz', 'mean_rate_hz', 'wall_s']
    """
    import argparse
    import time

    parser = argparse.ArgumentParser(description="Simulate the COBA network (Vogels & Abbott 2005).")
    parser.add_argument("--n", type=int, default=4000, help="number of neurons (80 synapses per neuron)")
    parser.add_argument("--duration-ms", type=float, default=1000.0, help="simulated time (ms)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    net = CobaNetwork.scaled(args.n)
    print(f"COBA: {net.n} LIF neurons ({net.n_exc} E, {net.n - net.n_exc} I), p = {net.p:.4f}, dt = {net.dt} ms")
    params, state = net.build(jax.random.PRNGKey(args.seed))
    start = time.perf_counter()
    _, rates = net.run(params, state, args.duration_ms)
    rates = jax.block_until_ready(rates)
    wall = time.perf_counter() - start
    summary = {
        "mean_rate_hz": float(jnp.mean(rates)),
        "exc_rate_hz": float(jnp.mean(rates[: net.n_exc])),
        "inh_rate_hz": float(jnp.mean(rates[net.n_exc :])),
        "wall_s": wall,
    }
    print(
        f"simulated {args.duration_ms:g} ms in {wall:.2f} s (compilation included): mean rate "
        f"{summary['mean_rate_hz']:.2f} Hz (E {summary['exc_rate_hz']:.2f} Hz, I {summary['inh_rate_hz']:.2f} Hz)"
    )
    return summary
