"""Running a theta protocol: train, test, transfer -- each stage saved as it finishes; metrics, plots.

The units of work of a theta protocol (:class:`ThetaWork`). For each repeat (seed ``seed + i``) the stages are:

1. ``train_seed<N>.npz`` -- training with the theta schedule: the mismatch ``|r_B - r_A|``
   of every layer at every step, the initial and final weights, and (track) the rates of
   every layer over the last ``decoder_minutes`` at every 4th step with positions and gates;
2. ``test_seed<N>.npz`` -- every layer's mismatch over a minute without learning, before
   and after training (on the same input); latents: the generated activity of ``test.generator`` over
   ``hold_s`` in the generative phase and the latents' and its autocorrelations; track:
   the path-integration test of the trained and the untrained network (the untrained one
   with a decoder fitted on its own activity), decoding errors per episode and step, and
   the decoded and true positions of every episode from the input's removal on
   (``*decoded_hold_m``, ``true_hold_m``: what the integration gain is computed from);
3. ``transfer_seed<N>.npz`` (track with ``[theta.transfer]``) -- the trained network with
   the ``freeze`` connections fixed, retrained in the remapped environment (with the
   transfer's mean velocity, if it sets one), then tested there on the track's paths (errors, and
   positions from the removal on, as the test's).

Each file is written atomically when its stage ends, and the engine's checkpoint counts
the finished stages, so ``--resume`` goes on at the next one. Then ``metrics.json`` and the plots are written.

Example
-------
>>> from bioplastic.experiments.theta.summary import stage_file
>>> stage_file("train", 3)
'train_seed3.npz'
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic.analysis.theta import (
    autocorrelation,
    decode_positions,
    decoding_error,
    rate_maps,
)
from bioplastic.analysis.ring_decoder import RingDecoder
from bioplastic.experiments.theta.build import SAMPLE_EVERY, ThetaExperiment
from bioplastic.experiments.theta.plots import draw_theta_plots
from bioplastic.experiments.theta.summary import flat_arrays, stage_file, summarize, unflat_arrays
from bioplastic.runs import RunError, Work, read_npz, write_npz

CHUNK_S = 60.0            # training runs (and reports progress) one simulated minute at a time
LOSS_TEST_S = 60.0        # the untrained and the trained network run this long, without learning, to compare losses


class ThetaWork(Work):
    """A theta protocol's run: per repeat the stages train, test (and transfer); progress in minutes of training.

    Each stage writes its file (:func:`~bioplastic.experiments.theta.summary.stage_file`)
    when it ends and reads the stages before it from the run folder; nothing else is
    carried from one unit to the next.

    Example
    -------
    >>> from bioplastic.experiments.theta.build import build_theta
    >>> import pathlib, tempfile
    >>> from bioplastic.experiments import load_protocol, run_protocol
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ring.toml"
    >>> _ = path.write_text('''
    ... name = "ring"
    ... [theta]
    ... minutes = 0.05
    ... [theta.track]
    ... n_place_cells = 4
    ... [theta.layers.hpc]
    ... size = 4
    ... [theta.connections.sensory]
    ... pre = "place"
    ... post = "hpc"
    ... plastic = false
    ... init = "identity"
    ... [theta.connections.recurrent]
    ... pre = "hpc"
    ... post = "hpc"
    ... compartment = "apical"
    ... [theta.test]
    ... decoder_minutes = 0.05
    ... position_bins = 4
    ... spin_up_s = 1.0
    ... hold_s = 1.0
    ... episodes = 2
    ... errors_at_s = [0.5]
    ... ''')
    >>> protocol, resolved = load_protocol(path)
    >>> build_theta(protocol, str(path)).train_steps                 # 3 s of 25-ms steps
    120
    >>> run_dir = run_protocol(path, path.parent / "runs", progress=False)                # doctest: +SKIP
    >>> sorted(p.name for p in run_dir.iterdir())                                    # doctest: +SKIP
    ['manifest.json', 'metrics.json', 'protocol.toml', 'test_seed0.npz', 'train_seed0.npz']
    >>> work = ThetaWork(build_theta(protocol, str(path)))
    >>> work.n_units, work.unit_name(1), work.progress_at(2)      # 0.05 simulated minutes of training
    (2, 'test of repeat 1 (seed 0)', 0.05)
    """

    unit = "simulated min of training"

    def __init__(self, experiment: ThetaExperiment):
        self.experiment = experiment
        spec = experiment.spec
        stages = ("train", "test") + (("transfer",) if spec.transfer is not None else ())
        self.units = [(repeat, stage) for repeat in range(spec.repeats) for stage in stages]
        self.n_units = len(self.units)
        self._minutes = {"train": spec.minutes, "test": 0.0, "transfer": spec.transfer.minutes if spec.transfer else 0.0}

    def progress_at(self, units_done: int) -> float:
        return sum(self._minutes[stage] for _, stage in self.units[:units_done])

    def unit_name(self, index: int) -> str:
        repeat, stage = self.units[min(index, self.n_units - 1)]
        return f"{stage} of repeat {repeat + 1} (seed {self.experiment.protocol.seed + repeat})"

    def start(self):
        return {}

    def run_unit(self, index, state, run_dir, advance):
        repeat, stage = self.units[index]
        e = self.experiment
        seed = e.protocol.seed + repeat
        on_minute = lambda chunks: advance(chunks * CHUNK_S / 60.0)   # noqa: E731
        if stage == "train":
            arrays = _train_stage(e, seed, on_minute)
        elif stage == "test":
            arrays = _test_stage(e, seed, read_npz(run_dir / stage_file("train", seed)))
        else:
            arrays = _transfer_stage(e, seed, read_npz(run_dir / stage_file("train", seed)), on_minute)
        write_npz(run_dir / stage_file(stage, seed), arrays)
        return state

    def finish(self, run_dir, state):
        metrics = summarize(run_dir, self.experiment)
        draw_theta_plots(run_dir, self.experiment, metrics)
        return metrics


def train(experiment: ThetaExperiment, network, state: dict, environment, gates, record_from: int, on_minute=None):
    """Train ``network`` from ``state`` through ``environment``; returns ``(state, mismatch, recorded)``.

    ``mismatch``: layer -> (n_steps,); ``recorded``: layer -> rates at every 4th step from
    ``record_from`` on (and ``positions_m`` and ``gate`` at those steps, for a track).
    Runs ``network.compiled_run``, so repeats and chunks share one compilation. Stops with
    a :class:`~bioplastic.runs.RunError` naming the connection if a weight becomes non-finite.

    Parameters
    ----------
    experiment : ThetaExperiment
        Sets the step (``theta.dt_ms``) and the chunk of a simulated minute run at a time.
    network : ThetaNetwork
        ``experiment.network`` or :attr:`ThetaExperiment.transfer_network`.
    state : dict
        Where training starts, e.g. :meth:`ThetaExperiment.initial_state`.
    environment : Environment
        The inputs of every step (and the positions, m, on a track).
    gates : array (n_steps,)
        The theta schedule, 1 in the generative phase; its length is the number of steps.
    record_from : int
        First step whose rates are kept (then every ``SAMPLE_EVERY``-th); ``n_steps`` keeps none.
    on_minute : callable, optional
        Called with the number of chunks done.

    Example
    -------
    >>> from bioplastic.experiments.theta.build import build_theta
    >>> from bioplastic.experiments.theta.schema import ThetaProtocol
    >>> experiment = build_theta(ThetaProtocol(name="ring", theta={
    ...     "track": {"n_place_cells": 4}, "layers": {"hpc": {"size": 4}},
    ...     "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"},
    ...                     "recurrent": {"pre": "hpc", "post": "hpc", "compartment": "apical"}}}), "ring.toml")
    >>> start = experiment.initial_state(0)
    >>> environment = experiment.environment(0, 80, experiment.keys(0)["path"])       # 2 s
    >>> state, mismatch, recorded = train(experiment, experiment.network, start, environment,
    ...                                   experiment.gates(80, 0), record_from=40)
    >>> mismatch["hpc"].shape, {name: value.shape for name, value in recorded.items()}   # steps 40, 44, ..., 76
    ((80,), {'hpc': (10, 4), 'gate': (10,), 'positions_m': (10,)})
    >>> np.array_equal(state["weights"]["sensory"], start["weights"]["sensory"])          # fixed: plastic = false
    True
    >>> np.array_equal(state["weights"]["recurrent"], start["weights"]["recurrent"])      # learned
    False
    """
    n_steps = len(gates)
    chunk = experiment.steps(CHUNK_S)
    mismatch, recorded = {}, {}
    for minute, start in enumerate(range(0, n_steps, chunk), start=1):
        stop = min(start + chunk, n_steps)
        inputs = {name: value[start:stop] for name, value in environment.inputs.items()}
        state, out = network.compiled_run(state, inputs, jnp.asarray(gates[start:stop]))
        for name, values in out["mismatch"].items():
            mismatch.setdefault(name, []).append(np.asarray(values))
        broken = [name for name, w in state["weights"].items() if not np.isfinite(np.asarray(w)).all()]
        if broken:
            raise RunError(f"theta: the weights of connection {broken[0]!r} became NaN or inf in minute {minute} of "
                           "training; lower theta.learning_rate (or that connection's learning_rate)")
        keep = np.arange(start, stop)
        keep = keep[(keep >= record_from) & ((keep - record_from) % SAMPLE_EVERY == 0)] - start
        if keep.size:
            for name, values in out["rates"].items():
                recorded.setdefault(name, []).append(np.asarray(values)[keep])
            recorded.setdefault("gate", []).append(np.asarray(gates[start:stop])[keep])
            if environment.positions_m is not None:
                recorded.setdefault("positions_m", []).append(environment.positions_m[start:stop][keep])
        if on_minute is not None:
            on_minute(minute)
    return (state, {name: np.concatenate(v) for name, v in mismatch.items()},
            {name: np.concatenate(v) for name, v in recorded.items()})


def _train_stage(experiment: ThetaExperiment, seed: int, on_minute) -> dict:
    keys = experiment.keys(seed)
    n_steps = experiment.train_steps
    environment = experiment.environment(seed, n_steps, keys["path"])
    start = experiment.initial_state(seed)
    state, mismatch, recorded = train(experiment, experiment.network, start, environment,
                                      experiment.gates(n_steps, seed), _record_from(experiment, n_steps), on_minute)
    return {**flat_arrays("mismatch", mismatch), **flat_arrays("initial", start["weights"]), **flat_arrays("weights", state["weights"]),
            **flat_arrays("recorded", recorded)}


def _record_from(experiment: ThetaExperiment, n_steps: int) -> int:
    spec = experiment.spec
    if spec.track is None:
        return n_steps
    return n_steps - experiment.steps(60.0 * spec.test.decoder_minutes)


def _test_stage(experiment: ThetaExperiment, seed: int, trained: dict) -> dict:
    spec = experiment.spec
    state = experiment.initial_state(seed)
    trained_state = dict(state, weights=unflat_arrays("weights", trained))
    losses = {**flat_arrays("untrained_loss", _mismatch_without_learning(experiment, seed, state)),
              **flat_arrays("trained_loss", _mismatch_without_learning(experiment, seed, trained_state))}
    if spec.latents is not None:
        return {**losses, **_generation_test(experiment, seed, trained_state)}
    recorded = unflat_arrays("recorded", trained)
    maps = _maps(experiment, recorded)
    trained_errors, decoded, true = path_integration(experiment, seed, experiment.network, trained_state,
                                                     _decoders(experiment, recorded))
    untrained_decoders = _decoders(experiment, _untrained_recording(experiment, seed, state))
    untrained_errors, untrained_decoded, _ = path_integration(experiment, seed, experiment.network, state,
                                                              untrained_decoders)
    return {**losses, **{f"trained_{name}errors": e for name, e in _named(trained_errors).items()},
            **{f"untrained_{name}errors": e for name, e in _named(untrained_errors).items()},
            **{f"{name}decoded_m": d[0] for name, d in _named(decoded).items()}, "true_m": true[0], "maps": maps,
            **_held(experiment, "trained", decoded, true), **_held(experiment, "untrained", untrained_decoded, true)}


def _held(experiment: ThetaExperiment, model: str, decoded: dict, true) -> dict:
    """Stage-file arrays of ``model``'s path-integration test from the input's removal on (m, episodes x steps).

    ``<model>_<decoder>decoded_hold_m`` per decoder and ``true_hold_m``: the columns from the
    last step of the spin-up (the position at removal; the first step if there is no spin-up)
    to the end of the hold, as :func:`~bioplastic.analysis.theta.integration_gain` reads them.
    """
    start = max(experiment.steps(experiment.spec.test.spin_up_s) - 1, 0)
    return {**{f"{model}_{name}decoded_hold_m": d[:, start:] for name, d in _named(decoded).items()},
            "true_hold_m": true[:, start:]}


def run_without_learning(network, state: dict, inputs: dict, gates) -> dict:
    """The outputs (rates, mismatch) of ``network`` run from ``state`` over ``gates`` with learning off.

    Parameters
    ----------
    network : ThetaNetwork
        The network to run (its ``compiled_run``: one compilation per network and shapes).
    state : dict
        Where the run starts, e.g. from ``network.init``; the final state is discarded.
    inputs : dict
        Input name -> array (n_steps, size), one row per step of ``dt_ms``.
    gates : array (n_steps,)
        Theta gate of each step (0: the soma follows the basal compartment, 1: the apical, generative one).

    Returns
    -------
    dict
        ``{"rates": {layer: (n_steps, size)}, "mismatch": {layer: (n_steps,)}}``.

    Example
    -------
    >>> from bioplastic.networks.theta_network import ThetaConnection, ThetaLayer, ThetaNetwork
    >>> net = ThetaNetwork((ThetaLayer("a", 2),), (ThetaConnection("c", "x", "a", "basal"),), {"x": 2})
    >>> out = run_without_learning(net, net.init(jax.random.PRNGKey(0)), {"x": jnp.ones((5, 2))}, np.zeros(5))
    >>> out["rates"]["a"].shape, out["mismatch"]["a"].shape
    ((5, 2), (5,))
    """
    _, out = network.compiled_run(state, inputs, jnp.asarray(gates), learn=False)
    return out


def _mismatch_without_learning(experiment: ThetaExperiment, seed: int, state: dict) -> dict:
    """Each layer's mean ``|r_B - r_A|`` over ``LOSS_TEST_S`` with the theta schedule, no learning, a test path."""
    n_steps = experiment.steps(LOSS_TEST_S)
    environment = experiment.environment(seed, n_steps, experiment.keys(seed)["loss"])
    out = run_without_learning(experiment.network, state, environment.inputs, experiment.gates(n_steps, seed))
    return {layer: np.mean(values) for layer, values in out["mismatch"].items()}


def _generation_test(experiment: ThetaExperiment, seed: int, state: dict) -> dict:
    """The network in the generative phase for ``hold_s`` (input present, unseen by the somas)."""
    test = experiment.spec.test
    n_steps = experiment.steps(test.hold_s)
    environment = experiment.environment(seed, n_steps, experiment.keys(seed)["test"])
    out = run_without_learning(experiment.network, state, environment.inputs, np.ones(n_steps, np.float32))
    generated = np.asarray(out["rates"][test.generator])
    max_lag = experiment.steps(test.max_lag_s)
    return {"generated": generated, "latents": environment.latents,
            "generated_autocorrelation": autocorrelation(generated, max_lag),
            "latent_autocorrelation": autocorrelation(environment.latents, max_lag)}


def path_integration(experiment: ThetaExperiment, seed: int, network, state: dict, decoders: dict, remapped: bool = False):
    """Decoding errors (episodes, steps) of the path-integration test, and the decoded and true positions, per decoder.

    Each episode: ``spin_up_s`` with the theta schedule, then ``hold_s`` in the generative
    phase (the sensory input no longer reaches any soma), no learning, a new path; without
    the compartments' noise when ``[theta.test] noise = false``.

    Parameters
    ----------
    decoders : dict
        Name -> a function from rates of ``test.decoder_layer`` (n_steps, n_units) to
        positions (m), e.g. :func:`_decoders`' template and Gaussian-process decoders.
    remapped : bool
        Test in the second environment (remapped place fields).

    Returns
    -------
    errors : dict of array (episodes, n_steps)
        Per decoder, the distance round the ring (m) between decoded and true positions at every step.
    decoded : dict of array (episodes, n_steps)
        Per decoder, the decoded positions (m) of every episode.
    true : array (episodes, n_steps)
        The true positions (m) of every episode.

    Example
    -------
    >>> from bioplastic.experiments.theta.build import build_theta
    >>> from bioplastic.experiments.theta.schema import ThetaProtocol
    >>> experiment = build_theta(ThetaProtocol(name="ring", theta={
    ...     "track": {"n_place_cells": 4}, "layers": {"hpc": {"size": 4}},
    ...     "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"},
    ...                     "recurrent": {"pre": "hpc", "post": "hpc", "compartment": "apical"}},
    ...     "test": {"spin_up_s": 1.0, "hold_s": 1.0, "episodes": 2, "errors_at_s": [0.5]}}), "ring.toml")
    >>> maps = np.eye(4)                                     # unit i fires in quarter i of the 1-m ring
    >>> decoders = {"template": lambda rates: decode_positions(maps, rates, 1.0)}
    >>> errors, decoded, true = path_integration(experiment, 0, experiment.network, experiment.initial_state(0),
    ...                                          decoders)
    >>> errors["template"].shape, decoded["template"].shape, true.shape        # 2 episodes of 1 s + 1 s at 25 ms
    ((2, 80), (2, 80), (2, 80))
    >>> set(decoded["template"].ravel().tolist()) <= {0.125, 0.375, 0.625, 0.875}, bool(errors["template"].max() <= 0.5)
    (True, True)
    """
    test, track = experiment.spec.test, experiment.spec.track
    if not test.noise:
        network, state = network.without_noise, network.silenced(state)
    spin, hold = experiment.steps(test.spin_up_s), experiment.steps(test.hold_s)
    gates = jnp.asarray(np.concatenate([experiment.gates(spin, seed), np.ones(hold, np.float32)]))
    errors, decoded, true = {name: [] for name in decoders}, {name: [] for name in decoders}, []
    for episode in range(test.episodes):
        key = jax.random.fold_in(experiment.keys(seed)["test"], episode)
        environment = experiment.environment(seed, spin + hold, key, remapped)
        _, out = network.compiled_run(state, environment.inputs, gates, learn=False)
        rates = np.asarray(out["rates"][test.decoder_layer])
        for name, decode in decoders.items():
            decoded[name].append(decode(rates))
            errors[name].append(decoding_error(decoded[name][-1], environment.positions_m, track.length_m))
        true.append(np.asarray(environment.positions_m))
    return ({name: np.asarray(e, np.float32) for name, e in errors.items()},
            {name: np.stack(d) for name, d in decoded.items()}, np.stack(true))


def _decoders(experiment: ThetaExperiment, recorded: dict) -> dict:
    """Two decoders of ``test.decoder_layer`` fitted on ``recorded`` (10 samples per second of its rates and positions).

    ``template``: each position bin's mean rate, read by correlation
    (:func:`~bioplastic.analysis.theta.decode_positions`); ``gp``: the authors' Gaussian-process
    regression to (cos, sin) of the position (:class:`~bioplastic.analysis.ring_decoder.RingDecoder`).
    """
    spec = experiment.spec
    maps = _maps(experiment, recorded)
    gp = RingDecoder.fit(recorded[spec.test.decoder_layer], recorded["positions_m"], spec.track.length_m)
    return {"template": lambda rates: decode_positions(maps, rates, spec.track.length_m), "gp": gp.decode}


def _named(errors: dict) -> dict:
    """Errors per decoder under their stage-file names: the template's plain, the others' prefixed (``gp_``)."""
    return {("" if name == "template" else f"{name}_"): values for name, values in errors.items()}


def _maps(experiment: ThetaExperiment, recorded: dict) -> np.ndarray:
    """Decoder templates: the decoder layer's mean rate per position bin (both theta phases)."""
    spec = experiment.spec
    return rate_maps(recorded[spec.test.decoder_layer], recorded["positions_m"], spec.track.length_m,
                     spec.test.position_bins)


def _untrained_recording(experiment: ThetaExperiment, seed: int, state: dict) -> dict:
    """What the untrained network's own decoders are fitted on: ``decoder_minutes`` of it running without learning."""
    n_steps = experiment.steps(60.0 * experiment.spec.test.decoder_minutes)
    environment = experiment.environment(seed, n_steps, experiment.keys(seed)["path"])
    out = run_without_learning(experiment.network, state, environment.inputs, experiment.gates(n_steps, seed))
    layer = experiment.spec.test.decoder_layer
    return {layer: np.asarray(out["rates"][layer])[::SAMPLE_EVERY], "positions_m": environment.positions_m[::SAMPLE_EVERY]}


def _transfer_stage(experiment: ThetaExperiment, seed: int, trained: dict, on_minute) -> dict:
    """Retrain in the remapped environment with the frozen connections fixed, then test there."""
    spec = experiment.spec
    network = experiment.transfer_network
    n_steps = experiment.steps(60.0 * spec.transfer.minutes)
    environment = experiment.environment(seed, n_steps, experiment.keys(seed)["transfer"], remapped=True,
                                         velocity_mean_m_s=spec.transfer.velocity_mean_m_s)
    start = dict(network.init(jax.random.fold_in(experiment.keys(seed)["transfer"], 1)),
                 weights=unflat_arrays("weights", trained))
    state, mismatch, recorded = train(experiment, network, start, environment, experiment.gates(n_steps, seed),
                                      _record_from(experiment, n_steps), on_minute)
    errors, decoded, true = path_integration(experiment, seed, network, state, _decoders(experiment, recorded),
                                             remapped=True)
    return {**{f"transferred_{name}errors": e for name, e in _named(errors).items()}, **flat_arrays("mismatch", mismatch),
            **_held(experiment, "transferred", decoded, true),
            **flat_arrays("weights", state["weights"]),
            **flat_arrays("recorded", recorded)}
