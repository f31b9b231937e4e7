"""The figures of a prediction protocol."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bioplastic.analysis.prediction import own_outcome
from bioplastic.experiments.prediction.summary import readouts_file
from bioplastic.plotting import save_figure
from bioplastic.plotting.names import readable_name
from bioplastic.plotting.prediction import aligned_predictions, switch_errors
from bioplastic.plotting.style import bioplastic_style
from bioplastic.runs.folder import read_npz


def draw_prediction_plots(run_dir, protocol, metrics: dict) -> list:
    """Draw the plots of a prediction protocol from the run folder's readouts (first repeat).

    ``prediction_traces``: the mean prediction per cue (of the cue's own outcome) in the
    first trials, before the switch and at the end, one panel per learner; ``prediction_errors``: each learner's
    error per trial, averaged over repeats (``metrics``, from
:func:`bioplastic.experiments.prediction.summary.summarize`), across the switch.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder: ``prediction_traces`` reads ``readouts_<learner>_seed<protocol.seed>.npz`` from it, and
        each plot goes to ``run_dir/NAME.png``.
    protocol : PredictionProtocol
        The prediction protocol (learners, trials, switch, cues).
    metrics : dict
        The run's metrics; ``metrics["details"][learner]["mean_errors"]`` is each learner's error per trial.

    Returns
    -------
    list of pathlib.Path
        The written paths.

    Example
    -------
    ``prediction_errors`` needs only the metrics (``prediction_traces`` also reads the
    first repeat's ``readouts_<learner>_seed<seed>.npz``):

    >>> import pathlib, tempfile
    >>> from bioplastic.experiments.prediction.schema import PredictionProtocol
    >>> protocol = PredictionProtocol(name="p", plots={"errors": {"type": "prediction_errors"}},
    ...                               prediction={"learners": ["force"], "trials": 4, "baseline_trials": 2,
    ...                                           "running_trials": 2})
    >>> metrics = {"details": {"force": {"mean_errors": [0.5, 0.3, 0.2, 0.1]}}}
    >>> written = draw_prediction_plots(pathlib.Path(tempfile.mkdtemp()), protocol, metrics)
    >>> [path.name for path in written], written[0].read_bytes()[1:4]
    (['errors.png'], b'PNG')
    """

    spec = protocol.prediction
    switch = spec.switch_trial if spec.task.switch else None
    written = []
    with bioplastic_style():
        for name, plot in protocol.plots.items():
            if plot.type == "prediction_errors":
                fig = Figure(figsize=(6.4, 4.0), layout="constrained")
                switch_errors({learner: metrics["details"][learner]["mean_errors"] for learner in spec.learners}, switch,
                              spec.running_trials, ax=fig.add_subplot())
            else:
                phases = [("first trials", range(0, min(spec.baseline_trials, spec.trials)))]
                if switch:
                    phases.append(("before the switch", range(switch - spec.baseline_trials, switch)))
                phases.append(("last trials", range(spec.trials - spec.baseline_trials, spec.trials)))
                fig = Figure(figsize=(3.2 * len(phases), 2.6 * len(spec.learners)), layout="constrained")
                axes = fig.subplots(len(spec.learners), len(phases), sharex=True, sharey=True, squeeze=False)
                for row, learner in zip(axes, spec.learners):
                    data = read_npz(run_dir / readouts_file(learner, protocol.seed))
                    for ax, (label, trials) in zip(row, phases):
                        latencies = [data["latency_ms"][trials][data["cue"][trials] == c][0]
                                     if np.any(data["cue"][trials] == c) else np.nan for c in range(len(spec.task.cues))]
                        aligned_predictions(own_outcome(data["readouts"], data.get("identity")), data["cue"], trials,
                                            spec.task.cues, latencies, ax=ax)
                        ax.set_title(f"{readable_name(learner)}, {label}", fontsize="small")
            fig.suptitle(plot.title or readable_name(name))
            written.append(save_figure(fig, run_dir / f"{name}.png"))
    return written
