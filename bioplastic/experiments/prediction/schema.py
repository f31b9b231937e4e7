"""The schema of a prediction protocol (a ``[prediction]`` table): "what" and "when" readouts of an
Izhikevich reservoir trained on a cue-outcome task.

Example
-------
>>> PredictionSpec().learners
['three_factor', 'force']
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field

from bioplastic.experiments.prediction.trials import WhatWhenSettings
from bioplastic.protocol.schema import ExperimentProtocol, Strict



_READOUT = WhatWhenSettings()      # the readouts' defaults, written once, in their settings

Latency = Annotated[float, Field(gt=0)]               # ms after the cue
Probability = Annotated[float, Field(ge=0, le=1)]
OutcomeName = Annotated[str, Field(min_length=1)]


class CueTaskSwitchSpec(Strict):
    """New per-cue values from the switch trial on; a list left out keeps the values before the switch.

    A switch that names one list changes only that property of the task: ``outcomes``
    the identities (e.g. two cues swap their outcomes), ``latencies_ms`` the timing,
    ``probabilities`` how often the outcome comes; every trial's other values, and the
    random draws, stay those of the task without the switch.

    Example
    -------
    >>> switch = CueTaskSwitchSpec(probabilities=[0.75, 0.25])
    >>> switch.latencies_ms, switch.probabilities, switch.outcomes
    (None, [0.75, 0.25], None)
    """

    latencies_ms: Optional[list[Latency]] = Field(None, description="outcome latency of each cue after the switch (ms)")
    probabilities: Optional[list[Probability]] = Field(None, description="outcome probability of each cue after the switch")
    outcomes: Optional[list[OutcomeName]] = Field(None, description="outcome identity of each cue after the switch "
                                                  "(names; needs task.outcomes)")


class CueTaskSpec(Strict):
    """The cue-outcome task (bioplastic.data.synthetic.cue_outcome_task), at 1-ms steps.

    Each trial shows one cue for ``cue_ms`` (ms); its outcome follows ``latencies_ms`` after
    cue onset with the cue's probability. ``outcomes`` names the identity of each cue's
    outcome (cues may share one); left out, every cue leads to the same outcome. Each
    distinct outcome gets its own "what" readout. Every list has one value per cue
    (checked when the protocol is built).

    Example
    -------
    >>> task = CueTaskSpec()
    >>> dict(zip(task.cues, task.latencies_ms)), dict(zip(task.cues, task.probabilities))
    ({'A': 300.0, 'B': 600.0}, {'A': 0.25, 'B': 0.75})
    >>> round(60_000 / task.trial_ms), task.switch            # trials per minute
    (40, None)
    """

    cues: list[str] = Field(["A", "B"], min_length=1, description="cue names")
    latencies_ms: list[Latency] = Field([300.0, 600.0], description="outcome latency of each cue (ms)")
    probabilities: list[Probability] = Field([0.25, 0.75], description="outcome probability of each cue")
    outcomes: Optional[list[OutcomeName]] = Field(None, description="outcome identity of each cue (names); "
                                                  "default: one outcome shared by every cue")
    trial_ms: float = Field(1500.0, gt=0, description="trial length, cue onset to the next cue (ms)")
    cue_ms: float = Field(100.0, gt=0, description="how long the cue is on (ms)")
    switch: Optional[CueTaskSwitchSpec] = None


class ReservoirSpec(Strict):
    """The Izhikevich reservoir (bioplastic.networks.reservoir.ReservoirConfig).

    Currents are in Izhikevich's units (mV/ms); each neuron gets a tonic current drawn
    uniformly from ``[0.5, 1.5] * bias_current``.

    Example
    -------
    >>> reservoir = ReservoirSpec()
    >>> reservoir.n_exc + reservoir.n_inh, round(reservoir.connection_probability * (reservoir.n_exc + reservoir.n_inh))
    (1000, 100)
    >>> 0.5 * reservoir.bias_current, 1.5 * reservoir.bias_current     # tonic current range (mV/ms)
    (2.0, 6.0)
    >>> ReservoirSpec(connection_probability=0.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ReservoirSpec
    connection_probability
      Input should be greater than 0 [type=greater_than, input_value=0.0, input_type=float]
    ...
    """

    n_exc: int = Field(800, ge=1)
    n_inh: int = Field(200, ge=1)
    connection_probability: float = Field(0.1, gt=0, le=1)
    exc_charge: float = Field(12.0, ge=0, description="largest excitatory synaptic charge (mV/ms x ms)")
    inh_charge: float = Field(48.0, ge=0, description="largest inhibitory synaptic charge (mV/ms x ms)")
    synapse_tau_ms: float = Field(300.0, gt=0, description="decay of the recurrent synaptic current (ms)")
    bias_current: float = Field(4.0, ge=0, description="mean tonic current, uniform in [0.5, 1.5] x this (mV/ms)")
    noise_exc: float = Field(1.0, ge=0, description="background noise s.d. per step, excitatory neurons (mV/ms)")
    noise_inh: float = Field(1.0, ge=0, description="background noise s.d. per step, inhibitory neurons (mV/ms)")
    cue_fraction: float = Field(0.5, gt=0, le=1, description="fraction of neurons each cue drives")
    cue_current: float = Field(30.0, ge=0, description="current a cue injects while on (mV/ms)")
    readout_tau_ms: float = Field(50.0, gt=0, description="filter of the spike trains the readouts see (ms)")
    max_events: int = Field(128, ge=1, description="spike buffer of the event-driven propagation")


class ReadoutSpec(Strict):
    """How the "what" and "when" readouts learn (bioplastic.experiments.prediction.trials.WhatWhenSettings).

    Times in ms; FORCE starts from ``P(0) = I / force_alpha``. With ``what_error_gain`` > 0
    the three-factor "what" consolidation is error-modulated: its rate is
    ``what_learning_rate * (1 + what_error_gain * S / what_error_reference)``, ``S`` the
    running mean (over ``what_error_trials`` trials) of each trial's mean ``|y - z_what|``.

    Example
    -------
    >>> readout = ReadoutSpec()
    >>> readout.window_ms, readout.kernel_ms, readout.block_trials, 1 / readout.force_alpha
    (1000.0, 50.0, 1, 0.001)
    >>> readout.what_learning_rate / readout.when_learning_rate       # offline 'what' learns 10x faster
    10.0
    """

    window_ms: float = Field(_READOUT.window_ms, gt=0, description="attention gate: open this long from each cue onset (ms)")
    kernel_ms: float = Field(_READOUT.kernel_ms, gt=0, description="width (s.d.) of the timing bump the 'when' readout learns (ms)")
    input_scale_hz: float = Field(_READOUT.input_scale_hz, gt=0, description="readout input tanh(rate / this)")
    baseline_tau_ms: float = Field(_READOUT.baseline_tau_ms, gt=0, description="running mean subtracted from each input (ms)")
    bias_input: float = Field(_READOUT.bias_input, gt=0, description="value of the constant (bias) input")
    tau_eligibility_ms: float = Field(_READOUT.tau_eligibility_ms, gt=0, description="eligibility trace time constant (ms)")
    when_learning_rate: float = Field(_READOUT.when_learning_rate, gt=0, description="online three-factor rate of the 'when' readout")
    what_learning_rate: float = Field(_READOUT.what_learning_rate, gt=0, description="offline consolidation rate of the 'what' readout")
    block_trials: int = Field(_READOUT.block_trials, ge=1, description="trials between two offline consolidations of 'what'")
    what_error_gain: float = Field(_READOUT.what_error_gain, ge=0, description="error-modulated consolidation: rate = "
                                   "what_learning_rate (1 + gain S / what_error_reference); 0: off")
    what_error_reference: float = Field(_READOUT.what_error_reference, gt=0, description="surprise S (recent mean "
                                        "|what error|, units of the outcome indicator) at which the rate is 1 + gain times")
    what_error_trials: float = Field(_READOUT.what_error_trials, gt=0, description="time constant of the running mean "
                                     "of the trials' mean |what error| (trials)")
    force_alpha: float = Field(_READOUT.force_alpha, gt=0, description="FORCE: P(0) = I / alpha")
    force_every: int = Field(_READOUT.force_every, ge=1, description="FORCE: an RLS update every this many gated steps")


class PredictionSpec(Strict):
    """Readouts of a reservoir learning to predict what and when, with several learners side by side.

    Example
    -------
    >>> spec = PredictionSpec()
    >>> spec.learners, spec.trials, spec.switch_trial, spec.repeats
    (['three_factor', 'force'], 300, None, 1)
    >>> spec.task.cues, spec.reservoir.n_exc, spec.readout.window_ms
    (['A', 'B'], 800, 1000.0)
    >>> PredictionSpec(learners=["forse"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for PredictionSpec
    learners.0
      Input should be 'three_factor', 'force' or 'force_reset' [type=literal_error, input_value='forse', input_type=str]
    ...
    """

    learners: list[Literal["three_factor", "force", "force_reset"]] = Field(
        ["three_factor", "force"], min_length=1,
        description="three_factor; force (RLS, P never reset); force_reset (P reset at the switch)")
    trials: int = Field(300, ge=1)
    switch_trial: Optional[int] = Field(None, ge=1, description="first trial with the task's switch values")
    repeats: int = Field(1, ge=1, description="independent reservoirs and task draws (seeds seed, seed + 1, ...)")
    baseline_trials: int = Field(30, ge=1, description="trials before the switch that set the pre-switch error")
    running_trials: int = Field(10, ge=1, description="running mean of the error after the switch")
    task: CueTaskSpec = Field(default_factory=CueTaskSpec)
    reservoir: ReservoirSpec = Field(default_factory=ReservoirSpec)
    readout: ReadoutSpec = Field(default_factory=ReadoutSpec)


class PredictionProtocol(ExperimentProtocol):
    """A what-and-when prediction experiment (chosen by a [prediction] table).

    Example
    -------
    >>> protocol = PredictionProtocol.model_validate({"name": "cues", "prediction": {"trials": 100, "switch_trial": 50}})
    >>> protocol.prediction.trials, protocol.prediction.switch_trial, protocol.prediction.baseline_trials
    (100, 50, 30)
    """

    prediction: PredictionSpec
