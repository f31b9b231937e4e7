"""The metrics of a theta run, read back from its stage files; the stage files' names.

Example
-------
>>> stage_file("test", 1)
'test_seed1.npz'
"""

from __future__ import annotations

import pathlib

import numpy as np

from bioplastic.analysis.theta import (
    autocorrelation_time,
    circulant_correlation,
    integration_gain,
    rate_maps,
    sort_by_field_peak,
)
from bioplastic.experiments.theta.build import ThetaExperiment
from bioplastic.runs import read_npz


MIN_FIELD_PEAK = 0.05     # units whose rate map never reaches this are silent and left out of the ring


def stage_file(stage: str, seed: int) -> str:
    """The run-folder file of one stage (train, test, transfer) of one repeat's seed.

    Example
    -------
    >>> stage_file("transfer", 2)
    'transfer_seed2.npz'
    """
    return f"{stage}_seed{seed}.npz"


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
    sorted recurrent weights) and ``transfer_ratio_at_<t>s``; ``<model>_integration_gain``
    over the whole hold and ``<model>_integration_gain_to_<t>s`` over its first ``t`` seconds
    (:func:`~bioplastic.analysis.theta.integration_gain`, pooled over the episodes: decoded
    on true displacement since the removal, 1 integrates the motion, 0 stays put). The
    errors and gains also exist for the authors' decoder, ``gp_`` after the model
    (``trained_gp_error_at_1s_m``, ``trained_gp_integration_gain``).

    Example
    -------
    Stage files of a latents protocol written by hand: a loss that falls from 0.4 to 0.1
    between the first and the second minute, 0.5 before and 0.125 after training, and
    autocorrelations of RBF kernels with length scales 200 ms (generated) and 400 ms (latents):

    >>> from bioplastic.experiments.theta.build import build_theta
    >>> import pathlib, tempfile
    >>> from bioplastic.experiments.theta.schema import ThetaProtocol
    >>> from bioplastic.runs import write_npz
    >>> experiment = build_theta(ThetaProtocol(name="latents", theta={
    ...     "latents": {"n_features": 2}, "layers": {"ec": {"size": 2}},
    ...     "connections": {"c": {"pre": "features", "post": "ec"}}}), "latents.toml")
    >>> run_dir, lags_ms = pathlib.Path(tempfile.mkdtemp()), np.arange(41) * 25.0
    >>> write_npz(run_dir / stage_file("train", 0), {"mismatch/ec": np.repeat([0.4, 0.1], 2400)})
    >>> write_npz(run_dir / stage_file("test", 0), {
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
        trained = read_npz(pathlib.Path(run_dir) / stage_file("train", seed))
        tested = read_npz(pathlib.Path(run_dir) / stage_file("test", seed))
        numbers = _loss_numbers(experiment, unflat_arrays("mismatch", trained), unflat_arrays("untrained_loss", tested),
                                unflat_arrays("trained_loss", tested))
        if spec.latents is not None:
            generated = autocorrelation_time(tested["generated_autocorrelation"], spec.dt_ms)
            latent = autocorrelation_time(tested["latent_autocorrelation"], spec.dt_ms)
            numbers.update(generated_autocorrelation_ms=generated, latent_autocorrelation_ms=latent,
                           autocorrelation_ratio=generated / latent)
        else:
            transferred = read_npz(pathlib.Path(run_dir) / stage_file("transfer", seed)) if spec.transfer else {}
            spin = experiment.steps(spec.test.spin_up_s)
            numbers["error_with_input_m"] = float(tested["trained_errors"][:, max(spin - experiment.steps(5.0), 0):spin].mean())
            stages = {"trained": tested, "untrained": tested, **({"transferred": transferred} if transferred else {})}
            for decoder in DECODER_PREFIXES:        # ours (template) and the authors' (Gaussian process, gp_)
                models = {model: stage[f"{model}_{decoder}errors"] for model, stage in stages.items()}
                for model, errors in models.items():
                    numbers[f"{model}_{decoder}last_episode_mean_m"] = last_episode_mean(errors)
                for when in spec.test.errors_at_s:
                    for model, errors in models.items():
                        numbers[f"{model}_{decoder}error_at_{when:g}s_m"] = error_at(experiment, errors, when)
                    if "transferred" in models:
                        numbers[f"transfer_{decoder}ratio_at_{when:g}s"] = (
                            numbers[f"transferred_{decoder}error_at_{when:g}s_m"]
                            / numbers[f"trained_{decoder}error_at_{when:g}s_m"])
                for model, stage in stages.items():
                    decoded, true = stage[f"{model}_{decoder}decoded_hold_m"], stage["true_hold_m"]
                    numbers[f"{model}_{decoder}integration_gain"] = integration_gain(decoded, true, spec.track.length_m)
                    for when in spec.test.errors_at_s:
                        window = experiment.steps(when) + 1          # the removal and ``when`` seconds after it
                        numbers[f"{model}_{decoder}integration_gain_to_{when:g}s"] = integration_gain(
                            decoded[:, :window], true[:, :window], spec.track.length_m)
            numbers["ring_correlation"] = circulant_correlation(sorted_recurrent(experiment, trained))
        per_seed[str(seed)] = numbers
    metrics = {key: float(np.mean([numbers[key] for numbers in per_seed.values()])) for key in next(iter(per_seed.values()))}
    metrics["details"] = per_seed
    return metrics


DECODER_PREFIXES = ("", "gp_")      # stage-file and metric prefixes: the template decoder's none, the GP's gp_


def last_episode_mean(errors) -> float:
    """The authors' bar-chart measure: the decoding error (m) averaged over the whole window of the last episode only.

    George et al.'s remapping figure plots ``np.mean(errors, axis=1)[-1]`` (figs34, cell 45):
    the time average over spin-up and hold -- half of the spin-up with the sensory input
    present -- of the last of the episodes. :func:`error_at` is the measure its caption
    describes: the error a given time after the input is removed, over all episodes.

    Example
    -------
    >>> last_episode_mean(np.array([[0.3, 0.3, 0.3, 0.3], [0.0, 0.0, 0.1, 0.3]]))    # (episodes, steps)
    0.1
    """
    return float(np.mean(np.asarray(errors)[-1]))


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
    >>> from bioplastic.experiments.theta.build import build_theta
    >>> import pathlib, bioplastic
    >>> from bioplastic.experiments import load_protocol
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

    >>> from bioplastic.experiments.theta.build import build_theta
    >>> from bioplastic.experiments.theta.schema import ThetaProtocol
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
    recorded = unflat_arrays("recorded", trained)
    wake = recorded["gate"] == 0
    maps = rate_maps(recorded[layer][wake], recorded["positions_m"][wake], spec.track.length_m, spec.test.position_bins)
    return sort_by_field_peak(maps, MIN_FIELD_PEAK)


def sorted_recurrent(experiment: ThetaExperiment, trained: dict) -> np.ndarray:
    """The recurrent weights (``test.recurrent``) between the active units, sorted by place-field peak.

    Rows and columns follow :func:`field_order` of the connection's layer; silent units are
    left out.

    Example
    -------
    >>> from bioplastic.experiments.theta.build import build_theta
    >>> from bioplastic.experiments.theta.schema import ThetaProtocol
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


def flat_arrays(prefix: str, arrays: dict) -> dict:
    return {f"{prefix}/{name}": np.asarray(value) for name, value in arrays.items()}


def unflat_arrays(prefix: str, arrays: dict) -> dict:
    return {name[len(prefix) + 1:]: value for name, value in arrays.items() if name.startswith(prefix + "/")}
