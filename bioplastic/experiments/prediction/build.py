"""Prediction protocols: cross-checks and the pieces of a what-and-when run.

A protocol with a ``[prediction]`` table trains the "what" and "when" readouts of an
Izhikevich reservoir (:mod:`bioplastic.experiments.prediction.trials`) on a cue-outcome task, once per
learner named in ``learners`` and per repeat. Within a repeat every learner sees the same
reservoir, the same background noise and the same trials. :func:`build_prediction` checks
what the schema cannot (one value per cue, a switch inside the run, a gate window that
fits the trial, whole blocks) before anything runs;
:meth:`PredictionExperiment.prepare_repeat` draws one repeat's reservoir and task.

Example
-------
>>> from bioplastic.experiments.prediction.build import learner_settings
>>> from bioplastic.experiments.prediction.schema import ReadoutSpec
>>> learner_settings(ReadoutSpec(), "force_reset").force_reset_at_switch
True
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic.data.synthetic import cue_outcome_task
from bioplastic.networks.reservoir import Reservoir, ReservoirConfig, build_reservoir
from bioplastic.protocol.checker import Checker, plots_of_kind
from bioplastic.protocol.components import PLOTS
from bioplastic.protocol.schema import MAX_SEED
from bioplastic._checks import check_whole_steps
from bioplastic.experiments.prediction.schema import PredictionProtocol, ReadoutSpec
from bioplastic.experiments.prediction.trials import RunState, TrialSignals, WhatWhenSettings, make_learner, trial_signals

PREDICTION_PLOTS = {       # plot type -> (what it needs, description), registered in the protocol's PLOTS
    "prediction_traces": ("prediction", "readouts aligned to cue onset, early and late (prediction protocols)"),
    "prediction_errors": ("prediction", "prediction error per trial across the switch, per learner (prediction protocols)"),
}
for _name, (_needs, _description) in PREDICTION_PLOTS.items():
    PLOTS.register(_name, _needs, _description)


def learner_settings(readout: ReadoutSpec, learner: str, dt_ms: float = 1.0) -> WhatWhenSettings:
    """The settings of one learner (``three_factor``, ``force`` or ``force_reset``) from ``[prediction.readout]``.

    ``force_reset`` is FORCE with its inverse correlation matrix reset at the switch;
    ``dt_ms`` is the reservoir's step (ms), the step the readouts learn at.

    Example
    -------
    >>> settings = learner_settings(ReadoutSpec(window_ms=800.0), "force")
    >>> settings.learner, settings.force_reset_at_switch, settings.window_ms
    ('force', False, 800.0)
    >>> learner_settings(ReadoutSpec(), "three_factor").learner
    'three_factor'
    """
    return WhatWhenSettings(learner="three_factor" if learner == "three_factor" else "force",
                            force_reset_at_switch=learner == "force_reset", dt_ms=dt_ms, **readout.model_dump())


@dataclasses.dataclass(frozen=True)
class Repeat:
    """One repeat: its seed, reservoir, task, per-step inputs, and the reservoir state every learner starts from.

    Made by :meth:`PredictionExperiment.prepare_repeat`; ``inputs`` hold the cue inputs
    and the gate and teaching signals of every 1-ms step of every trial.

    Example
    -------
    >>> from bioplastic.experiments.prediction.schema import PredictionProtocol
    >>> experiment = build_prediction(PredictionProtocol(name="tiny", prediction={
    ...     "trials": 4, "baseline_trials": 2, "running_trials": 1, "reservoir": {"n_exc": 8, "n_inh": 2}}), "tiny.toml")
    >>> repeat = experiment.prepare_repeat(1)
    >>> repeat.seed, repeat.inputs.cues.shape              # 4 trials of 1500 ms, 2 cues
    (1, (6000, 2))
    """

    seed: int
    reservoir: Reservoir
    task: object
    inputs: TrialSignals
    start: RunState


@dataclasses.dataclass(frozen=True)
class PredictionExperiment:
    """A checked prediction protocol: the reservoir's step ``dt_ms``, sizes in steps and each learner's settings.

    Example
    -------
    >>> from bioplastic.experiments.prediction.schema import PredictionProtocol
    >>> experiment = build_prediction(PredictionProtocol(name="tiny", prediction={
    ...     "trials": 4, "baseline_trials": 2, "running_trials": 1, "reservoir": {"n_exc": 8, "n_inh": 2}}), "tiny.toml")
    >>> experiment.dt_ms, experiment.trial_steps, experiment.window_steps     # trial_ms and readout.window_ms
    (1.0, 1500, 1000)
    >>> list(experiment.settings)                             # the default learners
    ['three_factor', 'force']
    """

    protocol: PredictionProtocol
    dt_ms: float
    trial_steps: int
    window_steps: int
    settings: dict

    def prepare_repeat(self, repeat: int) -> Repeat:
        """Draw repeat ``repeat``'s reservoir and task from seed ``protocol.seed + repeat``.

        Example
        -------
        >>> from bioplastic.experiments.prediction.schema import PredictionProtocol
        >>> experiment = build_prediction(PredictionProtocol(name="tiny", prediction={
        ...     "trials": 4, "baseline_trials": 2, "running_trials": 1, "reservoir": {"n_exc": 8, "n_inh": 2}}), "tiny.toml")
        >>> repeat = experiment.prepare_repeat(0)
        >>> repeat.seed, repeat.reservoir.config.size            # n_exc + n_inh neurons
        (0, 10)
        >>> len(true_values(repeat.task)[0])                     # one cue per trial
        4
        """
        spec = self.protocol.prediction
        seed = self.protocol.seed + repeat
        key_reservoir, key_task, key_state = jax.random.split(jax.random.PRNGKey(seed), 3)
        reservoir = build_reservoir(key_reservoir, ReservoirConfig(**spec.reservoir.model_dump()), len(spec.task.cues))
        task = _task(spec, key_task, self.dt_ms)
        inputs = trial_signals(task, self.trial_steps, next(iter(self.settings.values())))
        start = RunState(reservoir.init(key_state), None, jnp.zeros(reservoir.config.size, jnp.float32),
                         jnp.zeros((), jnp.int32))
        return Repeat(seed, reservoir, task, inputs, start)

    def initial_state(self, repeat: Repeat, learner: str) -> RunState:
        """The state learner ``learner`` starts repeat ``repeat`` from (same reservoir state for all).

        The learner sees the reservoir's neurons and a bias input.

        Example
        -------
        >>> from bioplastic.experiments.prediction.schema import PredictionProtocol
        >>> experiment = build_prediction(PredictionProtocol(name="tiny", prediction={
        ...     "trials": 4, "baseline_trials": 2, "running_trials": 1, "reservoir": {"n_exc": 8, "n_inh": 2}}), "tiny.toml")
        >>> repeat = experiment.prepare_repeat(0)
        >>> three_factor = experiment.initial_state(repeat, "three_factor")
        >>> force = experiment.initial_state(repeat, "force")
        >>> force.reservoir is three_factor.reservoir is repeat.start.reservoir
        True
        >>> three_factor.learner.weights.shape                   # [when, what] x (10 neurons + bias)
        (2, 11)

        One "what" readout per outcome identity:

        >>> swap = build_prediction(PredictionProtocol(name="tiny", prediction={
        ...     "trials": 4, "baseline_trials": 2, "running_trials": 1, "switch_trial": 2, "reservoir": {"n_exc": 8, "n_inh": 2},
        ...     "task": {"outcomes": ["X", "Y"], "switch": {"outcomes": ["Y", "X"]}}}), "tiny.toml")
        >>> swap.initial_state(swap.prepare_repeat(0), "three_factor").learner.weights.shape   # when, what X, what Y
        (3, 11)
        """
        state = make_learner(self.settings[learner]).init(repeat.reservoir.config.size + 1,
                                                          n_outcomes=len(repeat.task.outcome_names))
        return repeat.start._replace(learner=state)


def _task(spec, key, dt_ms: float):
    task = spec.task
    switch = None if task.switch is None else {name: value for name, value in task.switch.model_dump().items()
                                               if value is not None}
    return cue_outcome_task(key, spec.trials, dt_ms, cues=task.cues, latencies_ms=task.latencies_ms,
                            probabilities=task.probabilities, trial_ms=task.trial_ms, cue_ms=task.cue_ms,
                            switch_trial=spec.switch_trial if switch else None, switch=switch, outcomes=task.outcomes)


def build_prediction(protocol: PredictionProtocol, file: str) -> PredictionExperiment:
    """Cross-check a prediction protocol (every problem names its key) and return the experiment.

    Raises
    ------
    ProtocolError
        The first problem found, located by ``file`` and key path; the messages are those
        of ``tests/protocols/malformed/prediction_*.toml``.

    Example
    -------
    >>> from bioplastic.experiments.prediction.schema import PredictionProtocol
    >>> experiment = build_prediction(PredictionProtocol(name="p", prediction={"trials": 40}), "p.toml")
    >>> experiment.trial_steps, experiment.protocol.prediction.reservoir.n_exc        # 1-ms steps; defaults filled in
    (1500, 800)
    >>> build_prediction(PredictionProtocol(name="p", prediction={"trials": 4}), "p.toml")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: p.toml: prediction.baseline_trials: got 30; allowed: at most trials (4)
    >>> build_prediction(PredictionProtocol(name="p", prediction={"learners": ["force_reset"]}), "p.toml")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: p.toml: prediction.learners: got ['force_reset']; allowed: force_reset only with a [prediction.task.switch] to reset at
    """
    check = Checker(file)
    spec, path = protocol.prediction, "prediction"
    if protocol.seed + spec.repeats - 1 > MAX_SEED:
        check.fail(f"{path}.repeats", repr(spec.repeats), f"at most {MAX_SEED - protocol.seed + 1}: repeat k draws from "
                   f"seed + k, and seeds end at {MAX_SEED}")
    task = spec.task
    n_cues = len(task.cues)
    repeated = sorted({cue for cue in task.cues if task.cues.count(cue) > 1})
    if repeated:
        check.fail(f"{path}.task.cues", repr(task.cues), f"distinct names (repeated: {', '.join(map(repr, repeated))})")
    latencies = [(f"{path}.task.latencies_ms[{i}]", value) for i, value in enumerate(task.latencies_ms)]
    if task.switch is not None and task.switch.latencies_ms:
        latencies += [(f"{path}.task.switch.latencies_ms[{i}]", value) for i, value in enumerate(task.switch.latencies_ms)]
    for where, value in [(f"{path}.task.trial_ms", task.trial_ms), (f"{path}.task.cue_ms", task.cue_ms),
                         (f"{path}.readout.window_ms", spec.readout.window_ms), *latencies]:
        check.call(where, check_whole_steps, value, ReservoirConfig.dt_ms, where)
    for name in ("latencies_ms", "probabilities", "outcomes"):
        values = getattr(task, name)
        if values is not None and len(values) != n_cues:
            check.fail(f"{path}.task.{name}", repr(values), f"one value per cue ({n_cues}: {', '.join(task.cues)})")
        after = None if task.switch is None else getattr(task.switch, name)
        if after is not None and len(after) != n_cues:
            check.fail(f"{path}.task.switch.{name}", repr(after), f"one value per cue ({n_cues}: {', '.join(task.cues)})")
    if task.switch is not None and all(value is None for value in task.switch.model_dump().values()):
        check.fail(f"{path}.task.switch", "a switch with no new values", "latencies_ms, probabilities and/or outcomes")
    if task.switch is not None and task.switch.outcomes is not None and task.outcomes is None:
        check.fail(f"{path}.task.switch.outcomes", repr(task.switch.outcomes),
                   "new outcomes only when prediction.task.outcomes names each cue's outcome before the switch")
    if task.switch is not None and spec.switch_trial is None:
        check.fail(f"{path}.switch_trial", "none with a [prediction.task.switch]", "the trial the switch happens at")
    if task.switch is None and spec.switch_trial is not None:
        check.fail(f"{path}.switch_trial", repr(spec.switch_trial), "no switch_trial without a [prediction.task.switch] "
                   "(the values the task switches to)")
    for name in ("baseline_trials", "running_trials"):
        if getattr(spec, name) > spec.trials:
            check.fail(f"{path}.{name}", repr(getattr(spec, name)), f"at most trials ({spec.trials})")
    switch_trial = spec.switch_trial if task.switch is not None else None
    if switch_trial is not None and not spec.baseline_trials <= switch_trial <= spec.trials - spec.running_trials:
        check.fail(f"{path}.switch_trial", repr(switch_trial),
                   f"a trial in [baseline_trials, trials - running_trials] = [{spec.baseline_trials}, "
                   f"{spec.trials - spec.running_trials}] (the error before and after it must be measurable)")
    if "force_reset" in spec.learners and task.switch is None:
        check.fail(f"{path}.learners", repr(spec.learners), "force_reset only with a [prediction.task.switch] to reset at")
    if len(set(spec.learners)) != len(spec.learners):
        check.fail(f"{path}.learners", repr(spec.learners), "each learner once")
    readout = spec.readout
    block = readout.block_trials
    if spec.trials % block or (switch_trial is not None and switch_trial % block):
        of_switch = "" if switch_trial is None else f" and of switch_trial ({switch_trial})"
        check.fail(f"{path}.readout.block_trials", repr(block),
                   f"a divisor of trials ({spec.trials}){of_switch}: consolidation happens between whole blocks")
    if readout.window_ms > task.trial_ms:
        check.fail(f"{path}.readout.window_ms", repr(readout.window_ms), f"at most trial_ms ({task.trial_ms})")
    latest = max(task.latencies_ms + ([] if task.switch is None else task.switch.latencies_ms or []))
    if latest >= readout.window_ms:
        check.fail(f"{path}.readout.window_ms", repr(readout.window_ms),
                   f"a window that contains every outcome (latest latency: {latest} ms)")
    plots_of_kind(check, protocol.plots, PLOTS, PREDICTION_PLOTS, "prediction")
    dt_ms = check.call(f"{path}.reservoir", ReservoirConfig, **spec.reservoir.model_dump()).dt_ms
    check.call(f"{path}.task", _task, spec, jax.random.PRNGKey(0), dt_ms)
    settings = {learner: check.call(f"{path}.readout", learner_settings, readout, learner, dt_ms)
                for learner in spec.learners}
    return PredictionExperiment(protocol, dt_ms, int(round(task.trial_ms / dt_ms)), int(round(readout.window_ms / dt_ms)),
                                settings)


def true_values(task) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(cue, latency_ms, probability, identity)`` of every trial of a task, as numpy arrays.

    ``cue`` is the cue's index; ``latency_ms`` (ms), ``probability`` and ``identity`` (the
    index of the outcome in ``task.outcome_names``) are the values in force for that cue at
    that trial (after a switch, the switched ones).

    Example
    -------
    >>> from bioplastic.data.synthetic import cue_outcome_task
    >>> task = cue_outcome_task(jax.random.PRNGKey(0), 4, 1.0, cues=["A", "B"], latencies_ms=[300.0, 600.0],
    ...                         probabilities=[0.25, 0.75], trial_ms=1500.0, cue_ms=100.0)
    >>> cue, latency_ms, probability, identity = true_values(task)
    >>> cue.shape, np.array_equal(latency_ms, np.where(cue == 0, 300.0, 600.0))
    ((4,), True)
    >>> np.array_equal(probability, np.where(cue == 0, 0.25, 0.75)), identity.tolist()    # one outcome
    (True, [0, 0, 0, 0])
    """
    trials = task.trials
    return (np.asarray(trials.cue), np.asarray(trials.latency_ms), np.asarray(trials.probability),
            np.asarray(trials.identity))
