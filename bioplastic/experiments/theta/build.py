"""Theta protocols: cross-checks, the network a ``[theta]`` table declares, and its environments.

A protocol with a ``[theta]`` table declares layers of two-compartment units (and fixed
relay layers), the connections between them and from the environment's inputs, and an
environment: ``[theta.latents]`` (Gaussian-process latents mixed into features, input
``features``) or ``[theta.track]`` (an agent on a ring seen by place cells, inputs
``place`` and ``velocity``). Every environment also offers ``bias``, an input held at 1,
so a plastic connection from it is a learned bias. :func:`build_theta` checks what the
schema cannot (names that exist, sizes that fit the initial weights, a test that fits the
run) before anything runs.

Example
-------
>>> from bioplastic.experiments.theta.build import initial_weights
>>> initial_weights("identity", (4, 2)).tolist()
[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic.data.synthetic import gp_latents, mix_latents, place_cells, track_agent
from bioplastic.networks.theta_network import RelayLayer, ThetaConnection, ThetaLayer, ThetaNetwork
from bioplastic.protocol.checker import Checker, plots_of_kind
from bioplastic.protocol.components import PLOTS
from bioplastic.protocol.schema import MAX_SEED
from bioplastic._checks import check_whole_steps
from bioplastic.experiments.theta.schema import ThetaProtocol
from bioplastic.simulation.theta_gate import theta_schedule
from bioplastic.rules.wake_sleep import WakeSleepSettings

THETA_PLOTS = {       # plot type -> (what it needs, description), registered in the protocol's PLOTS
    "theta_losses": ("theta", "smoothed |r_B - r_A| of every layer over training (theta protocols)"),
    "theta_autocorrelation": ("theta", "autocorrelation of generated activity and of the latents (theta, latents)"),
    "theta_decoding": ("theta", "decoded and true position, with and without sensory input (theta, track)"),
    "theta_ring_weights": ("theta", "recurrent weights sorted by place-field peak, and their mean profile (theta, track)"),
    "theta_path_integration": ("theta", "decoding error after the input is removed: trained, untrained, transferred (theta, track)"),
}
for _name, (_needs, _description) in THETA_PLOTS.items():
    PLOTS.register(_name, _needs, _description)
SAMPLE_EVERY = 4          # decoder recordings keep every 4th step (10 samples per second at 25 ms)


def initial_weights(init: str, shape: tuple) -> Optional[np.ndarray]:
    """Fixed initial weights of an ``init`` kind (``None`` for ``normal``: the network draws them).

    Example
    -------
    >>> initial_weights("direction", (4, 2)).tolist()      # +v cells drive the first half, -v the second
    [[1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, 1.0]]
    """
    post, pre = shape
    if init == "zeros":
        return np.zeros(shape, np.float32)
    if init == "identity":
        return np.tile(np.eye(pre, dtype=np.float32), (post // pre, 1))
    if init == "direction":
        half = np.ones((post // 2, 1), np.float32)
        return np.vstack([half * np.array([1.0, -1.0], np.float32), half * np.array([-1.0, 1.0], np.float32)])
    return None


@dataclasses.dataclass(frozen=True)
class Environment:
    """One stretch of an environment: per-step inputs, and the positions (m, track) or latents behind them.

    Example
    -------
    >>> Environment({"bias": np.ones((3, 1))}).positions_m is None
    True
    """

    inputs: dict
    positions_m: Optional[np.ndarray] = None
    latents: Optional[np.ndarray] = None


@dataclasses.dataclass(frozen=True)
class ThetaExperiment:
    """A checked theta protocol: the network, its fixed weights, step counts and the environment's draws.

    Example
    -------
    >>> import pathlib, bioplastic
    >>> from bioplastic.experiments import load_protocol
    >>> path = pathlib.Path(bioplastic.__file__).parents[1] / "protocols" / "theta_path_integration.toml"
    >>> experiment = build_theta(load_protocol(path)[0], str(path))
    >>> experiment.train_steps, experiment.steps(1.0), experiment.gates(8, seed=1).tolist()
    (72000, 40, [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    >>> environment = experiment.environment(1, 10, experiment.keys(1)["path"])
    >>> {name: value.shape for name, value in environment.inputs.items()}
    {'place': (10, 100), 'velocity': (10, 2), 'bias': (10, 1)}
    """

    protocol: ThetaProtocol
    network: ThetaNetwork
    fixed_weights: dict
    train_steps: int

    @property
    def spec(self):
        """The protocol's ``[theta]`` table (a :class:`~bioplastic.protocol.schema.ThetaSpec`), defaults filled in.

        Example
        -------
        >>> from bioplastic.experiments.theta.schema import ThetaProtocol
        >>> experiment = build_theta(ThetaProtocol(name="ring", theta={
        ...     "track": {"n_place_cells": 4}, "layers": {"hpc": {"size": 4}},
        ...     "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"},
        ...                     "recurrent": {"pre": "hpc", "post": "hpc", "compartment": "apical"}}}), "ring.toml")
        >>> experiment.spec.dt_ms, experiment.spec.minutes, experiment.spec.track.length_m   # ms, min, m
        (25.0, 30.0, 1.0)
        """
        return self.protocol.theta

    def steps(self, seconds: float) -> int:
        """Whole steps of ``dt_ms`` in ``seconds`` (s), rounded to the nearest.

        Example
        -------
        >>> from bioplastic.experiments.theta.schema import ThetaProtocol
        >>> experiment = build_theta(ThetaProtocol(name="ring", theta={
        ...     "track": {"n_place_cells": 4}, "layers": {"hpc": {"size": 4}},
        ...     "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"},
        ...                     "recurrent": {"pre": "hpc", "post": "hpc", "compartment": "apical"}}}), "ring.toml")
        >>> experiment.steps(1.0), experiment.steps(60.0), experiment.steps(0.03)     # dt = 25 ms
        (40, 2400, 1)
        """
        return int(round(1000.0 * seconds / self.spec.dt_ms))

    def gates(self, n_steps: int, seed: int) -> np.ndarray:
        """The configured theta schedule for ``n_steps`` steps: 1 in the generative (apical) phase, 0 in the basal.

        ``seed`` only matters for a ``jittered`` gate.

        Example
        -------
        >>> from bioplastic.experiments.theta.schema import ThetaProtocol
        >>> experiment = build_theta(ThetaProtocol(name="ring", theta={
        ...     "track": {"n_place_cells": 4}, "layers": {"hpc": {"size": 4}},
        ...     "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"},
        ...                     "recurrent": {"pre": "hpc", "post": "hpc", "compartment": "apical"}}}), "ring.toml")
        >>> experiment.gates(8, seed=0).tolist()          # 5 Hz at 25 ms: 8 steps a cycle, duty 0.5
        [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
        >>> float(experiment.gates(400, seed=0).mean())
        0.5
        """
        gate = self.spec.gate
        return np.asarray(theta_schedule(n_steps, self.spec.dt_ms, gate.frequency_hz, gate.duty, gate.phase,
                                         gate.shape, gate.jitter, seed))

    def keys(self, seed: int) -> dict:
        """The independent keys of one repeat: environment, training path, network, tests, loss test, transfer.

        The same seed always gives the same keys, so every stage of a resumed run sees the
        draws of an uninterrupted one.

        Example
        -------
        >>> from bioplastic.experiments.theta.schema import ThetaProtocol
        >>> experiment = build_theta(ThetaProtocol(name="ring", theta={
        ...     "track": {"n_place_cells": 4}, "layers": {"hpc": {"size": 4}},
        ...     "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"},
        ...                     "recurrent": {"pre": "hpc", "post": "hpc", "compartment": "apical"}}}), "ring.toml")
        >>> keys = experiment.keys(3)
        >>> list(keys)
        ['world', 'path', 'network', 'test', 'loss', 'transfer']
        >>> bool((keys["path"] == experiment.keys(3)["path"]).all()), bool((keys["path"] == keys["test"]).all())
        (True, False)
        """
        names = ("world", "path", "network", "test", "loss", "transfer")
        return dict(zip(names, jax.random.split(jax.random.PRNGKey(seed), len(names))))

    def initial_state(self, seed: int) -> dict:
        """The network's state before training (fixed and drawn weights, zero traces).

        Example
        -------
        >>> from bioplastic.experiments.theta.schema import ThetaProtocol
        >>> experiment = build_theta(ThetaProtocol(name="ring", theta={
        ...     "track": {"n_place_cells": 4}, "layers": {"hpc": {"size": 4}},
        ...     "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"},
        ...                     "recurrent": {"pre": "hpc", "post": "hpc", "compartment": "apical"}}}), "ring.toml")
        >>> state = experiment.initial_state(0)
        >>> np.array_equal(state["weights"]["sensory"], np.eye(4))      # init = "identity", fixed
        True
        >>> state["weights"]["recurrent"].shape                         # drawn (post, pre)
        (4, 4)
        """
        return self.network.init(self.keys(seed)["network"], self.fixed_weights)

    def environment(self, seed: int, n_steps: int, key: jax.Array, remapped: bool = False,
                    velocity_mean_m_s: Optional[float] = None) -> Environment:
        """``n_steps`` of the environment along a path drawn from ``key``.

        Parameters
        ----------
        seed : int
            The repeat's seed; its ``world`` key draws what stays fixed across paths (latent mixing, place fields).
        n_steps : int
            Number of steps of ``dt_ms``.
        key : jax key
            Draws the path: the latents, or the agent's run on the track.
        remapped : bool
            The second environment (new place fields); track only.
        velocity_mean_m_s : float or None
            Replaces the track's mean velocity (m/s); None keeps it.

        Returns
        -------
        Environment
            Inputs, each (n_steps, size): ``features`` and ``bias`` with the ``latents`` (n_steps, n_latents); or
            ``place``, ``velocity`` (``relu(+v)``, ``relu(-v)`` over ``velocity_scale_m_s``) and ``bias`` with
            ``positions_m`` (n_steps,).

        Example
        -------
        >>> from bioplastic.experiments.theta.schema import ThetaProtocol
        >>> experiment = build_theta(ThetaProtocol(name="ring", theta={
        ...     "track": {"n_place_cells": 4}, "layers": {"hpc": {"size": 4}},
        ...     "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"},
        ...                     "recurrent": {"pre": "hpc", "post": "hpc", "compartment": "apical"}}}), "ring.toml")
        >>> environment = experiment.environment(0, 80, experiment.keys(0)["path"])         # 2 s
        >>> {name: value.shape for name, value in environment.inputs.items()}, environment.positions_m.shape
        ({'place': (80, 4), 'velocity': (80, 2), 'bias': (80, 1)}, (80,))
        >>> velocity = np.asarray(environment.inputs["velocity"])      # relu(+v), relu(-v): one is 0
        >>> bool((velocity.min(axis=1) == 0).all()), bool(((0 <= environment.positions_m) & (environment.positions_m < 1)).all())
        (True, True)
        >>> remapped = experiment.environment(0, 80, experiment.keys(0)["path"], remapped=True)
        >>> np.array_equal(remapped.positions_m, environment.positions_m)   # same path ...
        True
        >>> np.allclose(remapped.inputs["place"], environment.inputs["place"])   # ... new place fields
        False
        """
        world = self.keys(seed)["world"]
        bias = jnp.ones((n_steps, 1), jnp.float32)
        if self.spec.latents is not None:
            latents_spec = self.spec.latents
            latents = gp_latents(key, latents_spec.n_latents, n_steps, self.spec.dt_ms, latents_spec.timescale_ms)
            features, _ = mix_latents(world, latents, latents_spec.n_features)
            return Environment({"features": features, "bias": bias}, latents=np.asarray(latents))
        track = self.spec.track
        mean = track.velocity_mean_m_s if velocity_mean_m_s is None else velocity_mean_m_s
        path = track_agent(key, n_steps, self.spec.dt_ms, track.length_m, track.velocity_sd_m_s, track.coherence_s, mean)
        cells = place_cells(path.positions_m, track.n_place_cells, track.place_width_m, track.length_m, key=world,
                            remap=remapped, jitter=track.place_jitter)
        velocity = path.velocities_m_s / track.velocity_scale_m_s
        velocity_cells = jnp.stack([jax.nn.relu(velocity), jax.nn.relu(-velocity)], axis=1)
        return Environment({"place": cells.activity, "velocity": velocity_cells, "bias": bias},
                           positions_m=np.asarray(path.positions_m))

    @functools.cached_property
    def transfer_network(self) -> ThetaNetwork:
        """The network with the transfer's frozen connections fixed (``[theta.transfer] freeze``).

        Made once, so the transfers of all repeats share its compiled run.

        Example
        -------
        >>> from bioplastic.experiments.theta.schema import ThetaProtocol
        >>> experiment = build_theta(ThetaProtocol(name="ring", theta={
        ...     "track": {"n_place_cells": 4}, "layers": {"hpc": {"size": 4}},
        ...     "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"},
        ...                     "recurrent": {"pre": "hpc", "post": "hpc", "compartment": "apical"}},
        ...     "transfer": {"freeze": ["recurrent"]}}), "ring.toml")
        >>> [(c.name, c.plastic) for c in experiment.transfer_network.connections]
        [('sensory', False), ('recurrent', False)]
        >>> [(c.name, c.plastic) for c in experiment.network.connections]      # unchanged
        [('sensory', False), ('recurrent', True)]
        """
        freeze = set(self.spec.transfer.freeze)
        connections = tuple(dataclasses.replace(c, plastic=False) if c.name in freeze else c
                            for c in self.network.connections)
        return dataclasses.replace(self.network, connections=connections)


def environment_inputs(spec) -> dict:
    """Name -> size of the inputs the environment offers.

    Example
    -------
    >>> from bioplastic.experiments.theta.schema import ThetaSpec
    >>> environment_inputs(ThetaSpec(track={}, layers={"hpc": {"size": 2}},
    ...                              connections={"c": {"pre": "place", "post": "hpc"}}))
    {'place': 100, 'velocity': 2, 'bias': 1}
    """
    if spec.latents is not None:
        return {"features": spec.latents.n_features, "bias": 1}
    return {"place": spec.track.n_place_cells, "velocity": 2, "bias": 1}


def build_theta(protocol: ThetaProtocol, file: str) -> ThetaExperiment:
    """Cross-check a theta protocol (every problem names its key) and return the experiment.

    See :class:`ThetaExperiment` for an example; the messages are those of
    ``tests/protocols/malformed/theta_*.toml``.

    Raises
    ------
    ProtocolError
        The first problem found, located by ``file`` and key path.

    Example
    -------
    >>> from bioplastic.experiments.theta.schema import ThetaProtocol
    >>> theta = {"track": {"n_place_cells": 4}, "layers": {"hpc": {"size": 4}},
    ...          "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"},
    ...                          "recurrent": {"pre": "hpc", "post": "hpc", "compartment": "apical"}}}
    >>> build_theta(ThetaProtocol(name="ring", theta=theta), "ring.toml").train_steps    # 30 min at 25 ms
    72000
    >>> build_theta(ThetaProtocol(name="ring", theta=dict(theta, transfer={"freeze": ["recurent"]})), "ring.toml")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: ring.toml: theta.transfer.freeze: got 'recurent'; allowed: one of the connections: sensory, recurrent (did you mean 'recurrent'?)
    """
    check = Checker(file)
    spec, path = protocol.theta, "theta"
    if protocol.seed + spec.repeats - 1 > MAX_SEED:
        check.fail(f"{path}.repeats", repr(spec.repeats), f"at most {MAX_SEED - protocol.seed + 1}: repeat k draws from "
                   f"seed + k, and seeds end at {MAX_SEED}")
    if (spec.latents is None) == (spec.track is None):
        check.fail(path, "both [theta.latents] and [theta.track]" if spec.latents else "no environment",
                   "exactly one of [theta.latents] (latent features) or [theta.track] (a ring with place cells)")
    inputs = environment_inputs(spec)
    layers = []
    _check_times(check, protocol)
    for name, layer in spec.layers.items():
        where = f"{path}.layers.{name}"
        _only_keys_of(check, where, layer, RELAY_ONLY if layer.kind == "two_compartment" else TWO_COMPARTMENT_ONLY,
                      f"a {layer.kind} layer")
        if name in inputs:
            check.fail(where, f"a layer named like the input {name!r}", "a name that is not an input "
                       f"({', '.join(inputs)})")
        if layer.kind == "relay":
            layers.append(check.call(where, RelayLayer, name, layer.size, layer.activation, layer.threshold))
        else:
            fields = layer.model_dump(exclude={"kind", "size", "activation", "threshold"})
            layers.append(check.call(where, ThetaLayer, name, layer.size, **fields))
    relays = {name for name, layer in spec.layers.items() if layer.kind == "relay"}
    sizes = {**inputs, **{name: layer.size for name, layer in spec.layers.items()}}
    connections, fixed = [], {}
    for name, connection in spec.connections.items():
        where = f"{path}.connections.{name}"
        check.member(connection.pre, f"{where}.pre", list(sizes), "layers and inputs")
        check.member(connection.post, f"{where}.post", list(spec.layers), "layers")
        if connection.post in relays and connection.plastic:
            check.fail(f"{where}.plastic", "true onto a relay layer", "false (relay layers do not learn)")
        shape = (sizes[connection.post], sizes[connection.pre])
        _check_init(check, f"{where}.init", connection.init, shape)
        if connection.init != "normal" and "init_std" in connection.model_fields_set:
            check.fail(f"{where}.init_std", repr(connection.init_std), f"no init_std: init {connection.init!r} draws no "
                       "weights (init = 'normal' draws them, s.d. init_std / sqrt(pre size))")
        weights = initial_weights(connection.init, shape)
        if weights is not None:
            fixed[name] = weights
        connections.append(ThetaConnection(name, connection.pre, connection.post, connection.compartment,
                                           connection.plastic, connection.init_std, connection.learning_rate,
                                           connection.l2))
    settings = WakeSleepSettings(learning_rate=spec.learning_rate, tau_ms=spec.tau_ms, l1=spec.l1, l2=spec.l2)
    network = check.call(path, ThetaNetwork, tuple(layers), tuple(connections), inputs, spec.dt_ms, settings)
    learners = [name for name, layer in spec.layers.items() if layer.kind == "two_compartment"]
    test = spec.test
    if spec.latents is not None:
        check.member(test.generator, f"{path}.test.generator", learners, "two-compartment layers")
    else:
        check.member(test.decoder_layer, f"{path}.test.decoder_layer", list(spec.layers), "layers")
        check.member(test.recurrent, f"{path}.test.recurrent", list(spec.connections), "connections")
        recurrent = spec.connections[test.recurrent]
        if recurrent.pre != recurrent.post:
            check.fail(f"{path}.test.recurrent", repr(test.recurrent), "a connection from a layer onto itself")
        if test.decoder_minutes > spec.minutes:
            check.fail(f"{path}.test.decoder_minutes", repr(test.decoder_minutes),
                       f"at most the training time, minutes ({spec.minutes})")
        for when in test.errors_at_s:
            if when > test.hold_s:
                check.fail(f"{path}.test.errors_at_s", repr(test.errors_at_s),
                           f"times within the generative test, hold_s ({test.hold_s})")
    if spec.transfer is not None:
        if spec.track is None:
            check.fail(f"{path}.transfer", "a transfer without a track", "a [theta.transfer] with a [theta.track] "
                       "(the second environment remaps its place cells)")
        for frozen in spec.transfer.freeze:
            check.member(frozen, f"{path}.transfer.freeze", list(spec.connections), "connections")
    plots_of_kind(check, protocol.plots, PLOTS, THETA_PLOTS, "theta")
    gate = spec.gate
    check.call(f"{path}.gate", theta_schedule, 1, spec.dt_ms, gate.frequency_hz, gate.duty, gate.phase, gate.shape,
               gate.jitter)
    experiment = ThetaExperiment(protocol, network, fixed, 0)
    return dataclasses.replace(experiment, train_steps=experiment.steps(60.0 * spec.minutes))


RELAY_ONLY = ("activation", "threshold")
TWO_COMPARTMENT_ONLY = ("basal_activation", "apical_activation", "soma_activation", "basal_noise_sigma",
                        "apical_noise_sigma", "noise_tau_ms")
LATENTS_TEST_ONLY = ("generator", "max_lag_s")
TRACK_TEST_ONLY = ("decoder_layer", "decoder_minutes", "position_bins", "spin_up_s", "episodes", "errors_at_s",
                   "recurrent")


def _only_keys_of(check: Checker, where: str, table, keys: tuple, what: str):
    """Keys written in ``table`` that ``what`` does not use are refused, not ignored."""
    for key in keys:
        if key in table.model_fields_set:
            check.fail(f"{where}.{key}", repr(getattr(table, key)), f"no {key}: {what} does not use it")


def _check_times(check: Checker, protocol: ThetaProtocol):
    """Every time is a whole number of steps; a theta cycle has two steps at least; tests fit their runs."""
    spec, path = protocol.theta, "theta"
    dt_ms, test = spec.dt_ms, spec.test
    cycle_ms = 1000.0 / spec.gate.frequency_hz
    if dt_ms > cycle_ms / 2:
        check.fail(f"{path}.dt_ms", repr(dt_ms), f"at most {cycle_ms / 2:g}: two steps per theta cycle of {cycle_ms:g} ms "
                   f"(gate.frequency_hz = {spec.gate.frequency_hz:g}), one per phase at least")
    minute, second = (60_000.0, "min"), (1000.0, "s")
    times = {f"{path}.minutes": (spec.minutes, minute), f"{path}.test.hold_s": (test.hold_s, second)}
    if spec.transfer is not None:
        times[f"{path}.transfer.minutes"] = (spec.transfer.minutes, minute)
    if spec.latents is not None:
        _only_keys_of(check, f"{path}.test", test, TRACK_TEST_ONLY, "the test of [theta.latents]")
        times[f"{path}.test.max_lag_s"] = (test.max_lag_s, second)
        if test.max_lag_s > test.hold_s:
            check.fail(f"{path}.test.max_lag_s", repr(test.max_lag_s),
                       f"at most hold_s ({test.hold_s:g}): the lags are measured within the generative test")
    elif spec.track is not None:
        _only_keys_of(check, f"{path}.test", test, LATENTS_TEST_ONLY, "the test of [theta.track]")
        times[f"{path}.test.decoder_minutes"] = (test.decoder_minutes, minute)
        times[f"{path}.test.spin_up_s"] = (test.spin_up_s, second)
        times.update({f"{path}.test.errors_at_s[{i}]": (when, second) for i, when in enumerate(test.errors_at_s)})
    for where, (value, (unit_ms, unit)) in times.items():
        check.call(where, check_whole_steps, value, dt_ms, where, unit_ms, unit)


def _check_init(check: Checker, where: str, init: str, shape: tuple):
    post, pre = shape
    if init == "identity" and post % pre:
        check.fail(where, repr(init), f"identity needs the post size to be a multiple of the pre size (got {post} x {pre})")
    if init == "direction" and (pre != 2 or post % 2):
        check.fail(where, repr(init), f"direction needs 2 pre units (velocity cells) and an even post size "
                   f"(got {post} x {pre})")
