"""Measures of a learned prediction of "what" and "when": errors, peaks, recovery, angles.

The readouts of :mod:`bioplastic.experiments.prediction.trials` are recorded per trial; these
functions turn them into the numbers of the experiment. Times are in steps of 1 ms.

- :func:`ideal_prediction` -- what a perfect predictor outputs in each trial: the
  outcome's probability times the timing bump at its latency;
- :func:`own_outcome` -- the "when" readout and the "what" readout of each trial's own
  outcome identity, out of one "what" readout per identity;
- :func:`trial_errors` -- the mean squared difference per trial;
- :func:`peak` -- time and height of a trace's maximum;
- :func:`running_mean` -- means over a sliding window of trials;
- :func:`trials_to_recover` -- after a switch, how many trials until the running mean
  error is back at or below its level before the switch;
- :func:`cosine` -- the cosine of the angle between two weight vectors.

Example
-------
>>> import numpy as np
>>> from bioplastic.analysis.prediction import trials_to_recover
>>> errors = np.array([1.0] * 30 + [5.0, 4.0, 3.0, 2.0, 1.0, 0.5, 0.5, 0.5])
>>> trials_to_recover(errors, switch_trial=30, baseline_trials=30, running=2)
6
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from bioplastic._checks import BadInput, check_size


def ideal_prediction(latency_ms, probability, window_steps: int, kernel_ms: float) -> np.ndarray:
    """``p exp(-(t - latency)^2 / (2 kernel^2))`` for ``t`` in ``[0, window_steps)`` ms, one row per trial.

    Parameters
    ----------
    latency_ms : array (n_trials,)
        Latency of each trial's outcome after cue onset (ms): the centre of its bump.
    probability : array (n_trials,)
        Probability of each trial's outcome: the height of its bump.
    window_steps : int
        Length of the window (steps of 1 ms).
    kernel_ms : float
        Standard deviation of the Gaussian timing bump (ms).

    Returns
    -------
    ndarray (n_trials, window_steps)
        float64; column ``t`` is ``t`` ms after cue onset.

    Example
    -------
    >>> ideal = ideal_prediction([300.0], [0.75], window_steps=1000, kernel_ms=50.0)
    >>> ideal.shape, int(ideal[0].argmax()), float(ideal[0].max())
    ((1, 1000), 300, 0.75)
    """
    t = np.arange(window_steps, dtype=np.float64)
    latency = np.asarray(latency_ms, np.float64)[:, None]
    return np.asarray(probability, np.float64)[:, None] * np.exp(-0.5 * ((t[None] - latency) / kernel_ms) ** 2)


def own_outcome(readouts, identity=None) -> np.ndarray:
    """``[when, what of the trial's outcome]`` per trial: (n_trials, window, 2) from (n_trials, window, 1 + n_outcomes).

    ``identity`` (n_trials,) is each trial's outcome index (``None``: 0 throughout, which
    returns a task with one outcome unchanged).

    Example
    -------
    >>> readouts = np.zeros((2, 3, 3))
    >>> readouts[..., 1], readouts[..., 2] = 0.2, 0.7                  # what X = 0.2, what Y = 0.7
    >>> own_outcome(readouts, identity=[0, 1])[:, 0, 1].tolist()
    [0.2, 0.7]
    """
    readouts = np.asarray(readouts)
    if identity is None:
        return readouts[..., :2]
    what = np.take_along_axis(readouts[..., 1:], np.asarray(identity, int)[:, None, None], axis=2)
    return np.concatenate([readouts[..., :1], what], axis=2)


def trial_errors(prediction, ideal) -> np.ndarray:
    """Mean over each trial's window of ``(prediction - ideal)^2``; (n_trials,).

    Example
    -------
    >>> trial_errors(np.ones((2, 4)), np.array([[1.0] * 4, [0.0] * 4])).tolist()
    [0.0, 1.0]
    """
    prediction, ideal = np.asarray(prediction, np.float64), np.asarray(ideal, np.float64)
    if prediction.shape != ideal.shape:
        raise BadInput("prediction", f"shape {prediction.shape}", f"the shape of ideal {ideal.shape}")
    return np.mean((prediction - ideal) ** 2, axis=1)


def peak(trace) -> tuple[float, float]:
    """``(time of the maximum in ms, maximum)`` of a 1-ms trace.

    Example
    -------
    >>> peak(np.array([0.0, 0.2, 0.9, 0.1]))
    (2.0, 0.9)
    """
    trace = np.asarray(trace, np.float64)
    return float(np.argmax(trace)), float(np.max(trace))


def running_mean(values, running: int) -> np.ndarray:
    """Means of every ``running`` consecutive values; entry ``k`` covers ``[k, k + running)``.

    Example
    -------
    >>> running_mean([1.0, 2.0, 3.0, 4.0], 2).tolist()
    [1.5, 2.5, 3.5]
    """
    return np.convolve(np.asarray(values, np.float64), np.ones(running) / running, mode="valid")


def trials_to_recover(errors, switch_trial: int, baseline_trials: int = 30, running: int = 10) -> Optional[int]:
    """Trials after ``switch_trial`` until the error is back to its pre-switch level.

    The level is the mean error of the ``baseline_trials`` trials before the switch.
    Returns the smallest ``n`` such that the mean of trials
    ``[switch + n - running, switch + n)`` is at or below it (``n >= running``: the
    trials one must have seen), or ``None`` if that never happens.

    Parameters
    ----------
    errors : array (n_trials,)
        Per-trial errors, e.g. from :func:`trial_errors`.
    switch_trial : int
        Index of the first trial after the switch; at least ``baseline_trials``.
    baseline_trials : int
        Trials before the switch whose mean error is the level to get back to.
    running : int
        Trials averaged in the running mean.

    Returns
    -------
    int or None
        Number of trials after the switch, or ``None`` if the error never recovers.

    Example
    -------
    >>> errors = np.array([1.0, 1.0, 1.0, 4.0, 2.0, 1.0, 0.5])
    >>> trials_to_recover(errors, switch_trial=3, baseline_trials=3, running=1)
    3
    >>> print(trials_to_recover(np.array([1.0, 1.0, 1.0, 5.0, 5.0]), 3, 3, 1))
    None
    """
    errors = np.asarray(errors, np.float64)
    check_size(running, "running")
    check_size(baseline_trials, "baseline_trials")
    if not baseline_trials <= switch_trial < len(errors):
        raise BadInput("switch_trial", f"{switch_trial!r}", f"a trial in [{baseline_trials}, {len(errors)})")
    level = errors[switch_trial - baseline_trials:switch_trial].mean()
    after = errors[switch_trial:]
    if len(after) < running:
        return None
    means = running_mean(after, running)
    below = np.nonzero(means <= level)[0]
    return int(below[0] + running) if below.size else None


def cosine(a, b) -> float:
    """Cosine of the angle between two vectors (0 when either is zero).

    Example
    -------
    >>> round(cosine([1.0, 0.0], [1.0, 1.0]), 6), cosine([0.0, 0.0], [1.0, 1.0])
    (0.707107, 0.0)
    """
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norm) if norm > 0 else 0.0


def prediction_summary(readouts, cue, latency_ms, probability, kernel_ms: float, switch_trial=None,
                       baseline_trials: int = 30, running_trials: int = 10, identity=None) -> dict:
    """The experiment's numbers for one learner's readouts.

    With one "what" readout per outcome identity the prediction of outcome ``k`` is
    ``when * what_k`` and its ideal the trial's bump where ``k`` is the trial's outcome,
    0 elsewhere; a trial's error is the sum over outcomes of their mean squared
    difference (with one outcome: that outcome's). Peaks and amplitudes are those of each
    trial's own outcome.

    Parameters
    ----------
    readouts : array (n_trials, window, 1 + n_outcomes)
        ``[when, what...]`` per trial and ms from cue onset; the prediction is their product.
    cue, latency_ms, probability : arrays (n_trials,)
        Each trial's cue and the latency and probability in force.
    kernel_ms : float
        Width of the timing bump (the ideal prediction's shape).
    switch_trial : int or None
    baseline_trials, running_trials : int
        See :func:`trials_to_recover`; ``baseline_trials`` also sets the trials whose
        mean traces give the peaks (the last ones before the switch, and the last ones).
    identity : array (n_trials,) or None
        Each trial's outcome index (a column of the "what" readouts); ``None``: 0 throughout.

    Returns
    -------
    dict
        ``errors`` (per trial), ``peaks`` (per phase and cue: true latency and probability,
        peak time and amplitude of the mean prediction), ``amplitude_ratio`` (per phase:
        peak of the most probable outcome over that of the least probable),
        ``pre_switch_error`` and ``trials_to_recover`` (with a switch).

    Example
    -------
    A perfect learner (``when`` = 1, ``what`` = the ideal prediction) with two cues:

    >>> cue, latency, p = np.array([0, 1, 0, 1]), np.array([50.0, 100.0, 50.0, 100.0]), np.array([0.9, 0.3, 0.9, 0.3])
    >>> readouts = np.ones((4, 200, 2))
    >>> readouts[..., 1] = ideal_prediction(latency, p, 200, kernel_ms=10.0)
    >>> summary = prediction_summary(readouts, cue, latency, p, kernel_ms=10.0, baseline_trials=4)
    >>> summary["errors"].tolist(), summary["peaks"]["end"][1]["peak_ms"], round(summary["amplitude_ratio"]["end"], 6)
    ([0.0, 0.0, 0.0, 0.0], 100.0, 3.0)

    Two outcome identities, X after cue 0 and Y after cue 1; a learner that predicts X
    perfectly and Y never misses Y's ideal on cue 1's trials only:

    >>> two = np.zeros((4, 200, 3))
    >>> two[..., 0] = 1.0
    >>> two[cue == 0, :, 1] = ideal_prediction(latency, p, 200, kernel_ms=10.0)[cue == 0]
    >>> errors = prediction_summary(two, cue, latency, p, kernel_ms=10.0, baseline_trials=4, identity=cue)["errors"]
    >>> errors.tolist()[::2], round(float(errors[1]), 6) == round(float(np.mean(ideal_prediction([100.0], [0.3], 200, 10.0) ** 2)), 6)
    ([0.0, 0.0], True)
    """
    readouts = np.asarray(readouts, np.float64)
    cue = np.asarray(cue)
    n_trials, window = readouts.shape[:2]
    n_outcomes = readouts.shape[2] - 1
    identity = np.zeros(n_trials, int) if identity is None else np.asarray(identity, int)
    predictions = readouts[..., :1] * readouts[..., 1:]
    ideal = ideal_prediction(latency_ms, probability, window, kernel_ms)
    if ideal.shape != predictions.shape[:2]:
        raise BadInput("prediction", f"shape {predictions.shape[:2]}", f"the shape of ideal {ideal.shape}")
    errors = np.sum([trial_errors(predictions[..., k], np.where((identity == k)[:, None], ideal, 0.0))
                     for k in range(n_outcomes)], axis=0)
    prediction = np.take_along_axis(predictions, identity[:, None, None], axis=2)[..., 0]
    phases = {"before_switch": (max(0, switch_trial - baseline_trials), switch_trial)} if switch_trial else {}
    phases["end"] = (max(0, n_trials - baseline_trials), n_trials)
    peaks, ratios = {}, {}
    for phase, (lo, hi) in phases.items():
        peaks[phase] = {}
        for c in np.unique(cue[lo:hi]):
            trials = np.arange(lo, hi)[cue[lo:hi] == c]
            time_ms, amplitude = peak(prediction[trials].mean(axis=0))
            peaks[phase][int(c)] = {"latency_ms": float(latency_ms[trials[-1]]), "probability": float(probability[trials[-1]]),
                                    "peak_ms": time_ms, "amplitude": amplitude}
        by_probability = sorted(peaks[phase].values(), key=lambda entry: entry["probability"])
        if len(by_probability) > 1 and by_probability[0]["amplitude"] > 0:
            ratios[phase] = by_probability[-1]["amplitude"] / by_probability[0]["amplitude"]
    summary = {"errors": errors, "peaks": peaks, "amplitude_ratio": ratios}
    if switch_trial:
        summary["pre_switch_error"] = float(errors[switch_trial - baseline_trials:switch_trial].mean())
        summary["trials_to_recover"] = trials_to_recover(errors, switch_trial, baseline_trials, running_trials)
    return summary
