"""The metrics of a prediction run, read back from its readouts files.

Example
-------
>>> readouts_file("three_factor", 2)
'readouts_three_factor_seed2.npz'
"""

from __future__ import annotations

import pathlib

import numpy as np

from bioplastic.analysis.prediction import cosine, prediction_summary, trials_to_recover
from bioplastic.experiments.prediction.trials import WHAT, WHEN
from bioplastic.runs import read_npz


def readouts_file(learner: str, seed: int) -> str:
    """The run-folder file of one learner on one repeat's seed.

    Example
    -------
    >>> readouts_file("three_factor", 0)
    'readouts_three_factor_seed0.npz'
    """
    return f"readouts_{learner}_seed{seed}.npz"


def summarize(run_dir, protocol) -> dict:
    """Per learner: every repeat's summary and cosine, and the recovery of the repeat-averaged error.

    The headline numbers are flat keys ``<learner>_<measure>`` (means over repeats):
    ``peak_error_ms`` (the largest distance, over cues, between the peak of the mean
    prediction and the true latency, before the switch), ``amplitude_ratio`` (before the
    switch), ``cosine_what_when`` (with several outcome identities, the mean over their
    "what" readouts), ``pre_switch_error`` and ``trials_to_recover`` (both of the error
    averaged over repeats); ``details[learner]`` holds everything per repeat. A readouts
    file without ``identity`` (written before outcomes had identities) has one outcome.

    Example
    -------
    A readouts file written by hand for a perfect learner (``when`` = 1, ``what`` = the ideal
    prediction) on four trials of the default task (A: 300 ms, p = 0.25; B: 600 ms, p = 0.75),
    with "what" and "when" weight vectors at 45 degrees:

    >>> import tempfile
    >>> from bioplastic.analysis.prediction import ideal_prediction
    >>> from bioplastic.experiments.prediction.schema import PredictionProtocol
    >>> protocol = PredictionProtocol(name="p", prediction={"learners": ["force"], "trials": 4, "baseline_trials": 4})
    >>> cue = np.array([0, 1, 0, 1])
    >>> latency_ms, probability = np.where(cue == 0, 300.0, 600.0), np.where(cue == 0, 0.25, 0.75)
    >>> readouts = np.ones((4, 1000, 2))
    >>> readouts[..., WHAT] = ideal_prediction(latency_ms, probability, 1000, kernel_ms=50.0)
    >>> weights = np.zeros((2, 3))
    >>> weights[WHAT, :2], weights[WHEN, :2] = [1.0, 0.0], [1.0, 1.0]      # the last column (bias) is left out
    >>> run_dir = pathlib.Path(tempfile.mkdtemp())
    >>> from bioplastic.runs import write_npz
    >>> write_npz(run_dir / readouts_file("force", 0), {"readouts": readouts, "weights": weights, "cue": cue,
    ...                   "latency_ms": latency_ms, "probability": probability})
    >>> metrics = summarize(run_dir, protocol)
    >>> {name: round(value, 4) for name, value in metrics.items() if name != "details"}
    {'force_peak_error_ms': 0.0, 'force_amplitude_ratio': 3.0, 'force_cosine_what_when': 0.7071}
    >>> metrics["details"]["force"]["mean_errors"]
    [0.0, 0.0, 0.0, 0.0]
    """
    spec = protocol.prediction
    switch = spec.switch_trial if spec.task.switch else None
    phase = "before_switch" if switch else "end"
    metrics, details = {}, {}
    for name in spec.learners:
        per_seed, errors = {}, []
        for index in range(spec.repeats):
            seed = protocol.seed + index
            data = read_npz(pathlib.Path(run_dir) / readouts_file(name, seed))
            summary = prediction_summary(data["readouts"], data["cue"], data["latency_ms"], data["probability"],
                                         spec.readout.kernel_ms, switch, spec.baseline_trials, spec.running_trials,
                                         data.get("identity"))
            errors.append(summary.pop("errors"))
            weights = data["weights"]
            summary["cosine_what_when"] = float(np.mean([cosine(what[:-1], weights[WHEN, :-1])
                                                         for what in weights[WHAT:]]))
            per_seed[str(seed)] = summary
        mean_errors = np.mean(errors, axis=0)
        details[name] = {"seeds": per_seed, "mean_errors": mean_errors.tolist()}
        summaries = per_seed.values()
        metrics[f"{name}_peak_error_ms"] = float(np.mean([
            max(abs(entry["peak_ms"] - entry["latency_ms"]) for entry in summary["peaks"][phase].values())
            for summary in summaries]))
        ratios = [summary["amplitude_ratio"][phase] for summary in summaries if phase in summary["amplitude_ratio"]]
        metrics[f"{name}_amplitude_ratio"] = float(np.mean(ratios)) if ratios else None
        metrics[f"{name}_cosine_what_when"] = float(np.mean([summary["cosine_what_when"] for summary in summaries]))
        if switch:
            metrics[f"{name}_pre_switch_error"] = float(mean_errors[switch - spec.baseline_trials:switch].mean())
            metrics[f"{name}_trials_to_recover"] = trials_to_recover(mean_errors, switch, spec.baseline_trials,
                                                                     spec.running_trials)
            metrics[f"{name}_median_trials_to_recover"] = _median_recovery(
                [summary["trials_to_recover"] for summary in summaries])
    metrics["details"] = details
    return metrics


def _median_recovery(trials: list):
    """Median of per-repeat recoveries, ``None`` (never) ranking last; ``None`` if the median is never."""
    ranked = sorted(trials, key=lambda n: float("inf") if n is None else n)
    middle = ranked[(len(ranked) - 1) // 2], ranked[len(ranked) // 2]
    return None if None in middle else float(np.mean(middle))
