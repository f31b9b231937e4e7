"""Every axis of the shipped protocol figures says its unit, or is one of a few named unitless axes.

The figures of the simulation, continual, prediction and theta kinds and the distal-reward
panels are drawn on small inputs (nothing is simulated; the kinds' ``save_figure`` is replaced
by a collector, so no file is written); every non-empty axis label of every Axes, colour bars
included, must end in a parenthesised unit or description, ``time (ms)``, ``accuracy
(fraction)``, ``CKA (unitless)``, or be in :data:`UNITLESS`.
"""

import pathlib
import re

import numpy as np
import pytest

from bioplastic import runs
from bioplastic.experiments import validate_protocol
from bioplastic.experiments.continual import plots as continual_plots
from bioplastic.experiments.continual.schema import ContinualProtocol
from bioplastic.experiments.prediction import plots as prediction_plots
from bioplastic.experiments.prediction.schema import PredictionProtocol
from bioplastic.experiments.prediction.summary import readouts_file
from bioplastic.experiments.simulation.plots import PLOTTERS
from bioplastic.experiments.theta import plots as theta_plots
from bioplastic.experiments.theta.build import build_theta
from bioplastic.experiments.theta.schema import ThetaProtocol
from bioplastic.plotting.distal_reward import distal_reward_panels

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: Axis labels allowed without a unit: none yet -- every axis of these figures states one.
UNITLESS: frozenset = frozenset()

_UNIT = re.compile(r"\([^()]+\)\s*$")


def labels_without_units(figures) -> list:
    """``(figure index, axis, label)`` of every non-empty axis label with no unit in parentheses."""
    bad = []
    for index, fig in enumerate(figures):
        for ax in fig.axes:
            for axis, label in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())):
                if label and not _UNIT.search(label) and label not in UNITLESS:
                    bad.append((index, axis, label))
    return bad


def test_the_check_catches_a_label_without_a_unit():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("weight")
    assert labels_without_units([fig]) == [(0, "y", "weight")]


@pytest.fixture
def collected(monkeypatch):
    """The figures the kinds' plot functions would save, in order."""
    figures = []

    def collect(fig, path, **options):
        figures.append(fig)
        return pathlib.Path(path)

    for module in (continual_plots, prediction_plots, theta_plots):
        monkeypatch.setattr(module, "save_figure", collect)
    return figures


def test_simulation_plots_state_their_units():
    experiment = validate_protocol(ROOT / "protocols" / "quickstart.toml", [
        "model.populations.exc.size=400", "model.populations.inh.size=100",
        "recordings.exc_v.population=exc", "recordings.exc_v.variable=v", "recordings.exc_v.neurons=[0, 1]",
        "plots.isi.type=isi_histogram", "plots.isi.recording=exc_spikes",
        "plots.weights.type=weight_matrix", "plots.weights.projection=exc_to_exc",
        "plots.voltage.type=traces", "plots.voltage.recording=exc_v"])
    spikes = np.zeros((50, 200), bool)
    spikes[::10, :5] = True
    recordings = {"exc_spikes": spikes, "inh_spikes": np.zeros((50, 100), bool), "exc_v": np.full((50, 2), -65.0)}
    steps = {name: 0.1 for name in recordings}
    figures = [PLOTTERS[spec.type](name, spec, experiment, recordings, steps, experiment.state)
               for name, spec in experiment.protocol.plots.items()]
    assert labels_without_units(figures) == []
    weights = figures[list(experiment.protocol.plots).index("weights")]
    assert weights.axes[-1].get_ylabel() == "weight (g / g_leak)"         # coba: conductance synapses
    assert weights.axes[0].get_title() == "Exc to exc, weights"
    assert figures[-1].get_suptitle() == "Voltage"


def test_continual_plots_state_their_units(collected):
    protocol = ContinualProtocol(name="c", continual={"dataset": "mnist", "sizes": [784, 10], "learning_rate": 0.1,
                                                      "method": "hlop"},
                                 plots={"accuracy_matrix": {"type": "accuracy_matrix"},
                                        "task_accuracy": {"type": "task_accuracy"}})
    continual_plots.draw_continual_plots(pathlib.Path("unused"), protocol, np.array([[0.95, np.nan], [0.80, 0.94]]))
    assert labels_without_units(collected) == []
    assert [fig.axes[0].get_title() for fig in collected] == ["Accuracy matrix (HLOP)", "Task accuracy (HLOP)"]
    assert collected[0].axes[1].get_ylabel() == "test accuracy (%)"      # the colour bar


def test_prediction_plots_state_their_units(collected, tmp_path):
    protocol = PredictionProtocol(name="p", plots={"prediction_errors": {"type": "prediction_errors"},
                                                   "prediction_traces": {"type": "prediction_traces"}},
                                  prediction={"learners": ["three_factor"], "trials": 4, "baseline_trials": 2,
                                              "running_trials": 2})
    n_cues = len(protocol.prediction.task.cues)
    runs.write_npz(tmp_path / readouts_file("three_factor", protocol.seed),
                   {"readouts": np.full((4, 20, 2), 0.5), "cue": np.arange(4) % n_cues,
                    "latency_ms": np.full(4, 10.0)})
    metrics = {"details": {"three_factor": {"mean_errors": [0.4] * 4}}}
    prediction_plots.draw_prediction_plots(tmp_path, protocol, metrics)
    assert labels_without_units(collected) == []
    assert [fig.get_suptitle() for fig in collected] == ["Prediction errors", "Prediction traces"]
    assert collected[1].axes[0].get_title() == "Three-factor, first trials"


def test_theta_plots_state_their_units(collected, tmp_path):
    experiment = build_theta(ThetaProtocol(name="latents", theta={
        "latents": {"n_features": 2}, "layers": {"ec": {"size": 2}},
        "connections": {"c": {"pre": "features", "post": "ec"}}},
        plots={"theta_losses": {"type": "theta_losses"}, "theta_autocorrelation": {"type": "theta_autocorrelation"},
               "theta_decoding": {"type": "theta_decoding"},
               "theta_path_integration": {"type": "theta_path_integration"}}), "l.toml")
    runs.write_npz(tmp_path / "train_seed0.npz", {"mismatch/ec": np.linspace(0.4, 0.1, 4800)})
    runs.write_npz(tmp_path / "test_seed0.npz", {
        "generated_autocorrelation": np.exp(-np.arange(41) / 8.0),
        "latent_autocorrelation": np.exp(-np.arange(41) / 16.0),
        "decoded_m": np.zeros(40), "true_m": np.zeros(40), "trained_errors": np.zeros((2, 40)),
        "untrained_errors": np.ones((2, 40))})
    theta_plots.draw_theta_plots(tmp_path, experiment, metrics={})
    assert labels_without_units(collected) == []
    assert [fig.get_suptitle() for fig in collected] == ["Theta losses", "Theta autocorrelation", "Theta decoding",
                                                          "Theta path integration"]
    assert [t.get_text() for t in collected[0].axes[0].get_legend().get_texts()] == ["EC"]


def test_distal_reward_panels_state_their_units():
    seconds = np.arange(1, 121)
    history = {"time_s": seconds, "chosen_weight": seconds / 30.0, "chosen_rank": np.maximum(1, 500 - 4 * seconds),
               "percentiles": np.tile([0.1, 0.5, 1.0, 1.5, 2.0], (120, 1)), "exc_rate_hz": np.ones(120),
               "inh_rate_hz": np.full(120, 4.0), "earned_ms": np.array([5000, 70000]), "released_ms": np.array([7000])}
    assert labels_without_units([distal_reward_panels(history, np.linspace(0.0, 4.0, 100), w_max=4.0)]) == []
