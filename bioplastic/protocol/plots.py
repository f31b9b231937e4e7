"""The figures a protocol asks for (``[plots.NAME]``), drawn from a run's arrays.

Each plot type of the registry maps to a :mod:`bioplastic.plotting` function; this
module only looks up the recorded arrays (and a projection's weights) and writes
``NAME.png`` into the run folder. It never simulates.

Example
-------
>>> from bioplastic.protocol.plots import PLOTTERS
>>> sorted(PLOTTERS)
['isi_histogram', 'population_rate', 'raster', 'traces', 'weight_matrix']
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bioplastic import results

from bioplastic.plotting import (
    isi_histogram,
    learning_curves,
    population_rate,
    save_figure,
    spike_raster,
    voltage_traces,
    weight_matrix,
)
from bioplastic.plotting.style import bioplastic_style

UNITS = {"v": "v (mV)", "u": "u", "rate": "rate", "refractory_steps": "refractory steps left"}


def _one_panel(draw):
    """A plotter drawing one Axes with ``draw(ax, spec, experiment, recordings, steps, state)``."""

    def plot(name, spec, experiment, recordings, steps, state) -> Figure:
        """A new one-Axes figure drawn by ``draw``, titled ``spec.title`` or ``name``.

        Parameters
        ----------
        name : str
            The plot's name (``[plots.NAME]``), the title when ``spec.title`` is empty.
        spec : plot spec
            The ``[plots.NAME]`` table.
        experiment : Experiment
            The built experiment (protocol, network, parameters).
        recordings : dict of str -> array
            Each recording's array, rows every ``stride`` steps.
        steps : dict of str -> float
            Each recording's time between rows (ms).
        state : dict
            The final network state.
        """
        fig = Figure(figsize=(6.4, 4.0), layout="constrained")
        ax = fig.add_subplot()
        draw(ax, spec, experiment, recordings, steps, state)
        ax.set_title(spec.title or name)
        return fig

    return plot


def _traces(name, spec, experiment, recordings, steps, state) -> Figure:
    names = spec.recordings or [spec.recording]
    fig = Figure(figsize=(6.4, 1.6 + 1.4 * len(names)), layout="constrained")
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    for ax, recording in zip(axes, names):
        variable = experiment.protocol.recordings[recording].variable
        voltage_traces(recordings[recording], steps[recording], ax=ax, ylabel=UNITS.get(variable, variable))
        ax.set_title(recording, fontsize="small")
    fig.suptitle(spec.title or name)
    return fig


PLOTTERS = {
    "raster": _one_panel(
        lambda ax, spec, e, r, steps, state: spike_raster(r[spec.recording], steps[spec.recording], ax=ax)
    ),
    "population_rate": _one_panel(
        lambda ax, spec, e, r, steps, state: population_rate(r[spec.recording], steps[spec.recording], ax=ax)
    ),
    "isi_histogram": _one_panel(
        lambda ax, spec, e, r, steps, state: isi_histogram(r[spec.recording], steps[spec.recording], ax=ax)
    ),
    "weight_matrix": _one_panel(
        lambda ax, spec, e, r, steps, state: weight_matrix(
            np.asarray(e.network.connectivity(e.params, state, spec.projection).to_dense()), ax=ax
        )
    ),
    "traces": _traces,
}


def draw_protocol_plots(run_dir, experiment, recordings: dict, state) -> list:
    """Draw every ``[plots.NAME]`` of the experiment's protocol into ``run_dir/NAME.png``.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder.
    experiment : Experiment
        The built experiment (from :func:`~bioplastic.protocol.build.build_experiment`).
    recordings : dict of str -> array (rows, *neurons)
        Each recording's array, rows every ``stride`` steps of ``experiment.dt`` (ms).
    state : dict
        The final network state (a weight matrix shows the learned weights).

    Returns
    -------
    list of pathlib.Path
        The written paths, in the order of the plots.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from bioplastic.runner import validate_protocol
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "p.toml").write_text('''
    ... name = "demo"
    ... [simulation]
    ... dt_ms = 0.1
    ... duration_ms = 1.0
    ... [model.populations.cells]
    ... neuron = "lif"
    ... size = 2
    ... [inputs.drive]
    ... target = "cells"
    ... type = "constant"
    ... current_mv = 30.0
    ... [recordings.spikes]
    ... population = "cells"
    ... variable = "spike"
    ... [plots.raster]
    ... type = "raster"
    ... recording = "spikes"
    ... ''')
    >>> experiment = validate_protocol(folder / "p.toml")
    >>> spikes = np.zeros((10, 2), bool)
    >>> spikes[[2, 7], [0, 1]] = True                         # 10 steps of 0.1 ms, 2 neurons
    >>> written = draw_protocol_plots(folder, experiment, {"spikes": spikes}, experiment.state)
    >>> [path.name for path in written], written[0].read_bytes()[1:4]
    (['raster.png'], b'PNG')
    """
    steps = {name: spec.stride * experiment.dt for name, spec in experiment.protocol.recordings.items()}
    written = []
    with bioplastic_style():
        for name, spec in experiment.protocol.plots.items():
            fig = PLOTTERS[spec.type](name, spec, experiment, recordings, steps, state)
            written.append(save_figure(fig, run_dir / f"{name}.png"))
    return written


def draw_learning_curves(run_dir, protocol, curves: dict) -> list:
    """Draw every ``learning_curve`` plot of a training protocol: the test score per epoch.

    The score is test accuracy for a classifier, test reconstruction error for an
    autoencoder; a validation loss, where there is one, is not drawn: a dotted vertical line
    marks its lowest epoch.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder; each plot goes to ``run_dir/NAME.png``.
    protocol : TrainingProtocol
        The training protocol; its rule names the curve.
    curves : dict of str -> sequence
        Per-epoch values: the first key starting ``test_`` (``test_accuracy`` or ``test_mse``) is the score, and
        ``validation_loss``, where given, marks its lowest epoch with a dotted line.

    Returns
    -------
    list of pathlib.Path
        The written paths.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from bioplastic.protocol.schema import TrainingProtocol
    >>> protocol = TrainingProtocol(name="t", plots={"curve": {"type": "learning_curve"}}, training={
    ...     "dataset": "mnist", "rule": "dual_propagation", "sizes": [784, 10], "learning_rate": 0.001, "epochs": 3})
    >>> run_dir = pathlib.Path(tempfile.mkdtemp())
    >>> written = draw_learning_curves(run_dir, protocol, {"test_accuracy": [0.8, 0.9, 0.92],
    ...                                                    "validation_loss": [0.3, 0.2, 0.25]})
    >>> [path.name for path in written], written[0].read_bytes()[1:4]
    (['curve.png'], b'PNG')
    """
    written = []
    score_name = next(name for name in curves if name.startswith("test_"))
    with bioplastic_style():
        for name, spec in protocol.plots.items():
            fig = Figure(figsize=(6.4, 4.0), layout="constrained")
            ax = fig.add_subplot()
            score = np.asarray(curves[score_name])
            epochs = np.arange(1, len(score) + 1)
            learning_curves({protocol.training.rule: (epochs, score)}, ax=ax, xlabel="epoch",
                            ylabel=score_name.replace("_", " "))
            if "validation_loss" in curves:
                ax.axvline(int(np.argmin(curves["validation_loss"])) + 1, color="0.6", linestyle=":",
                           label="lowest validation loss")
                ax.legend()
            ax.set_title(spec.title or name)
            written.append(save_figure(fig, run_dir / f"{name}.png"))
    return written


def draw_continual_plots(run_dir, protocol, accuracy) -> list:
    """Draw the plots of a continual protocol from its accuracy matrix ``A[i, j]``.

    ``accuracy_matrix``: A as a heat map, rows the training stage, columns the task tested;
    ``task_accuracy``: one line per task, its accuracy as later tasks are learned.
    Accuracies are fractions (shown in %); NaN (a task not yet learned) is left blank.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder; each plot goes to ``run_dir/NAME.png``.
    protocol : ContinualProtocol
        The continual protocol; its method is named in default titles.
    accuracy : array (n_tasks, n_tasks)
        ``A[i, j]``: test accuracy (fraction) on task ``j`` after training task ``i``; NaN where not measured.

    Returns
    -------
    list of pathlib.Path
        The written paths.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from bioplastic.protocol.schema import ContinualProtocol
    >>> protocol = ContinualProtocol(name="c", continual={"dataset": "mnist", "sizes": [784, 10], "learning_rate": 0.1},
    ...                              plots={"matrix": {"type": "accuracy_matrix"}, "tasks": {"type": "task_accuracy"}})
    >>> accuracy = np.array([[0.95, np.nan], [0.80, 0.94]])   # rows: after task 1, 2; columns: task tested
    >>> written = draw_continual_plots(pathlib.Path(tempfile.mkdtemp()), protocol, accuracy)
    >>> sorted(path.name for path in written)
    ['matrix.png', 'tasks.png']
    """
    accuracy = np.asarray(accuracy)
    n = len(accuracy)
    written = []
    with bioplastic_style():
        for name, spec in protocol.plots.items():
            fig = Figure(figsize=(5.6, 4.6) if spec.type == "accuracy_matrix" else (6.4, 4.0), layout="constrained")
            ax = fig.add_subplot()
            if spec.type == "accuracy_matrix":
                image = ax.imshow(accuracy * 100, vmin=0, vmax=100, cmap="viridis")
                for (i, j), value in np.ndenumerate(accuracy):
                    if np.isfinite(value):
                        ax.text(j, i, f"{value * 100:.0f}", ha="center", va="center", fontsize=7,
                                color="white" if value < 0.6 else "black")
                ax.set_xlabel("task tested")
                ax.set_ylabel("after training task")
                ax.set_xticks(range(n), [str(j + 1) for j in range(n)])
                ax.set_yticks(range(n), [str(i + 1) for i in range(n)])
                fig.colorbar(image, ax=ax, label="test accuracy (%)")
            else:
                for j in range(n):
                    seen = np.isfinite(accuracy[:, j])
                    ax.plot(np.arange(1, n + 1)[seen], accuracy[seen, j] * 100, marker="o", label=f"task {j + 1}")
                ax.set_xlabel("tasks learned")
                ax.set_ylabel("test accuracy (%)")
                if n <= 10:
                    ax.legend(fontsize="small", ncols=2)
            ax.set_title(spec.title or f"{name} ({protocol.continual.method})")
            written.append(save_figure(fig, run_dir / f"{name}.png"))
    return written


def draw_prediction_plots(run_dir, protocol, metrics: dict) -> list:
    """Draw the plots of a prediction protocol from the run folder's readouts (first repeat).

    ``prediction_traces``: the mean prediction per cue in the first trials, before the
    switch and at the end, one panel per learner; ``prediction_errors``: each learner's
    error per trial, averaged over repeats (``metrics``, from
:func:`bioplastic.prediction_run.summarize`), across the switch.

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
    >>> from bioplastic.protocol.schema import PredictionProtocol
    >>> protocol = PredictionProtocol(name="p", plots={"errors": {"type": "prediction_errors"}},
    ...                               prediction={"learners": ["force"], "trials": 4, "baseline_trials": 2,
    ...                                           "running_trials": 2})
    >>> metrics = {"details": {"force": {"mean_errors": [0.5, 0.3, 0.2, 0.1]}}}
    >>> written = draw_prediction_plots(pathlib.Path(tempfile.mkdtemp()), protocol, metrics)
    >>> [path.name for path in written], written[0].read_bytes()[1:4]
    (['errors.png'], b'PNG')
    """
    from bioplastic.plotting.prediction import aligned_predictions, switch_errors
    from bioplastic.prediction_run import readouts_file

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
                phases.append(("end", range(spec.trials - spec.baseline_trials, spec.trials)))
                fig = Figure(figsize=(3.2 * len(phases), 2.6 * len(spec.learners)), layout="constrained")
                axes = fig.subplots(len(spec.learners), len(phases), sharex=True, sharey=True, squeeze=False)
                for row, learner in zip(axes, spec.learners):
                    data = results.read_npz(run_dir / readouts_file(learner, protocol.seed))
                    for ax, (label, trials) in zip(row, phases):
                        latencies = [data["latency_ms"][trials][data["cue"][trials] == c][0]
                                     if np.any(data["cue"][trials] == c) else np.nan for c in range(len(spec.task.cues))]
                        aligned_predictions(data["readouts"], data["cue"], trials, spec.task.cues, latencies, ax=ax)
                        ax.set_title(f"{learner}, {label}", fontsize="small")
            fig.suptitle(plot.title or name)
            written.append(save_figure(fig, run_dir / f"{name}.png"))
    return written


def draw_theta_plots(run_dir, experiment, metrics: dict) -> list:
    """Draw the plots of a theta protocol from the run folder's stage files (first repeat).

    ``theta_losses``: each layer's mismatch smoothed over ``smoothing_s``;
    ``theta_autocorrelation``: generated activity and latents; ``theta_decoding``: one
    test episode; ``theta_ring_weights``: the recurrent weights sorted by place-field peak
    with their mean profile; ``theta_path_integration``: error curves of every model.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder: holds ``train_seed<seed>.npz`` and ``test_seed<seed>.npz`` (``transfer_seed<seed>.npz``
        where there is a transfer) of the first repeat; each plot goes to ``run_dir/NAME.png``.
    experiment : ThetaExperiment
        The built theta protocol (from :func:`~bioplastic.protocol.theta.build_theta`).
    metrics : dict
        The run's metrics; ``metrics["ring_correlation"]`` is shown in the title of ``theta_ring_weights``.

    Returns
    -------
    list of pathlib.Path
        The written paths.

    Example
    -------
    Stage files of a latents protocol written by hand (a loss falling over 2 minutes of
    25-ms steps; two autocorrelation curves):

    >>> import pathlib, tempfile
    >>> from bioplastic import results
    >>> from bioplastic.protocol.schema import ThetaProtocol
    >>> from bioplastic.protocol.theta import build_theta
    >>> experiment = build_theta(ThetaProtocol(name="latents", theta={
    ...     "latents": {"n_features": 2}, "layers": {"ec": {"size": 2}},
    ...     "connections": {"c": {"pre": "features", "post": "ec"}}},
    ...     plots={"losses": {"type": "theta_losses"}, "autocorrelation": {"type": "theta_autocorrelation"}}), "l.toml")
    >>> run_dir, lags = pathlib.Path(tempfile.mkdtemp()), np.arange(41)
    >>> results.write_npz(run_dir / "train_seed0.npz", {"mismatch/ec": np.linspace(0.4, 0.1, 4800)})
    >>> results.write_npz(run_dir / "test_seed0.npz", {"generated_autocorrelation": np.exp(-lags / 8.0),
    ...                                                "latent_autocorrelation": np.exp(-lags / 16.0)})
    >>> sorted(path.name for path in draw_theta_plots(run_dir, experiment, metrics={}))
    ['autocorrelation.png', 'losses.png']
    """
    from bioplastic.analysis.theta import smoothed_loss
    from bioplastic.plotting.theta import autocorrelations, decoded_path, error_curves, loss_curves, ring_weights
    from bioplastic.theta_run import sorted_recurrent, stage_file

    spec = experiment.spec
    seed = experiment.protocol.seed
    trained = results.read_npz(run_dir / stage_file("train", seed))
    tested = results.read_npz(run_dir / stage_file("test", seed))
    removal_s = spec.test.spin_up_s
    written = []
    with bioplastic_style():
        for name, plot in experiment.protocol.plots.items():
            fig = Figure(figsize=(6.4, 4.0), layout="constrained")
            if plot.type == "theta_losses":
                losses = {key.split("/", 1)[1]: smoothed_loss(values, spec.dt_ms, spec.smoothing_s)
                          for key, values in trained.items() if key.startswith("mismatch/")}
                loss_curves(losses, spec.dt_ms, ax=fig.add_subplot())
            elif plot.type == "theta_autocorrelation":
                autocorrelations(tested["generated_autocorrelation"], tested["latent_autocorrelation"], spec.dt_ms,
                                 ax=fig.add_subplot())
            elif plot.type == "theta_decoding":
                decoded_path(tested["decoded_m"], tested["true_m"], spec.dt_ms, removal_s, ax=fig.add_subplot())
            elif plot.type == "theta_ring_weights":
                fig = Figure(figsize=(9.6, 4.0), layout="constrained")
                matrix_ax, profile_ax = fig.subplots(1, 2)
                ring_weights(sorted_recurrent(experiment, trained), ax=matrix_ax, profile_ax=profile_ax,
                             title=f"{spec.test.recurrent} (ring correlation {metrics['ring_correlation']:.2f})")
            else:
                curves = {"trained": tested["trained_errors"], "untrained": tested["untrained_errors"]}
                transfer = run_dir / stage_file("transfer", seed)
                if transfer.exists():
                    curves["transferred"] = results.read_npz(transfer)["transferred_errors"]
                error_curves(curves, spec.dt_ms, removal_s, ax=fig.add_subplot())
            fig.suptitle(plot.title or name)
            written.append(save_figure(fig, run_dir / f"{name}.png"))
    return written
