"""The size of a prediction protocol before it is built: reservoir, per-step task inputs, readouts; its steps.

Example
-------
>>> from bioplastic.experiments.prediction.schema import PredictionProtocol
>>> protocol = PredictionProtocol.model_validate({"name": "p", "prediction": {"trials": 20, "repeats": 2,
...                                                         "learners": ["three_factor", "force"]}})
>>> estimate = estimate_prediction(protocol)
>>> estimate.steps                 # 2 repeats x 2 learners x 20 trials x 1500 steps of 1 ms
120000
"""

from __future__ import annotations

from bioplastic.data.synthetic import outcome_names
from bioplastic.experiments.prediction.schema import PredictionProtocol
from bioplastic.experiments.size import BYTES_PER_DRAWN_SYNAPSE, BYTES_PER_NEURON, FLOAT32, Estimate
from bioplastic.networks.reservoir import ReservoirConfig



def estimate_prediction(protocol: PredictionProtocol) -> Estimate:
    """Memory per key path and time steps of a prediction protocol.

    Parameters
    ----------
    protocol : PredictionProtocol
        A validated prediction protocol (not yet cross-checked).

    Returns
    -------
    Estimate
        Parts: the reservoir (``prediction.reservoir.n_exc``), the task's per-step inputs and the
        readouts kept per trial (``prediction.trials``); steps: repeats x learners x trials x
        steps per trial.
    """
    spec = protocol.prediction
    reservoir = spec.reservoir
    neurons = reservoir.n_exc + reservoir.n_inh
    trial_steps = int(round(spec.task.trial_ms / ReservoirConfig.dt_ms))
    window_steps = int(round(spec.readout.window_ms / ReservoirConfig.dt_ms))
    switched = None if spec.task.switch is None else spec.task.switch.outcomes
    readouts = 1 + len(outcome_names(spec.task.outcomes, switched))       # 'when' and one 'what' per outcome
    per_trial = trial_steps * (len(spec.task.cues) + readouts) + 2 * window_steps * readouts * len(spec.learners)
    memory = {
        "prediction.reservoir.n_exc": neurons * BYTES_PER_NEURON
        + int(reservoir.connection_probability * neurons**2 * BYTES_PER_DRAWN_SYNAPSE),
        "prediction.trials": spec.trials * per_trial * FLOAT32,
    }
    steps = spec.repeats * len(spec.learners) * spec.trials * trial_steps
    return Estimate(memory, steps, "prediction.trials", "time steps")
