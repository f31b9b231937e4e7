"""The COBA network (Vogels & Abbott 2005, as in BrainPy's benchmark): a recipe on :class:`~bioplastic.networks.network.Network`.

``n`` LIF neurons, 80 % excitatory (population ``exc``) and 20 % inhibitory (``inh``),
randomly connected with probability ``p`` (0.02 at 4000 neurons; :meth:`CobaNetwork.scaled`
keeps 80 synapses per neuron at any size) by four projections (``exc_to_exc``,
``exc_to_inh``, ``inh_to_exc``, ``inh_to_inh``) with exponential conductance synapses:

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
slip of 1000x). ``protocols/coba.toml`` (with ``models/coba.toml``) describes the same
network; this class is the Python route to it, with one spike vector over all ``n``
neurons (excitatory first).

Order within a step: the spikes of the previous step are propagated (event-driven; one
pass per source population), the conductances decay and receive them, then the LIF
neurons integrate with those conductances (exact exponential step for inputs held over
the step) and spike.

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

import jax
import jax.numpy as jnp

from bioplastic._checks import BadInput, check_choice, check_dt, check_positive, check_size
from bioplastic.networks.network import PROJECTION_ROUTES, Network, Population, Projection
from bioplastic.neurons.lif import LIF
from bioplastic.simulation import Probe, simulate
from bioplastic.synapses.connectivity import fixed_probability
from bioplastic.synapses.exponential import ExponentialSynapse

EXCITATORY = ExponentialSynapse(tau_ms=5.0, reversal_mv=0.0)
INHIBITORY = ExponentialSynapse(tau_ms=10.0, reversal_mv=-80.0)
EXCITATORY_WEIGHT = 0.6  # conductance per spike, relative to leak
INHIBITORY_WEIGHT = 6.7
DRIVE_MV = 20.0


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
        Spike buffer of the pure-JAX event-driven route; ``None`` sizes it for a
        population rate of 200 Hz (ten times the healthy rate), so it overflows only in
        bursts, which fall back to an exact search over all neurons.
    propagation : {"auto", "events", "brainevent", "rows"}
        Route of the spikes (:attr:`Projection.route <bioplastic.networks.network.Projection>`):
        ``"auto"`` (default) the one measured fastest for each population's size,
        ``"rows"`` every row every step (the cross-check).

    Example
    -------
    >>> net = CobaNetwork.scaled(100)
    >>> net.n_exc, [p.name for p in net.network.projections]
    (80, ['exc_to_exc', 'exc_to_inh', 'inh_to_exc', 'inh_to_inh'])
    >>> params, state = net.build(jax.random.PRNGKey(0))
    >>> state, rates = net.run(params, state, duration_ms=1.0)          # rates in Hz, one per neuron
    >>> rates.shape
    (100,)
    """

    n: int = 4000
    p: float = 0.02
    dt: float = 0.1
    max_events: int | None = None
    propagation: str = "auto"

    def __post_init__(self):
        check_size(self.n, "CobaNetwork.n")
        if self.n < 2:
            raise BadInput("CobaNetwork.n", self.n, "a whole number >= 2 (E and I populations)")
        check_positive(self.p, "CobaNetwork.p")
        if self.p > 1:
            raise BadInput("CobaNetwork.p", f"{self.p!r}", "a probability in (0, 1]")
        check_dt(self.dt, "CobaNetwork.dt")
        check_choice(self.propagation, "CobaNetwork.propagation", PROJECTION_ROUTES)
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
    def network(self) -> Network:
        """The populations ``exc`` and ``inh`` and the four projections between them.

        Example
        -------
        >>> net = CobaNetwork(n=10).network
        >>> [(p.name, p.size) for p in net.populations], net.event_passes(0.1)
        ([('exc', 8), ('inh', 2)], [('events', 32, ('exc_to_exc', 'exc_to_inh')), ('events', 32, ('inh_to_exc', 'inh_to_inh'))])
        """
        model = LIF(integration="exact", reset="hard")
        populations = (Population("exc", model, self.n_exc), Population("inh", model, self.n - self.n_exc))
        synapses = {"exc": EXCITATORY, "inh": INHIBITORY}
        projections = tuple(
            Projection(f"{pre}_to_{post}", pre, post, synapses[pre], max_events=self.max_events, route=self.propagation)
            for pre in ("exc", "inh") for post in ("exc", "inh")
        )
        return Network(populations, projections)

    def build(self, key: jax.Array, v_mean_mv: float = -55.0, v_std_mv: float = 2.0):
        """Draw connectivity and initial voltages; return ``(params, state)`` of :attr:`network`.

        Parameters
        ----------
        key : jax key
            Seeds the four projections' synapses and the initial voltages.
        v_mean_mv, v_std_mv : float
            Initial voltages are drawn from ``N(v_mean_mv, v_std_mv**2)`` (mV).

        Example
        -------
        Excitatory projections carry weight 0.6, inhibitory ones 6.7:

        >>> net = CobaNetwork(n=10, p=0.5)
        >>> params, state = net.build(jax.random.PRNGKey(0), v_std_mv=0.0)
        >>> {name: sorted({round(w, 4) for w in conn.weights[conn.mask].tolist()})
        ...  for name, conn in params["projections"].items()}
        {'exc_to_exc': [0.6], 'exc_to_inh': [0.6], 'inh_to_exc': [6.7], 'inh_to_inh': [6.7]}
        >>> state["populations"]["exc"].v.tolist() == [-55.0] * 8
        True
        """
        network = self.network
        *projection_keys, key_v = jax.random.split(key, len(network.projections) + 1)
        weights = {"exc": EXCITATORY_WEIGHT, "inh": INHIBITORY_WEIGHT}
        connectivity = {
            projection.name: fixed_probability(k, network.population(projection.pre).size,
                                               network.population(projection.post).size, self.p, weights[projection.pre])
            for projection, k in zip(network.projections, projection_keys)
        }
        model = network.population("exc").model
        neuron_params = model.params(tau_ms=20.0, v_rest_mv=-60.0, v_th_mv=-50.0, v_reset_mv=-60.0, tau_ref_ms=5.0)
        params = network.params({"exc": neuron_params, "inh": neuron_params}, connectivity)
        v0 = v_mean_mv + v_std_mv * jax.random.normal(key_v, (self.n,))
        initial = {"exc": model.init(neuron_params, self.n_exc, key_v, v_mv=v0[: self.n_exc]),
                   "inh": model.init(neuron_params, self.n - self.n_exc, key_v, v_mv=v0[self.n_exc :])}
        return params, network.init(params, key_v, initial)

    def step(self, params: dict, state: dict, drive, dt: float):
        """One step of ``dt`` ms; returns ``(state, spikes)``. ``drive`` (or None) adds current (mV).

        Parameters
        ----------
        params, state : dict
            From :meth:`build`; the state's spikes are propagated in this step.
        drive : array or None
            Extra input current as voltage across R (mV), added to the 20-mV drive; broadcasts to (n,).
        dt : float
            Step (ms).

        Returns
        -------
        (dict, array)
            The new state and this step's spikes of all ``n`` neurons (excitatory first), float 0/1.

        Example
        -------
        Without spikes ``v`` relaxes towards ``-60 + 20 = -40`` mV: from -55 mV,
        ``-40 - 15 exp(-0.1/20)`` after one 0.1-ms step:

        >>> net = CobaNetwork(n=10, p=0.5)
        >>> params, state = net.build(jax.random.PRNGKey(0), v_std_mv=0.0)
        >>> quiet, spikes = net.step(params, state, None, 0.1)
        >>> round(float(quiet["populations"]["exc"].v[0]), 4), spikes.tolist() == [0.0] * 10
        (-54.9252, True)

        A strong extra drive makes every neuron spike; in the next step each excitatory
        neuron's excitatory conductance is the summed weight it receives from ``exc``:

        >>> state, spikes = net.step(params, state, jnp.full(10, 1000.0), 0.1)
        >>> state, _ = net.step(params, state, None, 0.1)
        >>> received = params["projections"]["exc_to_exc"].to_dense().sum(axis=0)
        >>> spikes.tolist() == [1.0] * 10, bool(jnp.allclose(state["synapses"]["exc_to_exc"], received))
        (True, True)
        """
        if drive is None:
            currents = {"exc": DRIVE_MV, "inh": DRIVE_MV}
        else:
            current = DRIVE_MV + jnp.broadcast_to(drive, (self.n,))
            currents = {"exc": current[: self.n_exc], "inh": current[self.n_exc :]}
        state, outputs = self.network.step(params, state, currents, dt)
        return state, jnp.concatenate([outputs["exc"], outputs["inh"]])

    def run(self, params: dict, state: dict, duration_ms: float):
        """Simulate ``duration_ms``; return ``(state, rate_hz)`` with each neuron's mean rate.

        The rate (Hz) is the spike count over ``round(duration_ms / dt)`` steps divided by
        that time; the whole run is one ``lax.scan`` of :attr:`network`'s step, each
        population's spikes summed apart (no spike vector of all ``n`` neurons per step).

        Parameters
        ----------
        params, state : dict
            From :meth:`build` (``state``: the initial state).
        duration_ms : float
            Simulated time (ms), > 0; rounded to a whole number of steps (at least one).

        Returns
        -------
        (dict, array)
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
        state, rec = simulate(self.network.step, state, n_steps, params=params, **self.run_arguments(n_steps))
        return state, jnp.concatenate([rec["exc"][0], rec["inh"][0]]) / (n_steps * self.dt * 1e-3)

    def run_arguments(self, n_steps: int) -> dict:
        """The keyword arguments :meth:`run` gives :func:`~bioplastic.simulation.simulate` with :attr:`network`'s step.

        The constant drive, and each population's spike count over ``n_steps`` steps.

        Example
        -------
        >>> sorted(CobaNetwork(n=10).run_arguments(100))
        ['drive', 'dt', 'probes']
        """
        return {"drive": {"exc": DRIVE_MV, "inh": DRIVE_MV}, "dt": self.dt,
                "probes": {name: Probe(f"outputs.{name}", reduce="sum", stride=n_steps) for name in ("exc", "inh")}}


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
