"""Layers of two-compartment units wired by basal and apical connections, learning by theta wake-sleep.

A :class:`ThetaNetwork` is static structure: layers of
:class:`~bioplastic.neurons.two_compartment.TwoCompartmentUnit` and connections, each from a
layer or an external input to the basal or the apical compartment of a layer, plastic or
fixed. Any pattern works: feedforward inference (basal), top-down generation (apical),
recurrence (a layer onto itself), inputs that drive a compartment directly.

One step of ``dt_ms`` with gate ``theta`` updates the layers one after another, in the
order they are listed (as the authors' code does: HPC, then EC):

1. a layer's compartment potentials are the sums of its connections' ``W x``, where ``x``
   is the input's value now, or the presynaptic layer's soma rate -- of this step if that
   layer was updated before (earlier in the list), else of the previous step (so a layer
   onto itself always sees its previous rates);
2. the layer steps (compartment rates with OU noise, soma ``f((1 - theta) r_B + theta r_A)``);
3. then every plastic connection learns by :func:`~bioplastic.rules.wake_sleep.wake_sleep`
   with the ``x`` its potential used and its compartment's ``delta = (r - r_c) f_c'(V_c)``
   (``r_c`` the noisy compartment rate).

The step also returns, per layer, the mean ``|r_B - r_A|`` (the disagreement the rule
reduces) and the soma rates.

A :class:`RelayLayer` is a fixed rate layer between them, ``r = f(sum W x - threshold)``
with fixed weights and no compartments, updated in its place in the list like the others
(e.g. conjunctive velocity cells that combine EC with the running speed). A learned bias is
a plastic connection from an input that is held at 1.

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.networks.theta_network import ThetaConnection, ThetaLayer, ThetaNetwork
>>> net = ThetaNetwork(layers=(ThetaLayer("hpc", 4), ThetaLayer("ec", 2)),
...                    connections=(ThetaConnection("sensory", "x", "hpc", "basal", plastic=False),
...                                 ThetaConnection("infer", "hpc", "ec", "basal"),
...                                 ThetaConnection("generate", "ec", "hpc", "apical")),
...                    inputs={"x": 4}, dt_ms=25.0)
>>> state = net.init(jax.random.PRNGKey(0), weights={"sensory": jnp.eye(4)})
>>> state, out = net.step(state, {"x": jnp.ones(4)}, 0.0)
>>> sorted(out), out["rates"]["hpc"].shape
(['mismatch', 'rates'], (4,))
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Literal, NamedTuple, Optional

import jax
import jax.numpy as jnp

from bioplastic._checks import BadInput, check_dt, check_size
from bioplastic.neurons.activations import activation
from bioplastic.neurons.two_compartment import TwoCompartmentInput, TwoCompartmentUnit
from bioplastic.rules.wake_sleep import WakeSleepSettings, compartment_error, wake_sleep

COMPARTMENTS = ("basal", "apical")


@dataclasses.dataclass(frozen=True)
class ThetaLayer:
    """``size`` two-compartment units; activations by name; OU noise per compartment (rate units) and its time constant.

    Example
    -------
    >>> ThetaLayer("ec", 100, basal_activation="rectified_tanh", apical_noise_sigma=0.05).unit.basal_activation
    'rectified_tanh'
    """

    name: str
    size: int
    basal_activation: str = "linear"
    apical_activation: str = "linear"
    soma_activation: str = "linear"
    basal_noise_sigma: float = 0.01
    apical_noise_sigma: float = 0.01
    noise_tau_ms: float = 300.0

    def __post_init__(self):
        check_size(self.size, f"layer {self.name!r}.size")

    @property
    def unit(self) -> TwoCompartmentUnit:
        """The layer's neuron model.

        Example
        -------
        >>> ThetaLayer("hpc", 4, apical_activation="sigmoid").unit
        TwoCompartmentUnit(basal_activation='linear', apical_activation='sigmoid', soma_activation='linear')
        """
        return TwoCompartmentUnit(self.basal_activation, self.apical_activation, self.soma_activation)

    def init(self, key: jax.Array):
        """The layer's initial state: rates at zero, OU noises drawn with ``key``.

        Example
        -------
        >>> state = ThetaLayer("hpc", 3).init(jax.random.PRNGKey(0))
        >>> state.rate.tolist(), state.noise_basal.shape
        ([0.0, 0.0, 0.0], (3,))
        """
        return self.unit.init(self.params, self.size, key)

    @property
    def params(self):
        """The layer's validated neuron parameters (noise s.d. in rate units, time constant in ms).

        Example
        -------
        >>> params = ThetaLayer("hpc", 3, basal_noise_sigma=0.05).params
        >>> [round(float(value), 4) for value in params]          # basal, apical sigma; tau (ms)
        [0.05, 0.01, 300.0]
        """
        return self.unit.params(basal_noise_sigma=self.basal_noise_sigma, apical_noise_sigma=self.apical_noise_sigma,
                                noise_tau_ms=self.noise_tau_ms)


class RelayState(NamedTuple):
    """A relay layer's rates.

    Example
    -------
    >>> RelayLayer("cvc", 3).init(None).rate.tolist()
    [0.0, 0.0, 0.0]
    """

    rate: jax.Array


@dataclasses.dataclass(frozen=True)
class RelayLayer:
    """``size`` fixed rate units, ``r = activation(sum W x - threshold)``; their connections must be fixed.

    Conjunctive velocity cells ``relu(EC_i +- 2 v - 1)`` are a relay of EC and the
    velocity cells with ``threshold=1``.

    Example
    -------
    >>> RelayLayer("conjunctive", 200, "relu", threshold=1.0).threshold
    1.0
    """

    name: str
    size: int
    activation: str = "relu"
    threshold: float = 0.0

    def __post_init__(self):
        check_size(self.size, f"layer {self.name!r}.size")
        activation(self.activation, f"layer {self.name!r}.activation")

    def init(self, key: jax.Array) -> RelayState:
        """Rates at zero (``key`` is unused: a relay layer has no noise).

        Example
        -------
        >>> RelayLayer("cvc", 2).init(jax.random.PRNGKey(0)).rate.tolist()
        [0.0, 0.0]
        """
        return RelayState(jnp.zeros(self.size, jnp.float32))


@dataclasses.dataclass(frozen=True)
class ThetaConnection:
    """Weights from ``pre`` (a layer or an input) onto ``compartment`` of layer ``post``.

    ``init_std``: standard deviation of the initial weights (scaled by 1/sqrt(pre size));
    ``plastic=False`` keeps them as given; ``learning_rate`` and ``l2`` replace the network's
    for this connection (the authors decay only the EC recurrent weights).

    Example
    -------
    >>> ThetaConnection("recurrent", "ec", "ec", "apical", init_std=0.1, l2=0.005).plastic
    True
    """

    name: str
    pre: str
    post: str
    compartment: Literal["basal", "apical"]
    plastic: bool = True
    init_std: float = 0.1
    learning_rate: Optional[float] = None
    l2: Optional[float] = None


@dataclasses.dataclass(frozen=True)
class ThetaNetwork:
    """Layers, connections, external inputs (name -> size), the learning settings and the step (ms).

    See the module example for a run; ``sizes`` lists what connections may start from.

    Example
    -------
    >>> ThetaNetwork((ThetaLayer("hpc", 4),), (ThetaConnection("c", "x", "hpc", "basal"),), {"x": 2}).sizes
    {'hpc': 4, 'x': 2}
    """

    layers: tuple[ThetaLayer | RelayLayer, ...]
    connections: tuple[ThetaConnection, ...]
    inputs: dict = dataclasses.field(default_factory=dict)
    dt_ms: float = 25.0
    settings: WakeSleepSettings = WakeSleepSettings()

    def __post_init__(self):
        check_dt(self.dt_ms)
        names = [layer.name for layer in self.layers]
        if len(set(names)) != len(names) or set(names) & set(self.inputs):
            raise BadInput("layers", f"names {names} and inputs {list(self.inputs)}", "distinct names")
        for connection in self.connections:
            if connection.pre not in self.sizes:
                raise BadInput(f"connection {connection.name!r}.pre",
                               f"{connection.pre!r}",
                               f"one of {', '.join(self.sizes)}")
            if connection.post not in names:
                raise BadInput(f"connection {connection.name!r}.post",
                               f"{connection.post!r}",
                               f"one of {', '.join(names)}")
            if connection.compartment not in COMPARTMENTS:
                raise BadInput(f"connection {connection.name!r}.compartment",
                               f"{connection.compartment!r}",
                               "basal, apical")
            if connection.plastic and isinstance(self.layer(connection.post), RelayLayer):
                raise BadInput(f"connection {connection.name!r}.plastic",
                               f"True onto relay layer {connection.post!r}",
                               "false (relay layers do not learn)")

    def layer(self, name: str):
        """The layer called ``name``.

        Example
        -------
        >>> net = ThetaNetwork((ThetaLayer("hpc", 4), RelayLayer("cvc", 2)), ())
        >>> net.layer("cvc")
        RelayLayer(name='cvc', size=2, activation='relu', threshold=0.0)
        >>> net.layer("ec")
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: layer: got 'ec'; allowed: one of hpc, cvc
        """
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise BadInput("layer", f"{name!r}", f"one of {', '.join((layer.name for layer in self.layers))}")

    @property
    def sizes(self) -> dict:
        """Sizes of layers and inputs, by name (layers first).

        Example
        -------
        >>> ThetaNetwork((ThetaLayer("hpc", 4), RelayLayer("cvc", 2)), (), inputs={"speed": 1}).sizes
        {'hpc': 4, 'cvc': 2, 'speed': 1}
        """
        return {**{layer.name: layer.size for layer in self.layers}, **self.inputs}

    def init(self, key: jax.Array, weights: Optional[dict] = None) -> dict:
        """Initial state: layer states, weights (``weights[name]`` replaces a draw), zero traces.

        Weights are (post size, pre size), drawn ``N(0, init_std**2 / pre size)``; only
        plastic connections get an eligibility trace.

        Example
        -------
        >>> net = ThetaNetwork(layers=(ThetaLayer("hpc", 2, basal_noise_sigma=0.0, apical_noise_sigma=0.0),),
        ...                    connections=(ThetaConnection("sensory", "x", "hpc", "basal", plastic=False),
        ...                                 ThetaConnection("prior", "y", "hpc", "apical")),
        ...                    inputs={"x": 2, "y": 1})
        >>> state = net.init(jax.random.PRNGKey(0), weights={"sensory": jnp.eye(2)})
        >>> sorted(state), {name: w.shape for name, w in state["weights"].items()}, sorted(state["traces"])
        (['layers', 'traces', 'weights'], {'sensory': (2, 2), 'prior': (2, 1)}, ['prior'])
        >>> net.init(jax.random.PRNGKey(0), weights={"sensory": jnp.eye(3)})
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: weights['sensory']: got shape (3, 3); allowed: (2, 2)
        """
        weights = dict(weights or {})
        key_layers, key_weights = jax.random.split(key)
        drawn = {}
        for connection, k in zip(self.connections, jax.random.split(key_weights, max(len(self.connections), 1))):
            shape = (self.sizes[connection.post], self.sizes[connection.pre])
            if connection.name in weights:
                given = jnp.asarray(weights.pop(connection.name), jnp.float32)
                if given.shape != shape:
                    raise BadInput(f"weights[{connection.name!r}]", f"shape {given.shape}", shape)
                drawn[connection.name] = given
            else:
                drawn[connection.name] = connection.init_std / jnp.sqrt(shape[1]) * jax.random.normal(k, shape)
        if weights:
            raise BadInput("weights", sorted(weights), f"connection names {[c.name for c in self.connections]}")
        layers = {layer.name: layer.init(k) for layer, k in zip(self.layers, jax.random.split(key_layers, len(self.layers)))}
        traces = {c.name: jnp.zeros_like(drawn[c.name]) for c in self.connections if c.plastic}
        return {"layers": layers, "weights": drawn, "traces": traces}

    def step(self, state: dict, inputs: dict, gate, learn: bool = True):
        """One step with external ``inputs`` (name -> array) and gate ``theta``; returns ``(state, outputs)``.

        ``outputs`` holds ``"rates"`` (soma rates by layer) and ``"mismatch"`` (mean
        ``|r_B - r_A|`` by two-compartment layer); ``learn=False`` leaves weights and traces.

        Parameters
        ----------
        state : dict
            From :meth:`init` or a previous step.
        inputs : dict
            Input name -> value now, shape (size,); each input that a connection reads must be given.
        gate : float or scalar array
            ``theta``: the soma follows ``(1 - theta) r_B + theta r_A`` (0: basal, 1: apical).
        learn : bool
            Update plastic weights and traces (True) or leave them (False).

        Returns
        -------
        (dict, dict)
            The new state and ``{"rates": {layer: (size,)}, "mismatch": {layer: scalar}}``.

        Example
        -------
        Noise-free linear units: basal rates ``diag(1, 2) x = (1, 2)``, apical ``(0.5, 0.5) y``;
        the gate picks which one drives the soma:

        >>> net = ThetaNetwork(layers=(ThetaLayer("hpc", 2, basal_noise_sigma=0.0, apical_noise_sigma=0.0),),
        ...                    connections=(ThetaConnection("sensory", "x", "hpc", "basal", plastic=False),
        ...                                 ThetaConnection("prior", "y", "hpc", "apical")),
        ...                    inputs={"x": 2, "y": 1})
        >>> state = net.init(jax.random.PRNGKey(0), weights={"sensory": jnp.diag(jnp.array([1.0, 2.0])),
        ...                                                  "prior": jnp.array([[0.5], [0.5]])})
        >>> inputs = {"x": jnp.array([1.0, 1.0]), "y": jnp.array([1.0])}
        >>> [net.step(state, inputs, gate, learn=False)[1]["rates"]["hpc"].tolist() for gate in (0.0, 1.0)]
        [[1.0, 2.0], [0.5, 0.5]]
        >>> float(net.step(state, inputs, 0.0)[1]["mismatch"]["hpc"])      # mean |(1, 2) - (0.5, 0.5)|
        1.0

        Learning in the wake phase: the apical trace moves by ``(dt / tau) (r - r_A) y``
        ``= 0.25 (0.5, 1.5)``, the weights by the learning rate (0.01) times it:

        >>> new, _ = net.step(state, inputs, 0.0)
        >>> change = new["weights"]["prior"] - state["weights"]["prior"]
        >>> new["traces"]["prior"].ravel().tolist(), [round(x, 5) for x in change.ravel().tolist()]
        ([0.125, 0.375], [0.00125, 0.00375])
        """
        current = {name: layer_state.rate for name, layer_state in state["layers"].items()}
        current.update(inputs)
        pre_rates, potentials = {}, {}
        layers, rates, mismatch = {}, {}, {}
        for layer in self.layers:
            for compartment in COMPARTMENTS:
                potentials[(layer.name, compartment)] = jnp.zeros(layer.size, jnp.float32)
            for connection in self.connections:
                if connection.post == layer.name:
                    pre_rates[connection.name] = current[connection.pre]
                    key = (layer.name, connection.compartment)
                    potentials[key] = potentials[key] + state["weights"][connection.name] @ current[connection.pre]
            if isinstance(layer, RelayLayer):
                rates[layer.name] = activation(layer.activation)(potentials[(layer.name, "basal")] - layer.threshold)
                layers[layer.name] = RelayState(rates[layer.name])
            else:
                drive = TwoCompartmentInput(potentials[(layer.name, "basal")], potentials[(layer.name, "apical")], gate)
                layers[layer.name], rates[layer.name] = layer.unit.step(layer.params, state["layers"][layer.name],
                                                                       drive, self.dt_ms)
                mismatch[layer.name] = jnp.mean(jnp.abs(layers[layer.name].rate_basal - layers[layer.name].rate_apical))
            current[layer.name] = rates[layer.name]
        weights, traces = dict(state["weights"]), dict(state["traces"])
        if learn:
            for connection in self.connections:
                if not connection.plastic:
                    continue
                layer = self.layer(connection.post)
                compartment = layers[layer.name]
                rate = compartment.rate_basal if connection.compartment == "basal" else compartment.rate_apical
                name = layer.basal_activation if connection.compartment == "basal" else layer.apical_activation
                delta = compartment_error(compartment.rate, potentials[(layer.name, connection.compartment)], name, rate)
                overrides = {name: getattr(connection, name) for name in ("learning_rate", "l2")
                             if getattr(connection, name) is not None}
                settings = dataclasses.replace(self.settings, **overrides) if overrides else self.settings
                change, traces[connection.name] = wake_sleep(settings, dt_ms=self.dt_ms).update(
                    traces[connection.name], weights[connection.name], pre=pre_rates[connection.name], error=delta)
                weights[connection.name] = weights[connection.name] + change
        return {"layers": layers, "weights": weights, "traces": traces}, {"rates": rates, "mismatch": mismatch}

    def run(self, state: dict, inputs: dict, gates, learn: bool = True):
        """Run over ``gates`` (n_steps,) and ``inputs`` (name -> (n_steps, size)) in one scan; returns ``(state, outputs)``.

        ``outputs`` are those of :meth:`step`, stacked along a leading ``n_steps`` axis.

        Parameters
        ----------
        state : dict
            Initial state, from :meth:`init`.
        inputs : dict
            Input name -> array (n_steps, size), one row per step of ``dt_ms``.
        gates : array (n_steps,)
            ``theta`` of each step (see :meth:`step`).
        learn : bool
            Update plastic weights and traces at every step.

        Returns
        -------
        (dict, dict)
            The final state and the outputs of :meth:`step`, each with a leading ``n_steps`` axis.

        Example
        -------
        A relay layer ``relu(diag(1, 3) x - 1)`` over three steps:

        >>> net = ThetaNetwork(layers=(RelayLayer("r", 2, "relu", threshold=1.0),),
        ...                    connections=(ThetaConnection("c", "x", "r", "basal", plastic=False),), inputs={"x": 2})
        >>> state = net.init(jax.random.PRNGKey(0), weights={"c": jnp.diag(jnp.array([1.0, 3.0]))})
        >>> state, out = net.run(state, {"x": jnp.array([[1.0, 1.0], [2.0, 2.0], [0.0, 0.0]])}, jnp.zeros(3))
        >>> out["rates"]["r"].tolist()
        [[0.0, 2.0], [1.0, 5.0], [0.0, 0.0]]
        """
        def body(carry, step_inputs):
            step_in, gate = step_inputs
            return self.step(carry, step_in, gate, learn)

        return jax.lax.scan(body, state, (inputs, jnp.asarray(gates, jnp.float32)))

    @functools.cached_property
    def without_noise(self) -> "ThetaNetwork":
        """The same network with no compartment noise (every two-compartment layer's s.d. 0), made once.

        Run it from :meth:`silenced` state, so that no noise drawn before lingers.

        Example
        -------
        >>> net = ThetaNetwork((ThetaLayer("hpc", 2), RelayLayer("r", 2)), (), inputs={})
        >>> [getattr(layer, "basal_noise_sigma", None) for layer in net.without_noise.layers]
        [0.0, None]
        >>> net.without_noise is net.without_noise
        True
        """
        layers = tuple(dataclasses.replace(layer, basal_noise_sigma=0.0, apical_noise_sigma=0.0)
                       if isinstance(layer, ThetaLayer) else layer for layer in self.layers)
        return dataclasses.replace(self, layers=layers)

    @staticmethod
    def silenced(state: dict) -> dict:
        """``state`` with every compartment's current OU noise value set to 0.

        Example
        -------
        >>> net = ThetaNetwork((ThetaLayer("hpc", 2, basal_noise_sigma=0.5),), (), inputs={})
        >>> state = ThetaNetwork.silenced(net.init(jax.random.PRNGKey(0)))
        >>> state["layers"]["hpc"].noise_basal.tolist()
        [0.0, 0.0]
        """
        layers = {name: layer._replace(noise_basal=jnp.zeros_like(layer.noise_basal),
                                       noise_apical=jnp.zeros_like(layer.noise_apical))
                  if hasattr(layer, "noise_basal") else layer for name, layer in state["layers"].items()}
        return {**state, "layers": layers}

    @functools.cached_property
    def compiled_run(self):
        """:meth:`run` under ``jax.jit`` (``learn`` static), made once per network.

        Every call with the same shapes reuses one compilation: the chunks of a training
        run, its repeats, and the test runs of trained and untrained weights.

        Example
        -------
        >>> net = ThetaNetwork(layers=(RelayLayer("r", 2, "relu", threshold=1.0),),
        ...                    connections=(ThetaConnection("c", "x", "r", "basal", plastic=False),), inputs={"x": 2})
        >>> state = net.init(jax.random.PRNGKey(0), weights={"c": jnp.diag(jnp.array([1.0, 3.0]))})
        >>> _, out = net.compiled_run(state, {"x": jnp.array([[1.0, 1.0], [2.0, 2.0]])}, jnp.zeros(2), learn=False)
        >>> out["rates"]["r"].tolist(), net.compiled_run is net.compiled_run
        ([[0.0, 2.0], [1.0, 5.0]], True)
        """
        return jax.jit(self.run, static_argnames="learn")
