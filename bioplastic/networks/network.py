"""A network of populations and projections, stepped as one pure function.

A :class:`Network` is static structure: named :class:`Population` objects (a neuron
model and a size) and :class:`Projection` objects (pre and post population, a synapse,
a delay). Its numbers live in two pytrees, as for a single neuron model:

- ``params = {"populations": {name: neuron params}, "projections": {name: Connectivity}}``
- ``state = {"populations": {name: neuron state}, "outputs": {name: last output},
  "synapses": {name: trace}, "delays": {name: DelayBuffer},
  "plastic": {name: {"weights": learned weights, "rule": rule state}}}``

One :meth:`Network.step` (signature ``step(params, state, drive, dt)``, so it plugs into
:func:`bioplastic.simulation.simulate`) does, for every projection, in order:

1. take the presynaptic population's output of the previous step (through the delay
   buffer when ``delay_steps > 0``);
2. propagate it (event-driven for spiking populations, every row for rate populations;
   the event-driven route is the one measured fastest for the population's size,
   :mod:`bioplastic.synapses.routes`, unless the projection names one);
3. update the synapse: ``"delta"`` passes the arriving weight as a current for this step;
   an exponential synapse decays and adds it (current- or conductance-based);

then every population integrates the sum of its external drive (``drive.currents[name]`` of
a :class:`NetworkInput`: an array, or a tuple of arrays that are added; mV for LIF) and
its synaptic currents, or a :class:`~bioplastic.neurons.lif.ConductanceInput` when a
conductance-based projection reaches it; finally every plastic projection's learning
rule sees this step's pre and post activity, and the signals it declares, and changes its
weights by the change it returns times the plasticity gate.

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.neurons.lif import LIF
>>> from bioplastic.networks.network import Network, Population, Projection
>>> from bioplastic.synapses.connectivity import fixed_probability
>>> from bioplastic.synapses.exponential import ExponentialSynapse
>>> net = Network(
...     populations=(Population("exc", LIF(), 100),),
...     projections=(Projection("rec", "exc", "exc", ExponentialSynapse(5.0)),),
... )
>>> params = net.params(
...     {"exc": LIF().params(tau_ref_ms=2.0)},
...     {"rec": fixed_probability(jax.random.PRNGKey(0), 100, 100, 0.1, 0.5)},
... )
>>> state = net.init(params, jax.random.PRNGKey(1))
>>> state, outputs = net.step(params, state, {"exc": jnp.full(100, 12.0)}, 0.1)
>>> outputs["exc"].shape
(100,)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, NamedTuple, Optional

import jax
import jax.numpy as jnp

from bioplastic._checks import BadInput, check_choice, check_size
from bioplastic.neurons.base import NeuronModel
from bioplastic.neurons.lif import LIF, ConductanceInput
from bioplastic.rules.base import Rule
from bioplastic.rules.events import Incoming, SpikeTriggeredChange, incoming
from bioplastic.synapses.connectivity import Connectivity
from bioplastic.synapses.delay import SpikeDelay
from bioplastic.synapses.exponential import ExponentialSynapse
from bioplastic.synapses.propagation import propagate_brainevent_shared, propagate_events_shared, propagate_rows
from bioplastic.synapses.routes import ROUTES, choose_route

SPIKING_MODELS = ("LIF", "Izhikevich", "BrainPyNeuron", "SpikeSource")
PROJECTION_ROUTES = ("auto",) + ROUTES + ("rows",)     # what Projection.route takes


@dataclasses.dataclass(frozen=True)
class Population:
    """``size`` neurons of one ``model`` under a ``name``.

    Example
    -------
    >>> from bioplastic.neurons.rate import RateUnit
    >>> Population("exc", LIF(), 100).spiking, Population("readout", RateUnit(), 3).spiking
    (True, False)
    """

    name: str
    model: NeuronModel
    size: int

    def __post_init__(self):
        check_size(self.size, f"population {self.name!r}.size")

    @property
    def spiking(self) -> bool:
        """True when the population emits spikes (0/1), so event-driven propagation applies.

        Decided by the model's class name (one of ``SPIKING_MODELS``).

        Example
        -------
        >>> from bioplastic.neurons.izhikevich import Izhikevich
        >>> Population("izh", Izhikevich(), 10).spiking, SPIKING_MODELS
        (True, ('LIF', 'Izhikevich', 'BrainPyNeuron', 'SpikeSource'))
        """
        return type(self.model).__name__ in SPIKING_MODELS


@dataclasses.dataclass(frozen=True)
class Projection:
    """Synapses from population ``pre`` to ``post``.

    Parameters
    ----------
    name, pre, post : str
        Names of the projection and of its two populations.
    synapse : ExponentialSynapse or None
        ``None`` for delta synapses (the arriving weight is a current for one step).
    delay_steps : int
        Homogeneous transmission delay in steps, on top of the one step every projection
        takes (it carries the previous step's output): a spike emitted at step ``n`` reaches
        the synapse at step ``n + 1 + delay_steps``.
    max_events : int or None
        Spike buffer of the event-driven propagation; ``None`` sizes it for 200 Hz.
    rule : Rule or None
        A learning rule for the weights (:mod:`bioplastic.rules`); ``None`` keeps them fixed.
    route : {"auto", "events", "brainevent", "rows"}
        Route for spikes: ``"auto"`` takes the event-driven route measured fastest for the
        presynaptic population's size (:func:`~bioplastic.synapses.routes.choose_route`);
        the others force one (``"rows"``: every row every step, the cross-check). Rate
        populations always propagate every row.

    Example
    -------
    >>> projection = Projection("rec", "exc", "exc", ExponentialSynapse(tau_ms=5.0), delay_steps=2)
    >>> projection.synapse.tau_ms, projection.delay_steps, projection.rule
    (5.0, 2, None)
    """

    name: str
    pre: str
    post: str
    synapse: Optional[ExponentialSynapse] = None
    delay_steps: int = 0
    max_events: Optional[int] = None
    rule: Optional[Rule] = None
    route: str = "auto"

    def __post_init__(self):
        check_choice(self.route, f"projection {self.name!r}.route", PROJECTION_ROUTES)


@dataclasses.dataclass(frozen=True)
class Network:
    """Populations and projections (static structure); see the module docstring.

    Example
    -------
    Two driven neurons spike in the first 1-ms step; their delta synapses (5 mV each)
    reach the third neuron in the next step:

    >>> from bioplastic.synapses.connectivity import dense
    >>> net = Network(populations=(Population("a", LIF(), 2), Population("b", LIF(), 1)),
    ...               projections=(Projection("ab", "a", "b"),))
    >>> params = net.params({"a": LIF().params(), "b": LIF().params()}, {"ab": dense(2, 1, 5.0)})
    >>> state = net.init(params, jax.random.PRNGKey(0))
    >>> step = jax.jit(net.step, static_argnums=3)                  # dt = 1 ms is static
    >>> state, outputs = step(params, state, {"a": jnp.full(2, 1000.0)}, 1.0)
    >>> outputs["a"].tolist(), outputs["b"].tolist()
    ([1.0, 1.0], [0.0])
    >>> state, outputs = step(params, state, {"a": jnp.zeros(2)}, 1.0)
    >>> round(float(state["populations"]["b"].v[0]), 3)      # -60 + 10 (1 - exp(-1/20)) mV
    -59.512
    """

    populations: tuple[Population, ...]
    projections: tuple[Projection, ...] = ()

    def __post_init__(self):
        names = [p.name for p in self.populations]
        if len(set(names)) != len(names):
            raise BadInput("populations", f"duplicate names {names}", "distinct names")
        for projection in self.projections:
            for end in ("pre", "post"):
                target = getattr(projection, end)
                if target not in names:
                    raise BadInput(f"projection {projection.name!r}.{end}",
                                   f"{target!r}",
                                   f"one of {', '.join(names)}")
            post_model = self.population(projection.post).model
            if projection.synapse is not None and projection.synapse.conductance_based and not isinstance(post_model, LIF):
                raise BadInput(f"projection {projection.name!r}.synapse",
                               f"a conductance-based synapse onto {type(post_model).__name__} population {projection.post!r}",
                               "conductance synapses onto LIF only")

    def population(self, name: str) -> Population:
        """The population called ``name``.

        Example
        -------
        >>> from bioplastic.synapses.connectivity import dense
        >>> net = Network(populations=(Population("a", LIF(), 2), Population("b", LIF(), 1)),
        ...               projections=(Projection("ab", "a", "b", ExponentialSynapse(5.0), delay_steps=3),))
        >>> net.population("b").size
        1
        >>> net.population("c")
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: population: got 'c'; allowed: one of a, b
        """
        for population in self.populations:
            if population.name == name:
                return population
        raise BadInput("population", f"{name!r}", f"one of {', '.join((p.name for p in self.populations))}")

    def params(self, neuron_params: dict, connectivity: dict) -> dict:
        """Assemble and check the parameter pytree (one entry per population and projection).

        Parameters
        ----------
        neuron_params : dict
            Population name -> that model's parameters.
        connectivity : dict
            Projection name -> :class:`Connectivity` of shape (pre size, post size).

        Example
        -------
        >>> from bioplastic.synapses.connectivity import dense
        >>> net = Network(populations=(Population("a", LIF(), 2), Population("b", LIF(), 1)),
        ...               projections=(Projection("ab", "a", "b", ExponentialSynapse(5.0), delay_steps=3),))
        >>> params = net.params({"a": LIF().params(), "b": LIF().params()}, {"ab": dense(2, 1, 5.0)})
        >>> sorted(params), sorted(params["projections"])
        (['incoming', 'populations', 'projections'], ['ab'])

        A connectivity drawn the wrong way round is refused:

        >>> net.params({"a": LIF().params(), "b": LIF().params()}, {"ab": dense(1, 2, 5.0)})
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: connectivity['ab']: got shape (1, 2); allowed: (pre size, post size) = (2, 1)
        """
        for projection in self.projections:
            conn = connectivity.get(projection.name)
            if not isinstance(conn, Connectivity):
                raise BadInput(f"connectivity[{projection.name!r}]", type(conn).__name__, "a Connectivity")
            expected = (self.population(projection.pre).size, self.population(projection.post).size)
            if (conn.n_pre, conn.n_post) != expected:
                raise BadInput(f"connectivity[{projection.name!r}]",
                               f"shape {(conn.n_pre, conn.n_post)}",
                               f"(pre size, post size) = {expected}")
        return {
            "populations": {p.name: neuron_params[p.name] for p in self.populations},
            "projections": {p.name: connectivity[p.name] for p in self.projections},
            "incoming": {p.name: index for p in self.projections
                         if p.rule is not None and (index := _incoming_index(connectivity[p.name])) is not None},
        }

    def init(self, params: dict, key: jax.Array, initial: Optional[dict] = None) -> dict:
        """Initial state; ``initial[name]`` optionally replaces a population's initial state.

        Outputs and synaptic traces start at zero, delay buffers empty, plastic weights at
        the connectivity's.

        Parameters
        ----------
        params : dict
            From :meth:`params`.
        key : jax key
            Split into one key per population for its model's ``init``.
        initial : dict or None
            Population name -> neuron state used instead of the model's initial state.

        Returns
        -------
        dict
            ``{"populations", "outputs", "synapses", "delays", "plastic"}``, as in the module docstring.

        Example
        -------
        >>> from bioplastic.synapses.connectivity import dense
        >>> net = Network(populations=(Population("a", LIF(), 2), Population("b", LIF(), 1)),
        ...               projections=(Projection("ab", "a", "b", ExponentialSynapse(5.0), delay_steps=3),))
        >>> params = net.params({"a": LIF().params(), "b": LIF().params()}, {"ab": dense(2, 1, 5.0)})
        >>> state = net.init(params, jax.random.PRNGKey(0))
        >>> sorted(state)
        ['delays', 'outputs', 'plastic', 'populations', 'synapses']
        >>> state["populations"]["a"].v.tolist(), state["synapses"]["ab"].tolist(), state["delays"]["ab"].spikes.shape
        ([-60.0, -60.0], [0.0], (3, 2))
        """
        initial = initial or {}
        keys = jax.random.split(key, len(self.populations))
        populations = {
            p.name: initial[p.name] if p.name in initial else p.model.init(params["populations"][p.name], p.size, k)
            for p, k in zip(self.populations, keys)
        }
        outputs = {p.name: jnp.zeros((p.size,), jnp.float32) for p in self.populations}
        synapses = {
            pr.name: jnp.zeros((self.population(pr.post).size,), jnp.float32)
            for pr in self.projections
            if pr.synapse is not None
        }
        delays = {
            pr.name: SpikeDelay(pr.delay_steps).init(self.population(pr.pre).size)
            for pr in self.projections
            if pr.delay_steps > 0
        }
        plastic = {
            pr.name: {"weights": params["projections"][pr.name].weights, "rule": pr.rule.init(params["projections"][pr.name])}
            for pr in self.projections
            if pr.rule is not None
        }
        return {"populations": populations, "outputs": outputs, "synapses": synapses, "delays": delays, "plastic": plastic}

    def connectivity(self, params: dict, state: dict, name: str) -> Connectivity:
        """A projection's connectivity with its current weights (learned ones for plastic projections).

        Parameters
        ----------
        params : dict
            From :meth:`params`.
        state : dict
            Network state; its ``"plastic"`` entry holds the learned weights.
        name : str
            Projection name.

        Example
        -------
        A fixed projection's connectivity is the one in ``params``:

        >>> from bioplastic.synapses.connectivity import dense
        >>> net = Network(populations=(Population("a", LIF(), 2), Population("b", LIF(), 1)),
        ...               projections=(Projection("ab", "a", "b", ExponentialSynapse(5.0), delay_steps=3),))
        >>> params = net.params({"a": LIF().params(), "b": LIF().params()}, {"ab": dense(2, 1, 5.0)})
        >>> state = net.init(params, jax.random.PRNGKey(0))
        >>> net.connectivity(params, state, "ab") is params["projections"]["ab"]
        True
        """
        conn = params["projections"][name]
        if name in state["plastic"]:
            return Connectivity(conn.targets, state["plastic"][name]["weights"], conn.n_post)
        return conn

    def buffer_size(self, projection: Projection, dt: float) -> int:
        """Spike buffer of a projection's event-driven propagation.

        ``projection.max_events`` when given, else enough for the presynaptic population
        firing at 200 Hz in a step of ``dt`` ms (at least 32).

        Example
        -------
        >>> net = Network(populations=(Population("exc", LIF(), 1000),))
        >>> rec, capped = Projection("rec", "exc", "exc"), Projection("capped", "exc", "exc", max_events=7)
        >>> net.buffer_size(rec, 1.0), net.buffer_size(rec, 0.1), net.buffer_size(capped, 1.0)
        (200, 32, 7)
        """
        if projection.max_events is not None:
            return projection.max_events
        return max(32, math.ceil(self.population(projection.pre).size * 200.0 * dt * 1e-3))

    def route(self, projection: Projection) -> str:
        """The route of a projection from a spiking population: ``"events"``, ``"brainevent"`` or ``"rows"``.

        Example
        -------
        >>> net = Network(populations=(Population("exc", LIF(), 10),))
        >>> net.route(Projection("rec", "exc", "exc", route="brainevent")), net.route(Projection("rec", "exc", "exc"))
        ('brainevent', 'events')
        """
        if projection.route != "auto":
            return projection.route
        return choose_route(self.population(projection.pre).size)

    def event_passes(self, dt: float) -> list[tuple[str, Optional[int], tuple[str, ...]]]:
        """The event-driven passes of a step, ``(route, spike buffer, projection names)`` each.

        Projections from one spiking population with the same delay and route propagate
        the same spike vector, and share one pass. On the ``"events"`` route (those with
        the same spike buffer) the spikes are searched once and every spiking row feeds all
        of them (:func:`~bioplastic.synapses.propagation.propagate_events_shared`); the
        ``"brainevent"`` kernel needs no buffer (``None``) and runs once for all of them
        (:func:`~bioplastic.synapses.propagation.propagate_brainevent_shared`).
        Projections from rate populations, and those on the ``"rows"`` route, read every
        row and are not listed.

        Example
        -------
        COBA's four projections make two passes, one per source population:

        >>> net = Network(populations=(Population("e", LIF(), 80), Population("i", LIF(), 20)),
        ...               projections=tuple(Projection(f"{a}{b}", a, b) for a in "ei" for b in "ei"))
        >>> net.event_passes(0.1)
        [('events', 32, ('ee', 'ei')), ('events', 32, ('ie', 'ii'))]
        """
        passes: dict[tuple, list[str]] = {}
        for projection in self.projections:
            route = self.route(projection)
            if self.population(projection.pre).spiking and route != "rows":
                buffer = self.buffer_size(projection, dt) if route == "events" else None
                passes.setdefault((projection.pre, projection.delay_steps, route, buffer), []).append(projection.name)
        return [(route, buffer, tuple(names)) for (_, _, route, buffer), names in passes.items()]

    def step(self, params: dict, state: dict, drive, dt: float):
        """Advance the whole network by ``dt`` ms; returns ``(state, outputs by population)``.

        ``drive`` is a :class:`NetworkInput` -- currents by population, the named signals
        learning rules need (e.g. ``modulator``) and the plasticity gate -- or a plain dict
        of currents (no signals, gate 1).

        Parameters
        ----------
        params : dict
            From :meth:`params`.
        state : dict
            State before the step (from :meth:`init` or a previous step).
        drive : NetworkInput or dict or None
            Population name -> external input (array, or tuple of arrays that are summed), in the unit the
            population's model takes (mV across R for LIF), missing: 0; as a :class:`NetworkInput`, with the
            rules' signals and the plasticity gate.
        dt : float
            Step (ms).

        Returns
        -------
        (dict, dict)
            The new state and this step's output of each population (spikes 0/1 or rates), shape (size,).

        Example
        -------
        A spike of ``a`` at step 0 reaches ``b`` at step 3: one step because a projection
        carries the previous step's output, two for the delay (the 1000-mV delta synapse
        makes ``b`` spike as soon as it arrives):

        >>> from bioplastic.synapses.connectivity import dense
        >>> net = Network(populations=(Population("a", LIF(), 1), Population("b", LIF(), 1)),
        ...               projections=(Projection("ab", "a", "b", delay_steps=2),))
        >>> params = net.params({"a": LIF().params(), "b": LIF().params()}, {"ab": dense(1, 1, 1000.0)})
        >>> state = net.init(params, jax.random.PRNGKey(0))
        >>> spikes = []
        >>> for n in range(5):
        ...     state, outputs = net.step(params, state, {"a": jnp.full(1, 1000.0 if n == 0 else 0.0)}, 1.0)
        ...     spikes.append((int(outputs["a"][0]), int(outputs["b"][0])))
        >>> spikes                                                    # (a, b) per step
        [(1, 0), (0, 0), (0, 0), (0, 1), (0, 0)]

        A tuple drive is summed: 4 + 6 mV moves ``v`` by ``10 (1 - exp(-1/20))`` mV in 1 ms:

        >>> state = net.init(params, jax.random.PRNGKey(0))
        >>> state, _ = net.step(params, state, {"a": (jnp.full(1, 4.0), jnp.full(1, 6.0))}, 1.0)
        >>> round(float(state["populations"]["a"].v[0]), 3)
        -59.512
        """
        drive = drive if isinstance(drive, NetworkInput) else NetworkInput(drive or {})
        current = {p.name: jnp.zeros((p.size,), jnp.float32) for p in self.populations}
        conductance = {}
        synapses, delays = dict(state["synapses"]), dict(state["delays"])
        activity = {}
        for projection in self.projections:
            activity[projection.name] = state["outputs"][projection.pre]
            if projection.delay_steps > 0:
                delays[projection.name], activity[projection.name] = SpikeDelay(projection.delay_steps).push(
                    delays[projection.name], activity[projection.name]
                )
        arrivals = {}
        for route, buffer, group in self.event_passes(dt):
            conns = [self.connectivity(params, state, name) for name in group]
            if route == "events":
                arrivals.update(zip(group, propagate_events_shared(conns, activity[group[0]], buffer)))
            else:
                arrivals.update(zip(group, propagate_brainevent_shared(conns, activity[group[0]])))
        for projection in self.projections:
            if projection.name not in arrivals:
                arrivals[projection.name] = propagate_rows(self.connectivity(params, state, projection.name),
                                                           activity[projection.name])
        for projection in self.projections:
            arriving = arrivals[projection.name]
            synapse = projection.synapse
            if synapse is None:
                current[projection.post] = current[projection.post] + arriving
                continue
            g = synapse.step(state["synapses"][projection.name], arriving, dt)
            synapses[projection.name] = g
            if synapse.conductance_based:
                total, reversal = conductance.get(projection.post, (0.0, 0.0))
                conductance[projection.post] = (total + g, reversal + g * synapse.reversal_mv)
            else:
                current[projection.post] = current[projection.post] + g

        populations, outputs = {}, {}
        for population in self.populations:
            total_current = current[population.name] + _total(drive.currents.get(population.name, 0.0))
            if population.name in conductance:
                g_total, g_reversal = conductance[population.name]
                neuron_input = ConductanceInput(total_current, g_total, g_reversal)
            else:
                neuron_input = total_current
            populations[population.name], outputs[population.name] = population.model.step(
                params["populations"][population.name], state["populations"][population.name], neuron_input, dt
            )
        plastic = self._learn(params, state, outputs, drive)
        new_state = {
            "populations": populations, "outputs": outputs, "synapses": synapses, "delays": delays, "plastic": plastic,
        }
        return new_state, outputs

    def _learn(self, params, state, outputs, drive: NetworkInput) -> dict:
        """Apply every plastic projection's rule to this step's pre and post activity."""
        signals, gate = drive.signals or {}, _total(drive.gate)
        plastic = {}
        for projection in self.projections:
            if projection.rule is None:
                continue
            conn = self.connectivity(params, state, projection.name)
            needed = {name: signals[name] for name in projection.rule.signals}
            delta, rule_state = projection.rule.update(
                state["plastic"][projection.name]["rule"], conn,
                pre=outputs[projection.pre], post=outputs[projection.post], **needed,
            )
            if isinstance(delta, SpikeTriggeredChange):      # only the synapses of the neurons that fired, 32 at a time
                weights = delta.apply(conn, params.get("incoming", {}).get(projection.name), gate)
            else:
                weights = conn.weights + gate * delta
            plastic[projection.name] = {"weights": weights, "rule": rule_state}
        return plastic



# Plastic projections of at most this many synapse slots (n_pre x max_out) add the dense change:
# below it a step's full sum is cheaper than gathering the spiking neurons' synapses
# (measured with pair STDP at 5 Hz, 1-ms steps: 10 000 slots 33 us dense, 62 us event-driven;
# 50 000 slots 158 us against 80 us; the Song et al. neuron's 1000 afferents, 45 us per whole
# network step dense, 67 us event-driven).
DENSE_LEARNING_SLOTS = 16384


def _incoming_index(conn: Connectivity) -> Optional[Incoming]:
    """The synapses onto each neuron of a plastic projection, for spike-triggered changes.

    None (the dense change is added) for a projection of at most ``DENSE_LEARNING_SLOTS``
    synapse slots, and for targets being traced.

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> _incoming_index(dense(1000, 1, 1.0)) is None, _incoming_index(dense(200, 100, 1.0)).flat.shape
    (True, (100, 200))
    """
    if conn.weights.size <= DENSE_LEARNING_SLOTS:
        return None
    try:
        return incoming(conn)
    except jax.errors.TracerArrayConversionError:      # built inside a trace: changes are added densely instead
        return None


class NetworkInput(NamedTuple):
    """What a network step takes from outside: currents, the signals of learning rules, the plasticity gate.

    ``currents``: population name -> input (an array, or a tuple of arrays that are summed);
    ``signals``: signal name -> value (e.g. ``modulator``), the keyword arguments that rules
    declare in ``Rule.signals``; ``gate``: a factor on every weight change (0 freezes
    learning; a tuple is summed). Any of them may be a :mod:`bioplastic.simulation` input,
    evaluated at each step by :func:`~bioplastic.simulation.drive_at`.

    Example
    -------
    >>> NetworkInput({"exc": jnp.ones(2)}).gate, NetworkInput({}, {"modulator": 1.0}, 0.0).signals
    (1.0, {'modulator': 1.0})
    """

    currents: dict
    signals: Optional[dict] = None
    gate: Any = 1.0


def _total(terms):
    """A drive entry: an array, or a tuple of arrays to add up."""
    if isinstance(terms, (tuple, list)):
        return sum(terms[1:], terms[0]) if terms else 0.0
    return terms
