"""Running a theta protocol: train, test, transfer -- each stage saved as it finishes; metrics, plots.

Called by :func:`bioplastic.runner.run_protocol` for a protocol with a ``[theta]`` table.
For each repeat (seed ``seed + i``) the stages are:

1. ``train_seed<N>.npz`` -- training with the theta schedule: the mismatch ``|r_B - r_A|``
   of every layer at every step, the initial and final weights, and (track) the rates of
   every layer over the last ``decoder_minutes`` at every 4th step with positions and gates;
2. ``test_seed<N>.npz`` -- every layer's mismatch over a minute without learning, before
   and after training (on the same input); latents: the generated activity of ``test.generator`` over
   ``hold_s`` in the generative phase and the latents' and its autocorrelations; track:
   the path-integration test of the trained and the untrained network (the untrained one
   with a decoder fitted on its own activity), decoding errors per episode and step;
3. ``transfer_seed<N>.npz`` (track with ``[theta.transfer]``) -- the trained network with
   the ``freeze`` connections fixed, retrained in the remapped environment (with the
   transfer's mean velocity, if it sets one), then tested there on the track's paths.

Each file is written atomically when its stage ends, so ``--resume`` skips finished
stages. Then ``metrics.json`` and the plots are written.

Example
-------
>>> from bioplastic.theta_run import stage_file
>>> stage_file("train", 3)
'train_seed3.npz'
"""

from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic import results
from bioplastic.analysis.theta import (
    autocorrelation,
    autocorrelation_time,
    circulant_correlation,
    decode_positions,
    decoding_error,
    rate_maps,
    sort_by_field_peak,
)
from bioplastic.protocol.theta import SAMPLE_EVERY, ThetaExperiment, build_theta

CHUNK_S = 60.0            # training runs (and reports progress) one simulated minute at a time
LOSS_TEST_S = 60.0        # the untrained and the trained network run this long, without learning, to compare losses
MIN_FIELD_PEAK = 0.05     # units whose rate map never reaches this are silent and left out of the ring


def stage_file(stage: str, seed: int) -> str:
    """The run-folder file of one stage (train, test, transfer) of one repeat's seed.

    Example
    -------
    >>> stage_file("transfer", 2)
    'transfer_seed2.npz'
    """
    return f"{stage}_seed{seed}.npz"


def run_theta(path, protocol, resolved, out_dir, resume, progress, on_chunk, command) -> pathlib.Path:
    """Run every stage of every repeat (skipping those a resumed folder has); metrics and plots.

    Called by :func:`bioplastic.runner.run_protocol` (which loads the protocol) with its
    arguments. A whole run trains for ``theta.minutes`` simulated minutes per repeat,
    too long for an example even at toy size, so the call below is not run: it would
    leave the stage files of the module docstring.

    Parameters
    ----------
    path : str or pathlib.Path
        The protocol file (named in error messages and in the manifest).
    protocol : ThetaProtocol
        The validated protocol, as from :func:`~bioplastic.protocol.load.load_protocol`.
    resolved : dict
        The resolved protocol table (written to ``protocol.toml``; a resume must match it).
    out_dir : str or pathlib.Path
        Where a new run folder is created (ignored with ``resume``).
    resume : str or pathlib.Path or None
        A stopped run's folder to continue, skipping the stages whose files it has; None starts a new one.
    progress : bool
        Show a progress line on standard error (simulated minutes of training).
    on_chunk : callable or None
        Called after each repeat (all its stages) with the number of repeats done.
    command : list of str or None
        The command line, for the manifest.

    Returns
    -------
    pathlib.Path
        The run folder.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from bioplastic.protocol.load import load_protocol
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
    >>> run_dir = run_theta(path, protocol, resolved, path.parent / "runs", None, False, None, None)  # doctest: +SKIP
    >>> sorted(p.name for p in run_dir.iterdir())                                    # doctest: +SKIP
    ['manifest.json', 'metrics.json', 'protocol.toml', 'test_seed0.npz', 'train_seed0.npz']
    """
    from bioplastic.runner import _Progress, open_run_folder

    experiment = build_theta(protocol, str(path))
    spec = protocol.theta
    run_dir, manifest = open_run_folder(path, protocol, resolved, out_dir, resume, command)
    minutes_per_repeat = spec.minutes + (spec.transfer.minutes if spec.transfer else 0.0)
    shown = _Progress(protocol.name, int(round(spec.repeats * minutes_per_repeat * 60 / CHUNK_S)), CHUNK_S / 60,
                      "simulated min of training", enabled=progress)
    done = 0
    for index in range(spec.repeats):
        seed = protocol.seed + index
        train = run_dir / stage_file("train", seed)
        if not train.exists():
            results.write_npz(train, _train_stage(experiment, seed, lambda n, base=done: shown.update(base + n)))
        done += int(round(spec.minutes * 60 / CHUNK_S))
        trained = results.read_npz(train)
        test = run_dir / stage_file("test", seed)
        if not test.exists():
            results.write_npz(test, _test_stage(experiment, seed, trained))
        if spec.transfer is not None:
            transfer = run_dir / stage_file("transfer", seed)
            if not transfer.exists():
                results.write_npz(transfer, _transfer_stage(experiment, seed, trained,
                                                            lambda n, base=done: shown.update(base + n)))
            done += int(round(spec.transfer.minutes * 60 / CHUNK_S))
        if on_chunk is not None:
            on_chunk(index + 1)
    shown.close()
    metrics = summarize(run_dir, experiment)
    results.write_json(run_dir / "metrics.json", metrics)
    from bioplastic.protocol.plots import draw_theta_plots

    draw_theta_plots(run_dir, experiment, metrics)
    results.write_json(run_dir / "manifest.json", dict(manifest, finished=results.now(), status="completed"))
    return run_dir


def train(experiment: ThetaExperiment, network, state: dict, environment, gates, record_from: int, on_minute=None):
    """Train ``network`` from ``state`` through ``environment``; returns ``(state, mismatch, recorded)``.

    ``mismatch``: layer -> (n_steps,); ``recorded``: layer -> rates at every 4th step from
    ``record_from`` on (and ``positions_m`` and ``gate`` at those steps, for a track).
    Runs ``network.compiled_run``, so repeats and chunks share one compilation. Stops with
    a :class:`~bioplastic.runner.RunError` if a weight becomes non-finite.

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
    >>> from bioplastic.protocol.schema import ThetaProtocol
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
    from bioplastic.runner import RunError

    n_steps = len(gates)
    chunk = experiment.steps(CHUNK_S)
    mismatch, recorded = {}, {}
    for minute, start in enumerate(range(0, n_steps, chunk), start=1):
        stop = min(start + chunk, n_steps)
        inputs = {name: value[start:stop] for name, value in environment.inputs.items()}
        state, out = network.compiled_run(state, inputs, jnp.asarray(gates[start:stop]))
        for name, values in out["mismatch"].items():
            mismatch.setdefault(name, []).append(np.asarray(values))
        if not all(np.isfinite(np.asarray(w)).all() for w in state["weights"].values()):
            raise RunError(f"training stopped at minute {minute}: the weights became non-finite; lower "
                           "theta.learning_rate (or a connection's learning_rate)")
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
    return {**_flat("mismatch", mismatch), **_flat("initial", start["weights"]), **_flat("weights", state["weights"]),
            **_flat("recorded", recorded)}


def _record_from(experiment: ThetaExperiment, n_steps: int) -> int:
    spec = experiment.spec
    if spec.track is None:
        return n_steps
    return n_steps - experiment.steps(60.0 * spec.test.decoder_minutes)


def _test_stage(experiment: ThetaExperiment, seed: int, trained: dict) -> dict:
    spec = experiment.spec
    state = experiment.initial_state(seed)
    trained_state = dict(state, weights=_unflat("weights", trained))
    losses = {**_flat("untrained_loss", _mismatch_without_learning(experiment, seed, state)),
              **_flat("trained_loss", _mismatch_without_learning(experiment, seed, trained_state))}
    if spec.latents is not None:
        return {**losses, **_generation_test(experiment, seed, trained_state)}
    maps = _maps(experiment, _unflat("recorded", trained))
    untrained_maps = _untrained_maps(experiment, seed, state)
    trained_errors, decoded, true = path_integration(experiment, seed, experiment.network, trained_state, maps)
    untrained_errors, _, _ = path_integration(experiment, seed, experiment.network, state, untrained_maps)
    return {**losses, "trained_errors": trained_errors, "untrained_errors": untrained_errors, "decoded_m": decoded,
            "true_m": true, "maps": maps}


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


def path_integration(experiment: ThetaExperiment, seed: int, network, state: dict, maps, remapped: bool = False):
    """Decoding errors (episodes, steps) of the path-integration test; the first episode's decoded and true paths.

    Each episode: ``spin_up_s`` with the theta schedule, then ``hold_s`` in the generative
    phase (the sensory input no longer reaches any soma), no learning, a new path.

    Parameters
    ----------
    maps : array (bins, n_units)
        Decoder templates of ``test.decoder_layer``, as from
        :func:`~bioplastic.analysis.theta.rate_maps`.
    remapped : bool
        Test in the second environment (remapped place fields).

    Returns
    -------
    errors : array (episodes, n_steps)
        Distance round the ring (m) between decoded and true positions at every step.
    decoded, true : array (n_steps,)
        The first episode's decoded and true positions (m).

    Example
    -------
    >>> from bioplastic.protocol.schema import ThetaProtocol
    >>> experiment = build_theta(ThetaProtocol(name="ring", theta={
    ...     "track": {"n_place_cells": 4}, "layers": {"hpc": {"size": 4}},
    ...     "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"},
    ...                     "recurrent": {"pre": "hpc", "post": "hpc", "compartment": "apical"}},
    ...     "test": {"spin_up_s": 1.0, "hold_s": 1.0, "episodes": 2, "errors_at_s": [0.5]}}), "ring.toml")
    >>> maps = np.eye(4)                                     # unit i fires in quarter i of the 1-m ring
    >>> errors, decoded, true = path_integration(experiment, 0, experiment.network, experiment.initial_state(0), maps)
    >>> errors.shape, decoded.shape, true.shape              # 2 episodes of 1 s + 1 s at 25 ms
    ((2, 80), (80,), (80,))
    >>> sorted(set(decoded.tolist())) <= [0.125, 0.375, 0.625, 0.875], bool(errors.max() <= 0.5)
    (True, True)
    """
    test, track = experiment.spec.test, experiment.spec.track
    spin, hold = experiment.steps(test.spin_up_s), experiment.steps(test.hold_s)
    gates = jnp.asarray(np.concatenate([experiment.gates(spin, seed), np.ones(hold, np.float32)]))
    errors, first = [], None
    for episode in range(test.episodes):
        key = jax.random.fold_in(experiment.keys(seed)["test"], episode)
        environment = experiment.environment(seed, spin + hold, key, remapped)
        _, out = network.compiled_run(state, environment.inputs, gates, learn=False)
        decoded = decode_positions(maps, np.asarray(out["rates"][test.decoder_layer]), track.length_m)
        errors.append(decoding_error(decoded, environment.positions_m, track.length_m))
        if first is None:
            first = (decoded, environment.positions_m)
    return np.asarray(errors, np.float32), first[0], first[1]


def _maps(experiment: ThetaExperiment, recorded: dict) -> np.ndarray:
    """Decoder templates: the decoder layer's mean rate per position bin (both theta phases)."""
    spec = experiment.spec
    return rate_maps(recorded[spec.test.decoder_layer], recorded["positions_m"], spec.track.length_m,
                     spec.test.position_bins)


def _untrained_maps(experiment: ThetaExperiment, seed: int, state: dict) -> np.ndarray:
    """The untrained network's own decoder, fitted on ``decoder_minutes`` of it running without learning."""
    n_steps = experiment.steps(60.0 * experiment.spec.test.decoder_minutes)
    environment = experiment.environment(seed, n_steps, experiment.keys(seed)["path"])
    out = run_without_learning(experiment.network, state, environment.inputs, experiment.gates(n_steps, seed))
    layer = experiment.spec.test.decoder_layer
    recorded = {layer: np.asarray(out["rates"][layer])[::SAMPLE_EVERY],
                "positions_m": environment.positions_m[::SAMPLE_EVERY]}
    return _maps(experiment, recorded)


def _transfer_stage(experiment: ThetaExperiment, seed: int, trained: dict, on_minute) -> dict:
    """Retrain in the remapped environment with the frozen connections fixed, then test there."""
    spec = experiment.spec
    network = experiment.transfer_network
    n_steps = experiment.steps(60.0 * spec.transfer.minutes)
    environment = experiment.environment(seed, n_steps, experiment.keys(seed)["transfer"], remapped=True,
                                         velocity_mean_m_s=spec.transfer.velocity_mean_m_s)
    start = dict(network.init(jax.random.fold_in(experiment.keys(seed)["transfer"], 1)),
                 weights=_unflat("weights", trained))
    state, mismatch, recorded = train(experiment, network, start, environment, experiment.gates(n_steps, seed),
                                      _record_from(experiment, n_steps), on_minute)
    maps = _maps(experiment, recorded)
    errors, _, _ = path_integration(experiment, seed, network, state, maps, remapped=True)
    return {"transferred_errors": errors, **_flat("mismatch", mismatch), **_flat("weights", state["weights"]),
            **_flat("recorded", recorded)}


def summarize(run_dir, experiment: ThetaExperiment) -> dict:
    """Headline numbers, means over repeats (per repeat in ``details``).

    Every two-compartment layer: ``<layer>_loss_untrained`` and ``_trained`` (the mean
    mismatch of the network before and after training, each run for a minute with the
    theta schedule and without learning, on the same input) and ``_loss_fold`` (their
    ratio); ``<layer>_loss_first_minute`` and ``_last_minute`` of training. Latents:
    ``generated_autocorrelation_ms``, ``latent_autocorrelation_ms`` and their ``ratio``.
    Track: ``error_with_input_m`` (the last 5 s of the spin-up), ``<model>_error_at_<t>s_m``
    for trained, untrained (and transferred) models -- the error averaged over episodes and
    over +-0.25 s around ``t`` after removal -- ``ring_correlation`` (circulant fit of the
    sorted recurrent weights) and ``transfer_ratio_at_<t>s``.

    Example
    -------
    Stage files of a latents protocol written by hand: a loss that falls from 0.4 to 0.1
    between the first and the second minute, 0.5 before and 0.125 after training, and
    autocorrelations of RBF kernels with length scales 200 ms (generated) and 400 ms (latents):

    >>> import pathlib, tempfile
    >>> from bioplastic.protocol.schema import ThetaProtocol
    >>> experiment = build_theta(ThetaProtocol(name="latents", theta={
    ...     "latents": {"n_features": 2}, "layers": {"ec": {"size": 2}},
    ...     "connections": {"c": {"pre": "features", "post": "ec"}}}), "latents.toml")
    >>> run_dir, lags_ms = pathlib.Path(tempfile.mkdtemp()), np.arange(41) * 25.0
    >>> results.write_npz(run_dir / stage_file("train", 0), {"mismatch/ec": np.repeat([0.4, 0.1], 2400)})
    >>> results.write_npz(run_dir / stage_file("test", 0), {
    ...     "untrained_loss/ec": np.array(0.5), "trained_loss/ec": np.array(0.125),
    ...     "generated_autocorrelation": np.exp(-lags_ms**2 / (2 * 200.0**2)),
    ...     "latent_autocorrelation": np.exp(-lags_ms**2 / (2 * 400.0**2))})
    >>> metrics = summarize(run_dir, experiment)
    >>> {name: round(value, 3) for name, value in metrics.items() if name != "details"}  # doctest: +NORMALIZE_WHITESPACE
    {'ec_loss_untrained': 0.5, 'ec_loss_trained': 0.125, 'ec_loss_fold': 4.0, 'ec_loss_first_minute': 0.4,
     'ec_loss_last_minute': 0.1, 'generated_autocorrelation_ms': 200.0, 'latent_autocorrelation_ms': 400.0,
     'autocorrelation_ratio': 0.5}
    >>> list(metrics["details"])                             # one entry per repeat's seed
    ['0']
    """
    spec = experiment.spec
    per_seed = {}
    for index in range(spec.repeats):
        seed = experiment.protocol.seed + index
        trained = results.read_npz(pathlib.Path(run_dir) / stage_file("train", seed))
        tested = results.read_npz(pathlib.Path(run_dir) / stage_file("test", seed))
        numbers = _loss_numbers(experiment, _unflat("mismatch", trained), _unflat("untrained_loss", tested),
                                _unflat("trained_loss", tested))
        if spec.latents is not None:
            generated = autocorrelation_time(tested["generated_autocorrelation"], spec.dt_ms)
            latent = autocorrelation_time(tested["latent_autocorrelation"], spec.dt_ms)
            numbers.update(generated_autocorrelation_ms=generated, latent_autocorrelation_ms=latent,
                           autocorrelation_ratio=generated / latent)
        else:
            models = {"trained": tested["trained_errors"], "untrained": tested["untrained_errors"]}
            transfer = pathlib.Path(run_dir) / stage_file("transfer", seed)
            if spec.transfer is not None:
                models["transferred"] = results.read_npz(transfer)["transferred_errors"]
            spin = experiment.steps(spec.test.spin_up_s)
            numbers["error_with_input_m"] = float(tested["trained_errors"][:, max(spin - experiment.steps(5.0), 0):spin].mean())
            for when in spec.test.errors_at_s:
                for model, errors in models.items():
                    numbers[f"{model}_error_at_{when:g}s_m"] = error_at(experiment, errors, when)
                if "transferred" in models:
                    numbers[f"transfer_ratio_at_{when:g}s"] = (numbers[f"transferred_error_at_{when:g}s_m"]
                                                              / numbers[f"trained_error_at_{when:g}s_m"])
            numbers["ring_correlation"] = circulant_correlation(sorted_recurrent(experiment, trained))
        per_seed[str(seed)] = numbers
    metrics = {key: float(np.mean([numbers[key] for numbers in per_seed.values()])) for key in next(iter(per_seed.values()))}
    metrics["details"] = per_seed
    return metrics


def error_at(experiment: ThetaExperiment, errors, seconds: float) -> float:
    """Mean decoding error (m) over episodes and over +-0.25 s around ``seconds`` after the input was removed.

    Parameters
    ----------
    experiment : ThetaExperiment
        Gives the step (``dt_ms``) and ``test.spin_up_s`` (s), after which the input is removed.
    errors : array (episodes, n_steps)
        Decoding errors (m) at every step of each episode, as from :func:`path_integration`.
    seconds : float
        Time after the input's removal (s); the window is clipped to the recorded steps.

    Example
    -------
    >>> import pathlib, bioplastic
    >>> from bioplastic.protocol.load import load_protocol
    >>> path = pathlib.Path(bioplastic.__file__).parents[1] / "protocols" / "theta_path_integration.toml"
    >>> experiment = build_theta(load_protocol(path)[0], str(path))
    >>> errors = np.tile(np.arange(1200) * 0.001, (3, 1))          # error growing by 1 mm per step
    >>> round(error_at(experiment, errors, 1.0), 3)                # 10 s spin-up + 1 s = step 440
    0.44
    """
    centre = experiment.steps(experiment.spec.test.spin_up_s) + experiment.steps(seconds)
    half = experiment.steps(0.25)
    errors = np.asarray(errors)
    return float(errors[:, max(centre - half, 0):min(centre + half + 1, errors.shape[1])].mean())


def field_order(experiment: ThetaExperiment, trained: dict, layer: str) -> np.ndarray:
    """The active units of ``layer`` sorted by the peak of their wake-phase rate maps (last minutes of training).

    Parameters
    ----------
    experiment : ThetaExperiment
        Gives ``track.length_m`` (m) and ``test.position_bins``.
    trained : dict
        A ``train_seed<N>.npz`` stage: ``recorded/<layer>`` (n_samples, n_units), ``recorded/positions_m`` (m)
        and ``recorded/gate``, each over the same samples; only samples with gate 0 (wake) count.
    layer : str
        The layer whose units are sorted.

    Returns
    -------
    numpy.ndarray of int
        Indices of the units whose map reaches ``MIN_FIELD_PEAK``, ordered by the bin of their peak.

    Example
    -------
    Unit 0 fires in the third quarter of the ring, unit 2 in the first, unit 3 in the
    second; unit 1 fires only in the generative phase (gate 1), which does not count:

    >>> from bioplastic.protocol.schema import ThetaProtocol
    >>> experiment = build_theta(ThetaProtocol(name="ring", theta={
    ...     "track": {"n_place_cells": 4}, "layers": {"hpc": {"size": 4}},
    ...     "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"},
    ...                     "recurrent": {"pre": "hpc", "post": "hpc", "compartment": "apical"}},
    ...     "test": {"position_bins": 4}}), "ring.toml")
    >>> wake = np.array([[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0]], float)   # bins 0..3
    >>> trained = {"recorded/hpc": np.vstack([wake, [[0, 9, 0, 0]] * 4]),
    ...            "recorded/positions_m": np.tile([0.1, 0.3, 0.6, 0.9], 2),
    ...            "recorded/gate": np.repeat([0.0, 1.0], 4)}
    >>> field_order(experiment, trained, "hpc").tolist()
    [2, 3, 0]
    """
    spec = experiment.spec
    recorded = _unflat("recorded", trained)
    wake = recorded["gate"] == 0
    maps = rate_maps(recorded[layer][wake], recorded["positions_m"][wake], spec.track.length_m, spec.test.position_bins)
    return sort_by_field_peak(maps, MIN_FIELD_PEAK)


def sorted_recurrent(experiment: ThetaExperiment, trained: dict) -> np.ndarray:
    """The recurrent weights (``test.recurrent``) between the active units, sorted by place-field peak.

    Rows and columns follow :func:`field_order` of the connection's layer; silent units are
    left out.

    Example
    -------
    >>> from bioplastic.protocol.schema import ThetaProtocol
    >>> experiment = build_theta(ThetaProtocol(name="ring", theta={
    ...     "track": {"n_place_cells": 3}, "layers": {"hpc": {"size": 3}},
    ...     "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"},
    ...                     "recurrent": {"pre": "hpc", "post": "hpc", "compartment": "apical"}},
    ...     "test": {"position_bins": 3}}), "ring.toml")
    >>> trained = {"recorded/hpc": np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),  # unit 1 silent
    ...            "recorded/positions_m": np.array([0.1, 0.5, 0.9]), "recorded/gate": np.zeros(3),
    ...            "weights/recurrent": np.arange(9.0).reshape(3, 3)}
    >>> sorted_recurrent(experiment, trained).tolist()      # units 2 then 0: W[[2, 0]][:, [2, 0]]
    [[8.0, 6.0], [2.0, 0.0]]
    """
    spec = experiment.spec
    order = field_order(experiment, trained, spec.connections[spec.test.recurrent].post)
    return trained[f"weights/{spec.test.recurrent}"][np.ix_(order, order)]


def _loss_numbers(experiment: ThetaExperiment, mismatch: dict, untrained: dict, trained: dict) -> dict:
    minute = experiment.steps(60.0)
    numbers = {}
    for layer, values in mismatch.items():
        numbers.update({f"{layer}_loss_untrained": float(untrained[layer]), f"{layer}_loss_trained": float(trained[layer]),
                        f"{layer}_loss_fold": float(untrained[layer] / trained[layer]),
                        f"{layer}_loss_first_minute": float(values[:minute].mean()),
                        f"{layer}_loss_last_minute": float(values[-minute:].mean())})
    return numbers


def _flat(prefix: str, arrays: dict) -> dict:
    return {f"{prefix}/{name}": np.asarray(value) for name, value in arrays.items()}


def _unflat(prefix: str, arrays: dict) -> dict:
    return {name[len(prefix) + 1:]: value for name, value in arrays.items() if name.startswith(prefix + "/")}
