"""Prediction protocols (a ``[prediction]`` table): "what" and "when" readouts of a reservoir on a cue-outcome task.

Example
-------
>>> KIND.table, KIND.plots
('prediction', ('prediction_traces', 'prediction_errors'))
"""

from bioplastic.experiments.kind import Kind
from bioplastic.experiments.prediction.build import PREDICTION_PLOTS, build_prediction
from bioplastic.experiments.prediction.run import PredictionWork
from bioplastic.experiments.prediction.schema import PredictionProtocol, PredictionSpec
from bioplastic.experiments.prediction.size import estimate_prediction


def _build(protocol, file, data_dir=None):
    return build_prediction(protocol, file)


def _summary(experiment) -> str:
    prediction = experiment.protocol.prediction
    reservoir = prediction.reservoir
    return (f"{', '.join(prediction.learners)} on {prediction.repeats} reservoir(s) of "
            f"{reservoir.n_exc + reservoir.n_inh} Izhikevich neurons, {prediction.trials} trials of "
            f"{prediction.task.trial_ms:g} ms")


KIND = Kind("prediction", PredictionProtocol, _build, estimate_prediction,
            PredictionWork, _summary, tuple(PREDICTION_PLOTS),
            "readouts of an Izhikevich reservoir trained on cue-outcome trials (three-factor, FORCE)",
            choices=(("prediction.learners", PredictionSpec, "learners"),))
