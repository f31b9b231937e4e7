"""The units of work of a prediction protocol: each learner on each repeat.

Every (repeat, learner) unit writes ``readouts_<learner>_seed<seed>.npz`` (the readouts
[when, what...] of each trial's gate window, the final readout weights, the trials' cues,
latencies, probabilities and outcome identities) atomically as soon as it is done; the engine's checkpoint counts the
finished units, so ``--resume`` loses at most the unit in progress. At the end
``metrics.json`` gets, per learner, the numbers of
:func:`~bioplastic.experiments.prediction.summary.summarize`; then the plots are drawn.

Example
-------
>>> from bioplastic.experiments.prediction.summary import readouts_file
>>> readouts_file("force", 3)
'readouts_force_seed3.npz'
"""

from __future__ import annotations

import numpy as np

from bioplastic.experiments.prediction.build import PredictionExperiment, true_values
from bioplastic.experiments.prediction.plots import draw_prediction_plots
from bioplastic.experiments.prediction.summary import readouts_file, summarize
from bioplastic.experiments.prediction.trials import make_learner, readout_weights, run_trials
from bioplastic.runs import Work, write_npz

PROGRESS_EVERY = 10


class PredictionWork(Work):
    """A prediction protocol's run: units (repeat 0, learner 0), (repeat 0, learner 1), ...; progress in trials.

    Nothing is carried from one unit to the next; the non-finite watch looks at each
    unit's readouts and readout weights.

    Example
    -------
    >>> from types import SimpleNamespace
    >>> spec = SimpleNamespace(repeats=2, learners=["three_factor", "force"], trials=100)
    >>> work = PredictionWork(SimpleNamespace(protocol=SimpleNamespace(prediction=spec, seed=5)))
    >>> work.n_units, work.progress_at(3), work.unit_name(3)
    (4, 300, 'force on repeat 2 (seed 6)')
    """

    unit = "trials"

    def __init__(self, experiment: PredictionExperiment):
        self.experiment = experiment
        spec = experiment.protocol.prediction
        self.units = [(repeat, learner) for repeat in range(spec.repeats) for learner in spec.learners]
        self.n_units = len(self.units)
        self._repeat = (None, None)
        self._outputs = {}

    def progress_at(self, units_done: int) -> float:
        return units_done * self.experiment.protocol.prediction.trials

    def unit_name(self, index: int) -> str:
        repeat, learner = self.units[min(index, self.n_units - 1)]
        return f"{learner} on repeat {repeat + 1} (seed {self.experiment.protocol.seed + repeat})"

    def start(self):
        return {}

    def run_unit(self, index, state, run_dir, advance):
        e, spec = self.experiment, self.experiment.protocol.prediction
        index_of_repeat, name = self.units[index]
        if self._repeat[0] != index_of_repeat:
            self._repeat = (index_of_repeat, e.prepare_repeat(index_of_repeat))
        repeat = self._repeat[1]
        cue, latency, probability, identity = true_values(repeat.task)

        def on_block(done):
            if done % PROGRESS_EVERY == 0 or done == spec.trials:
                advance(done)

        learner_state, readouts = run_trials(repeat.reservoir, make_learner(e.settings[name]),
                                             e.initial_state(repeat, name), repeat.inputs, e.trial_steps,
                                             e.window_steps, spec.switch_trial if spec.task.switch else None, on_block)
        self._outputs = {"readouts": readouts.astype(np.float32), "weights": np.asarray(readout_weights(learner_state.learner))}
        write_npz(run_dir / readouts_file(name, e.protocol.seed + index_of_repeat),
                  {**self._outputs, "cue": cue, "latency_ms": latency, "probability": probability, "identity": identity})
        return state

    def watched(self, state):
        return self._outputs

    def nonfinite_message(self, index, before, path):
        learner = self.units[index][1]
        rates = "prediction.readout.force_alpha" if learner.startswith("force") else \
            "prediction.readout.when_learning_rate or what_learning_rate"
        return f"prediction: the {path.strip('[]')} of {self.unit_name(index)} became NaN or inf; lower {rates}"

    def finish(self, run_dir, state):
        metrics = summarize(run_dir, self.experiment.protocol)
        draw_prediction_plots(run_dir, self.experiment.protocol, metrics)
        return metrics
