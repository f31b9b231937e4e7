"""Running a prediction protocol: each learner on each repeat, saved as it finishes; metrics, plots.

Called by :func:`bioplastic.runner.run_protocol` for a protocol with a ``[prediction]``
table. Every (repeat, learner) run writes ``readouts_<learner>_seed<seed>.npz`` (the
readouts of each trial's gate window, the final readout weights, the trials' cues,
latencies and probabilities) atomically as soon as it is done, so ``--resume`` skips
finished runs and loses at most the run in progress. At the end ``metrics.json`` gets,
per learner, the numbers of :func:`~bioplastic.analysis.prediction.prediction_summary`
for every repeat, the recovery measured on the error curve averaged over repeats, and the
cosine between the "what" and "when" weight vectors; then the plots are drawn.

Example
-------
>>> from bioplastic.prediction_run import readouts_file
>>> readouts_file("force", 3)
'readouts_force_seed3.npz'
"""

from __future__ import annotations

import pathlib

import numpy as np

from bioplastic import results
from bioplastic.analysis.prediction import cosine, prediction_summary, trials_to_recover
from bioplastic.protocol.prediction import build_prediction, true_values
from bioplastic.rules.what_when import WHAT, WHEN, make_learner, readout_weights, run_trials

PROGRESS_EVERY = 10


def readouts_file(learner: str, seed: int) -> str:
    """The run-folder file of one learner on one repeat's seed.

    Example
    -------
    >>> readouts_file("three_factor", 0)
    'readouts_three_factor_seed0.npz'
    """
    return f"readouts_{learner}_seed{seed}.npz"


def run_prediction(path, protocol, resolved, out_dir, resume, progress, on_chunk, command) -> pathlib.Path:
    """Run every learner on every repeat (skipping those a resumed folder has); metrics and plots.

    Called by :func:`bioplastic.runner.run_protocol` (which loads the protocol) with its
    arguments.

    Parameters
    ----------
    path : str or pathlib.Path
        The protocol file (named in error messages and in the manifest).
    protocol : PredictionProtocol
        The validated protocol, as from :func:`~bioplastic.protocol.load.load_protocol`.
    resolved : dict
        The resolved protocol table (written to ``protocol.toml``; a resume must match it).
    out_dir : str or pathlib.Path
        Where a new run folder is created (ignored with ``resume``).
    resume : str or pathlib.Path or None
        A stopped run's folder to continue, skipping the (repeat, learner) runs whose files it has; None: a new one.
    progress : bool
        Show a progress line on standard error (trials).
    on_chunk : callable or None
        Called after each (repeat, learner) run with the number finished so far (resumed ones included).
    command : list of str or None
        The command line, for the manifest.

    Returns
    -------
    pathlib.Path
        The run folder.

    Example
    -------
    FORCE on a 10-neuron reservoir for four 1.5-s trials:

    >>> import tempfile
    >>> from bioplastic.protocol.load import load_protocol
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.toml"
    >>> _ = path.write_text('''
    ... name = "tiny"
    ... [prediction]
    ... learners = ["force"]
    ... trials = 4
    ... baseline_trials = 2
    ... running_trials = 1
    ... [prediction.reservoir]
    ... n_exc = 8
    ... n_inh = 2
    ... ''')
    >>> protocol, resolved = load_protocol(path)
    >>> done = []
    >>> run_dir = run_prediction(path, protocol, resolved, path.parent / "runs", None, False, done.append, None)
    >>> sorted(p.name for p in run_dir.iterdir())
    ['manifest.json', 'metrics.json', 'protocol.toml', 'readouts_force_seed0.npz']
    >>> results.read_npz(run_dir / readouts_file("force", 0))["readouts"].shape  # trials x 1000-ms window x [when, what]
    (4, 1000, 2)
    >>> done                                                 # on_chunk: (repeat, learner) runs finished
    [1]
    """
    from bioplastic.runner import _Progress, open_run_folder

    experiment = build_prediction(protocol, str(path))
    spec = protocol.prediction
    run_dir, manifest = open_run_folder(path, protocol, resolved, out_dir, resume, command)
    total = spec.repeats * len(spec.learners) * spec.trials
    shown = _Progress(protocol.name, total, 1, "trials", enabled=progress)
    finished = 0
    for index in range(spec.repeats):
        seed = protocol.seed + index
        pending = [name for name in spec.learners if not (run_dir / readouts_file(name, seed)).exists()]
        finished += (len(spec.learners) - len(pending)) * spec.trials
        if not pending:
            continue
        repeat = experiment.prepare_repeat(index)
        cue, latency, probability = true_values(repeat.task)
        for name in pending:
            learner = make_learner(experiment.settings[name])
            offset = finished

            def on_block(done, offset=offset):
                if done % PROGRESS_EVERY == 0 or done == spec.trials:
                    shown.update(offset + done)

            state, readouts = run_trials(repeat.reservoir, learner, experiment.initial_state(repeat, name),
                                         repeat.inputs, experiment.trial_steps, experiment.window_steps,
                                         spec.switch_trial if spec.task.switch else None, on_block)
            results.write_npz(run_dir / readouts_file(name, seed), {
                "readouts": readouts.astype(np.float32), "weights": np.asarray(readout_weights(state.learner)),
                "cue": cue, "latency_ms": latency, "probability": probability})
            finished += spec.trials
            if on_chunk is not None:
                on_chunk(finished // spec.trials)
    shown.close()
    metrics = summarize(run_dir, protocol)
    results.write_json(run_dir / "metrics.json", metrics)
    from bioplastic.protocol.plots import draw_prediction_plots

    draw_prediction_plots(run_dir, protocol, metrics)
    results.write_json(run_dir / "manifest.json", dict(manifest, finished=results.now(), status="completed"))
    return run_dir


def summarize(run_dir, protocol) -> dict:
    """Per learner: every repeat's summary and cosine, and the recovery of the repeat-averaged error.

    The headline numbers are flat keys ``<learner>_<measure>`` (means over repeats):
    ``peak_error_ms`` (the largest distance, over cues, between the peak of the mean
    prediction and the true latency, before the switch), ``amplitude_ratio`` (before the
    switch), ``cosine_what_when``, ``pre_switch_error`` and ``trials_to_recover`` (both of
    the error averaged over repeats); ``details[learner]`` holds everything per repeat.

    Example
    -------
    A readouts file written by hand for a perfect learner (``when`` = 1, ``what`` = the ideal
    prediction) on four trials of the default task (A: 300 ms, p = 0.25; B: 600 ms, p = 0.75),
    with "what" and "when" weight vectors at 45 degrees:

    >>> import tempfile
    >>> from bioplastic.analysis.prediction import ideal_prediction
    >>> from bioplastic.protocol.schema import PredictionProtocol
    >>> protocol = PredictionProtocol(name="p", prediction={"learners": ["force"], "trials": 4, "baseline_trials": 4})
    >>> cue = np.array([0, 1, 0, 1])
    >>> latency_ms, probability = np.where(cue == 0, 300.0, 600.0), np.where(cue == 0, 0.25, 0.75)
    >>> readouts = np.ones((4, 1000, 2))
    >>> readouts[..., WHAT] = ideal_prediction(latency_ms, probability, 1000, kernel_ms=50.0)
    >>> weights = np.zeros((2, 3))
    >>> weights[WHAT, :2], weights[WHEN, :2] = [1.0, 0.0], [1.0, 1.0]      # the last column (bias) is left out
    >>> run_dir = pathlib.Path(tempfile.mkdtemp())
    >>> results.write_npz(run_dir / readouts_file("force", 0), {"readouts": readouts, "weights": weights, "cue": cue,
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
            data = results.read_npz(pathlib.Path(run_dir) / readouts_file(name, seed))
            summary = prediction_summary(data["readouts"], data["cue"], data["latency_ms"], data["probability"],
                                         spec.readout.kernel_ms, switch, spec.baseline_trials, spec.running_trials)
            errors.append(summary.pop("errors"))
            weights = data["weights"]
            summary["cosine_what_when"] = cosine(weights[WHAT, :-1], weights[WHEN, :-1])
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
