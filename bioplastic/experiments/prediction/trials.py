"""Joint "what" and "when" predictions from a reservoir: three-factor readouts, or FORCE.

Yamada & Chao (2025) train linear readouts of a heterogeneous Izhikevich reservoir
(:mod:`bioplastic.networks.reservoir`) with an error-modulated, attention-gated
three-factor rule: "when" online during trials, "what" by offline consolidation
between blocks. Their Methods are not public in a form we could read; every choice
below is ours, and each is a parameter of :class:`WhatWhenSettings`.

The task (:func:`bioplastic.data.synthetic.cue_outcome_task`): each trial starts with a
cue; at the cue's latency an event occurs, and it is the outcome with the cue's
probability. Two linear readouts see the reservoir through saturating synapses:
``x_j = tanh(r_j / input_scale_hz) - b_j``, where ``r_j`` is neuron ``j``'s filtered rate
(Hz) and ``b_j`` the running mean of its ``tanh`` term (time constant ``baseline_tau_ms``),
plus a constant input ``bias_input``. The saturation keeps the synchronous burst at cue
onset from dominating the inputs' correlations, and the centring removes their common
mode; both speed up the local rules, which have no access to the inverse correlation that
FORCE uses (measured: without them the "what" readout had not separated the two cues
after 150 trials).

- **when**, ``z_when = w_when . x``, learns the event's timing: its teaching signal is a
  Gaussian bump of width ``kernel_ms`` centred on the trial's event time, on every trial
  (the time of the event is observed whether or not it is the outcome).
- **what**, ``z_what = w_what . x``, learns which outcome follows the cue: its teaching
  signal is 1 through the trial when the outcome was delivered, else 0, so it converges
  to the outcome's probability given the cue. A task whose outcomes have several
  identities (``outcomes``, one name per cue: :func:`~bioplastic.data.synthetic.cue_outcome_task`)
  gets one "what" readout per identity ``k``, ``z_what_k = w_what_k . x``, taught 1
  when outcome ``k`` was delivered: it converges to ``P(outcome k | cue)``. The
  "when" readout stays one: it learns the event's time whatever its identity. (We chose
  identities as separate "what" readouts because "what" is the identity of the outcome
  and "when" its time: an identity switch, e.g. two cues that swap their outcomes,
  then moves only the "what" targets and leaves every cue's latency and probability.)
- The **prediction** of outcome ``k`` is the product ``z_what_k(t) z_when(t)``: it
  peaks at the expected time, with an amplitude proportional to the probability.

Learning happens only while the **attention gate** is open: from each cue onset for
``window_ms`` (the trial; the gate is shut in the inter-trial interval).

``learner = "three_factor"`` (:mod:`bioplastic.rules.three_factor`): every readout
synapse keeps an eligibility trace ``e <- e exp(-dt / tau_e) + post x`` (``post`` = 1,
the gain of a linear readout unit), and

- "when" learns online, at every step: ``dw_when = when_learning_rate * gate * (y_when - z_when) * e``;
- "what" is consolidated offline: during a block its weights stay fixed while each
  synapse accumulates, over the gated steps of each trial, ``sum(e)`` and
  ``sum(z_what e)``; when the trial's outcome ``y`` is known these become the tag
  ``y sum(e) - sum(z_what e)`` (= ``sum((y - z_what) e)``). After every
  ``block_trials`` trials, ``w_what`` moves by ``what_learning_rate`` times the
  block's tags divided by its number of gated steps. The default block is one trial:
  consolidation in every inter-trial interval. Longer blocks average more trials per
  consolidation but adapt more slowly (measured on three reservoirs, swap of latencies and
  probabilities at trial 150: 1 trial per block, back to the pre-switch error after
  13-26 trials; 2 trials, 31-69; 5 trials, 84-142).
- **error-modulated consolidation** (``what_error_gain`` > 0; off by default): the
  consolidation rate grows with recent surprise,
  ``what_learning_rate * (1 + what_error_gain * S / what_error_reference)``, where ``S``
  is the running mean (time constant ``what_error_trials`` trials) of each trial's
  mean absolute "what" error ``|y - z_what|`` over its gated steps -- the
  associability of Pearce & Hall (1980). ``S`` and ``what_error_reference`` are in the
  units of the "what" target (an outcome indicator: dimensionless, 0 to 1); the gain
  is dimensionless. The paper calls the plasticity error-modulated; the form is ours
  (:func:`bioplastic.rules.three_factor.consolidated_readout`).

``learner = "force"`` (:mod:`bioplastic.rules.force`): both readouts learn online by
recursive least squares every ``force_every`` gated steps, from one shared ``P``, with
the same teaching signals (the trial's outcome is given to the "what" readout from cue
onset: FORCE is the supervised upper hand here). ``force_reset_at_switch`` resets ``P``
at the task's switch.

Example
-------
>>> import jax.numpy as jnp
>>> from bioplastic.experiments.prediction.trials import StepSignals, ThreeFactorReadouts, WhatWhenSettings
>>> learner = ThreeFactorReadouts(WhatWhenSettings(when_learning_rate=0.1, tau_eligibility_ms=1.0))
>>> state = learner.init(n_inputs=2)
>>> signals = StepSignals(gate=1.0, when_target=1.0, what_target=1.0, trial_end=False)
>>> state, z = learner.step(state, jnp.array([1.0, 1.0]), signals)
>>> [round(float(w), 4) for w in state.weights[0]]        # when: 0.1 * (1 - 0) * e
[0.1, 0.1]
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Literal, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, check_nonnegative, check_positive, check_size
from bioplastic.networks.reservoir import Reservoir, ReservoirState
from bioplastic.rules.force import ForceState, force, reset_inverse_correlation
from bioplastic.rules.three_factor import ConsolidationState, consolidated_readout, online_readout
from bioplastic.runs import RunError

WHEN, WHAT = 0, 1
LEARNERS = ("three_factor", "force")


@dataclasses.dataclass(frozen=True)
class WhatWhenSettings:
    """Readout learning constants (see the module docstring). Times in ms, rates in Hz.

    Example
    -------
    >>> WhatWhenSettings(learner="force").force_alpha
    1000.0
    """

    learner: Literal["three_factor", "force"] = "three_factor"
    window_ms: float = 1000.0
    kernel_ms: float = 50.0
    input_scale_hz: float = 10.0
    baseline_tau_ms: float = 10000.0
    bias_input: float = 3.0
    tau_eligibility_ms: float = 5.0
    when_learning_rate: float = 4e-4
    what_learning_rate: float = 4e-3
    block_trials: int = 1
    what_error_gain: float = 0.0
    what_error_reference: float = 1.0
    what_error_trials: float = 10.0
    force_alpha: float = 1000.0
    force_every: int = 2
    force_reset_at_switch: bool = False
    dt_ms: float = 1.0

    def __post_init__(self):
        if self.learner not in LEARNERS:
            raise BadInput("learner", f"{self.learner!r}", ', '.join(LEARNERS))
        for name in ("window_ms", "kernel_ms", "input_scale_hz", "tau_eligibility_ms", "when_learning_rate",
                     "what_learning_rate", "force_alpha", "baseline_tau_ms", "bias_input", "dt_ms",
                     "what_error_reference", "what_error_trials"):
            check_positive(getattr(self, name), name)
        check_nonnegative(self.what_error_gain, "what_error_gain")
        check_size(self.block_trials, "block_trials")
        check_size(self.force_every, "force_every")


class StepSignals(NamedTuple):
    """What the readouts are told at one step: ``gate`` (0/1), the teaching signals, ``trial_end``.

    ``what_target`` has one value per outcome identity (n_outcomes,), or is a scalar that
    every "what" readout shares.

    Example
    -------
    >>> StepSignals(gate=1.0, when_target=0.3, what_target=1.0, trial_end=False).when_target
    0.3
    """

    gate: jax.Array
    when_target: jax.Array
    what_target: jax.Array
    trial_end: jax.Array


class ThreeFactorState(NamedTuple):
    """Weights (1 + n_outcomes, n_in) [when, what...]; eligibility (1, n_in); the "what" tags of this trial and block.

    All readouts are linear units (postsynaptic factor 1), so every synapse from input
    ``j`` has the same trace: one row serves all.

    ``trial_eligibility`` (n_in,) and ``trial_weighted`` (n_outcomes, n_in) are this
    trial's gated sums ``sum(e)`` and ``sum(z_what e)``; ``block_tags`` (n_outcomes, n_in)
    the block's finished trials' tags; ``block_steps`` the block's number of gated steps;
    ``trial_error``, ``trial_steps`` and ``surprise`` the error modulation's
    (:class:`~bioplastic.rules.three_factor.ConsolidationState`; 0 when it is off).

    Example
    -------
    >>> state = ThreeFactorReadouts(WhatWhenSettings()).init(n_inputs=3)
    >>> state.weights.shape, state.eligibility.shape, state.block_tags.shape, float(state.block_steps)
    ((2, 3), (1, 3), (1, 3), 0.0)
    >>> ThreeFactorReadouts(WhatWhenSettings()).init(n_inputs=3, n_outcomes=2).weights.shape   # when, what X, what Y
    (3, 3)
    """

    weights: jax.Array
    eligibility: jax.Array
    trial_eligibility: jax.Array
    trial_weighted: jax.Array
    block_tags: jax.Array
    block_steps: jax.Array
    trial_error: jax.Array
    trial_steps: jax.Array
    surprise: jax.Array


@dataclasses.dataclass(frozen=True)
class ThreeFactorReadouts:
    """Online three-factor "when", offline-consolidated "what" (see the module docstring).

    Example
    -------
    >>> ThreeFactorReadouts(WhatWhenSettings()).init(n_inputs=3).weights.shape      # [when, what] x inputs
    (2, 3)
    """

    settings: WhatWhenSettings

    def init(self, n_inputs: int, n_outcomes: int = 1) -> ThreeFactorState:
        """Zero weights, traces and tags: one "when" readout and ``n_outcomes`` "what" readouts.

        Example
        -------
        >>> state = ThreeFactorReadouts(WhatWhenSettings()).init(n_inputs=2)
        >>> state.weights.tolist(), state.eligibility.tolist()
        ([[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0]])
        """
        weights = jnp.zeros((1 + check_size(n_outcomes, "n_outcomes"), n_inputs), jnp.float32)
        what = self._consolidation().init(weights[WHAT:])
        return ThreeFactorState(weights, jnp.zeros((1, n_inputs), jnp.float32), *what)

    def _consolidation(self):
        s = self.settings
        return consolidated_readout(s.what_learning_rate, s.what_error_gain, s.what_error_reference, s.what_error_trials)

    def step(self, state: ThreeFactorState, x: jax.Array, signals: StepSignals):
        """One step: readouts ``z`` (2,), eligibility, online "when" change, "what" tags.

        Parameters
        ----------
        state : ThreeFactorState
            Weights, eligibility and "what" tags before the step.
        x : array (n_in,)
            The readouts' input (dimensionless: centred ``tanh`` of the rates, plus the bias input).
        signals : StepSignals
            This step's gate (0/1), "when" and "what" teaching signals and ``trial_end`` flag.

        Returns
        -------
        tuple
            ``(state, z)``, with ``z`` (1 + n_outcomes,) [when, what...] ``= weights @ x`` computed before this
            step's change.

        Example
        -------
        The "what" weights never move during a block; a closed gate stops "when" too:

        >>> learner = ThreeFactorReadouts(WhatWhenSettings(when_learning_rate=0.1))
        >>> state = learner.init(n_inputs=2)._replace(weights=jnp.array([[1.0, 0.0], [0.0, 2.0]]))
        >>> shut = StepSignals(gate=0.0, when_target=5.0, what_target=1.0, trial_end=False)
        >>> new, z = learner.step(state, jnp.array([1.0, 1.0]), shut)
        >>> z.tolist(), bool(jnp.array_equal(new.weights, state.weights))
        ([1.0, 2.0], True)
        >>> new, z = learner.step(state, jnp.array([1.0, 1.0]), shut._replace(gate=1.0))
        >>> np.round(np.asarray(new.weights, float), 4).tolist()   # when: + 0.1 (5 - 1) e, e = [1, 1]; what unchanged
        [[1.4, 0.4], [0.0, 2.0]]
        """
        s = self.settings
        z = state.weights @ x
        when_change, eligibility = online_readout(s.tau_eligibility_ms, s.when_learning_rate, dt_ms=s.dt_ms).update(
            state.eligibility, state.weights[WHEN], pre=x, error=signals.when_target - z[WHEN], gate=signals.gate)
        _, what = self._consolidation().update(   # "what" does not change within a block
            _what_state(state), state.weights[WHAT:], trace=eligibility[0], output=z[WHAT:], target=signals.what_target,
            gate=signals.gate, trial_end=signals.trial_end, block_end=False)
        return ThreeFactorState(state.weights.at[WHEN].add(when_change), eligibility, *what), z

    def end_block(self, state: ThreeFactorState, switch_next: bool) -> ThreeFactorState:
        """Offline consolidation of "what": apply the block's tags, then clear them.

        ``w_what += rate * block_tags / block_steps``, ``rate = what_learning_rate`` (times
        ``1 + what_error_gain * surprise / what_error_reference`` when the consolidation
        is error-modulated); ``switch_next`` is ignored here (it matters to :class:`ForceReadouts`).

        Example
        -------
        One gated step with ``x = [1, 1]``, ``z_what = 0`` and outcome 1 at the trial's end
        leaves the tag ``1 * e - 0 = [1, 1]`` over 1 gated step:

        >>> learner = ThreeFactorReadouts(WhatWhenSettings(what_learning_rate=0.5))
        >>> last = StepSignals(gate=1.0, when_target=0.0, what_target=1.0, trial_end=True)
        >>> state, _ = learner.step(learner.init(n_inputs=2), jnp.array([1.0, 1.0]), last)
        >>> state.block_tags.tolist(), float(state.block_steps)
        ([[1.0, 1.0]], 1.0)
        >>> state = learner.end_block(state, switch_next=False)
        >>> state.weights[WHAT].tolist(), state.block_tags.tolist()
        ([0.5, 0.5], [[0.0, 0.0]])
        """
        change, what = self._consolidation().update(
            _what_state(state), state.weights[WHAT:], trace=jnp.zeros_like(state.trial_eligibility),
            output=jnp.zeros(state.weights.shape[0] - WHAT, jnp.float32), target=0.0, gate=0.0, trial_end=False,
            block_end=True)
        return ThreeFactorState(state.weights.at[WHAT:].add(change), state.eligibility, *what)


def _what_state(state: ThreeFactorState) -> ConsolidationState:
    return ConsolidationState(*state[2:])


class ForceReadoutState(NamedTuple):
    """The RLS state of both readouts and a step counter for ``force_every``.

    Example
    -------
    >>> int(ForceReadouts(WhatWhenSettings(learner="force")).init(n_inputs=3).gated_steps)
    0
    """

    weights: jax.Array
    force: ForceState
    gated_steps: jax.Array


@dataclasses.dataclass(frozen=True)
class ForceReadouts:
    """Both readouts trained online by recursive least squares (FORCE).

    Example
    -------
    >>> state = ForceReadouts(WhatWhenSettings(learner="force", force_alpha=2.0)).init(n_inputs=2)
    >>> state.force.inverse.diagonal().tolist()                                    # P(0) = I / alpha
    [0.5, 0.5]
    """

    settings: WhatWhenSettings

    def init(self, n_inputs: int, n_outcomes: int = 1) -> ForceReadoutState:
        """Zero weights (1 + n_outcomes, n_in) [when, what...], ``P = I / force_alpha``.

        Example
        -------
        >>> state = ForceReadouts(WhatWhenSettings(learner="force", force_alpha=4.0)).init(n_inputs=2)
        >>> state.weights.tolist(), state.force.inverse.tolist()
        ([[0.0, 0.0], [0.0, 0.0]], [[0.25, 0.0], [0.0, 0.25]])
        """
        weights = jnp.zeros((1 + check_size(n_outcomes, "n_outcomes"), n_inputs), jnp.float32)
        return ForceReadoutState(weights, force(self.settings.force_alpha).init(weights), jnp.zeros((), jnp.int32))

    def step(self, state: ForceReadoutState, x: jax.Array, signals: StepSignals):
        """One step: readouts ``z`` (2,) and, every ``force_every`` gated steps, an RLS update.

        Parameters
        ----------
        state : ForceReadoutState
            RLS state of both readouts and the count of gated steps so far.
        x : array (n_in,)
            The readouts' input (dimensionless).
        signals : StepSignals
            A gate > 0 counts the step; the update runs when the count before it is a multiple of ``force_every``,
            towards ``[when_target, what_target...]``. ``trial_end`` is unused.

        Returns
        -------
        tuple
            ``(state, z)``, with ``z`` (1 + n_outcomes,) [when, what...] computed before this step's update.

        Example
        -------
        With almost no regularisation the first gated step solves ``w x = target`` for both
        readouts; with ``force_every = 2`` the next gated step learns nothing:

        >>> learner = ForceReadouts(WhatWhenSettings(learner="force", force_alpha=1e-6, force_every=2))
        >>> signals = StepSignals(1.0, 4.0, 1.0, False)
        >>> state, z = learner.step(learner.init(n_inputs=1), jnp.array([2.0]), signals)
        >>> z.tolist(), [round(float(w), 4) for w in state.weights[:, 0]]
        ([0.0, 0.0], [2.0, 0.5])
        >>> later, _ = learner.step(state, jnp.array([2.0]), signals._replace(when_target=8.0))
        >>> int(later.gated_steps), bool(jnp.array_equal(later.weights, state.weights))
        (2, True)
        """
        z = state.weights @ x
        gated = jnp.asarray(signals.gate) > 0
        due = gated & (state.gated_steps % self.settings.force_every == 0)
        target = jnp.concatenate([jnp.reshape(signals.when_target, (1,)),
                                  jnp.broadcast_to(signals.what_target, z[WHAT:].shape)])
        rule = force(self.settings.force_alpha)

        def learn(learned):
            weights, rls = learned
            change, rls = rule.update(rls, weights, pre=x, target=target)
            return weights + change, rls

        weights, rls = jax.lax.cond(due, learn, lambda learned: learned, (state.weights, state.force))
        return ForceReadoutState(weights, rls, state.gated_steps + gated.astype(jnp.int32)), z

    def end_block(self, state: ForceReadoutState, switch_next: bool) -> ForceReadoutState:
        """Reset ``P`` before the first block after the switch when ``force_reset_at_switch``.

        Example
        -------
        >>> learner = ForceReadouts(WhatWhenSettings(learner="force", force_alpha=2.0, force_reset_at_switch=True))
        >>> signals = StepSignals(*map(jnp.asarray, (1.0, 1.0, 1.0, False)))
        >>> state, _ = learner.step(learner.init(n_inputs=1), jnp.array([1.0]), signals)
        >>> P = lambda s: round(float(s.force.inverse[0, 0]), 4)            # 1 / (alpha + x^2) after one update
        >>> P(state), P(learner.end_block(state, switch_next=False))
        (0.3333, 0.3333)
        >>> P(learner.end_block(state, switch_next=True))                   # back to 1 / alpha
        0.5
        """
        if switch_next and self.settings.force_reset_at_switch:
            return state._replace(force=reset_inverse_correlation(state.force))
        return state


def make_learner(settings: WhatWhenSettings):
    """The readout learner named by ``settings.learner``.

    Example
    -------
    >>> type(make_learner(WhatWhenSettings(learner="force"))).__name__
    'ForceReadouts'
    """
    return ThreeFactorReadouts(settings) if settings.learner == "three_factor" else ForceReadouts(settings)


def readout_weights(learner_state) -> jax.Array:
    """The (1 + n_outcomes, n_in) weights [when, what...] of either learner's state.

    Example
    -------
    >>> settings = WhatWhenSettings(learner="force")
    >>> readout_weights(make_learner(settings).init(n_inputs=4)).shape
    (2, 4)
    """
    return learner_state.weights


# ------------------------------------------------------------------------- teaching signals


class TrialSignals(NamedTuple):
    """Per-step cue inputs (n_steps, n_cues) and :class:`StepSignals` arrays (n_steps,).

    Example
    -------
    >>> from bioplastic.data.synthetic import cue_outcome_task
    >>> task = cue_outcome_task(jax.random.PRNGKey(0), 3, 1.0, trial_ms=20.0, cue_ms=2.0, latencies_ms=(5.0, 8.0))
    >>> inputs = trial_signals(task, 20, WhatWhenSettings(window_ms=10.0, kernel_ms=2.0))
    >>> inputs.cues.shape, inputs.signals.gate.shape, inputs.signals.trial_end.dtype
    ((60, 2), (60,), dtype('bool'))
    """

    cues: jax.Array
    signals: StepSignals


def trial_signals(task, trial_steps: int, settings: WhatWhenSettings) -> TrialSignals:
    """The per-step gate and teaching signals of a cue-outcome task (1-ms steps).

    The gate is open for the first ``window_ms`` of each trial; the "when" signal is the bump
    ``exp(-(t - t_event)^2 / (2 kernel_ms^2))``; the "what" signal of outcome ``k`` is 1
    through a trial whose outcome was delivered and is ``k``, else 0; ``trial_end`` marks
    each trial's last step.

    Parameters
    ----------
    task : CueOutcomeTask
        A :class:`~bioplastic.data.synthetic.CueOutcomeTask` made with ``dt_ms = 1``.
    trial_steps : int
        Trial length in steps (1 ms each); ``window_ms`` must fit in it.
    settings : WhatWhenSettings
        ``window_ms`` (ms) and ``kernel_ms`` (ms) are used.

    Returns
    -------
    TrialSignals
        ``task.cue_inputs`` (n_steps, n_cues) and :class:`StepSignals` arrays (n_trials * trial_steps,), but
        ``what_target`` (n_trials * trial_steps, n_outcomes).

    Example
    -------
    Trials of 20 ms, gate open for 10 ms; the first trial's event is 8 ms after its cue:

    >>> import numpy as np
    >>> from bioplastic.data.synthetic import cue_outcome_task
    >>> task = cue_outcome_task(jax.random.PRNGKey(0), 3, 1.0, trial_ms=20.0, cue_ms=2.0, latencies_ms=(5.0, 8.0))
    >>> signals = trial_signals(task, 20, WhatWhenSettings(window_ms=10.0, kernel_ms=2.0)).signals
    >>> signals.gate[:20].tolist() == [1.0] * 10 + [0.0] * 10
    True
    >>> int(task.trials.outcome_step[0]), int(jnp.argmax(signals.when_target[:20])), float(signals.when_target[8])
    (8, 8, 1.0)
    >>> round(float(signals.when_target[10]), 4), round(float(np.exp(-0.5)), 4)      # one kernel width away
    (0.6065, 0.6065)
    >>> np.flatnonzero(np.asarray(signals.trial_end)).tolist()
    [19, 39, 59]
    >>> trial_signals(task, 20, WhatWhenSettings(window_ms=30.0))
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: window_ms: got 30.0; allowed: at most the trial length (20.0 ms)
    """
    window = int(round(settings.window_ms / settings.dt_ms))
    if window > trial_steps:
        raise BadInput("window_ms", f"{settings.window_ms!r}", f"at most the trial length ({trial_steps * settings.dt_ms} ms)")
    n_trials = task.trials.cue.shape[0]
    within = jnp.arange(trial_steps, dtype=jnp.float32)
    event = (task.trials.outcome_step - task.trials.start_step).astype(jnp.float32)
    bump = jnp.exp(-0.5 * ((within[None, :] - event[:, None]) / (settings.kernel_ms / settings.dt_ms)) ** 2)
    gate = jnp.broadcast_to((within < window).astype(jnp.float32), (n_trials, trial_steps))
    n_outcomes = len(task.outcome_names)
    which = jax.nn.one_hot(task.trials.identity, n_outcomes, dtype=jnp.float32)            # (n_trials, n_outcomes)
    delivered = task.trials.rewarded.astype(jnp.float32)[:, None] * which
    delivered = jnp.broadcast_to(delivered[:, None, :], (n_trials, trial_steps, n_outcomes))
    last = jnp.broadcast_to(within == trial_steps - 1, (n_trials, trial_steps))
    signals = StepSignals(gate.ravel(), bump.ravel(), delivered.reshape(-1, n_outcomes), last.ravel())
    return TrialSignals(task.cue_inputs, signals)


# ------------------------------------------------------------------------- running blocks


class RunState(NamedTuple):
    """Reservoir and learner states, each neuron's baseline rate (Hz), the number of steps done.

    ``baseline`` is the running mean of each neuron's ``tanh(r / input_scale_hz)``
    (dimensionless, though it tracks the rate), with time constant ``baseline_tau_ms``.

    Example
    -------
    Under constant rates the baseline approaches ``tanh(r / input_scale_hz)`` as
    ``1 - exp(-t / baseline_tau_ms)``:

    >>> class ConstantRates:                    # a stand-in for a Reservoir: every neuron at 10 Hz
    ...     def step(self, state, cues, step_index):
    ...         return state, jnp.full(2, 10.0)
    >>> learner = ThreeFactorReadouts(WhatWhenSettings(baseline_tau_ms=1.0, input_scale_hz=10.0))
    >>> start = RunState(reservoir=None, learner=learner.init(n_inputs=3), baseline=jnp.zeros(2),
    ...                  steps_done=jnp.zeros((), jnp.int32))
    >>> off = StepSignals(jnp.zeros(3), jnp.zeros(3), jnp.zeros(3), jnp.zeros(3, bool))     # 3 steps, gate shut
    >>> state, _ = run_steps(ConstantRates(), learner, start, TrialSignals(jnp.zeros((3, 1)), off))
    >>> int(state.steps_done), round(float(state.baseline[0]), 4), round(float(jnp.tanh(1.0) * (1 - jnp.exp(-3.0))), 4)
    (3, 0.7237, 0.7237)
    """

    reservoir: ReservoirState
    learner: object
    baseline: jax.Array
    steps_done: jax.Array


def run_steps(reservoir: Reservoir, learner, state: RunState, inputs: TrialSignals) -> tuple[RunState, jax.Array]:
    """Run the reservoir and the readouts over ``inputs`` (one compiled scan).

    Only ``reservoir.step(state, cues, step_index) -> (state, rates in Hz)`` is used. The
    readouts see ``x = [tanh(r / input_scale_hz) - baseline, bias_input]``.

    Parameters
    ----------
    reservoir : Reservoir
        Or any object with that ``step``; advanced ``learner.settings.dt_ms`` per step.
    learner : ThreeFactorReadouts or ForceReadouts
        Its ``settings`` give ``input_scale_hz`` (Hz), ``baseline_tau_ms`` (ms) and ``bias_input``.
    state : RunState
        Reservoir and learner states, baselines, and ``steps_done`` (passed to ``reservoir.step`` as the step index).
    inputs : TrialSignals
        Cues (n_steps, n_cues) and step signals (n_steps,).

    Returns
    -------
    tuple
        The new :class:`RunState` and the readouts ``z`` (n_steps, 1 + n_outcomes) [when, what...].

    Example
    -------
    A "when" weight of 1 on the constant input reads ``bias_input``; "what" weights of 1
    on the neurons read the centred input, ``2 tanh(1) exp(-t / baseline_tau_ms)`` at
    10 Hz with ``input_scale_hz = 10``:

    >>> class ConstantRates:                    # a stand-in for a Reservoir: every neuron at 10 Hz
    ...     def step(self, state, cues, step_index):
    ...         return state, jnp.full(2, 10.0)
    >>> learner = ThreeFactorReadouts(WhatWhenSettings(baseline_tau_ms=1.0, input_scale_hz=10.0, bias_input=3.0))
    >>> weights = jnp.array([[0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])           # [when, what] x [neuron 1, neuron 2, bias]
    >>> start = RunState(None, learner.init(n_inputs=3)._replace(weights=weights), jnp.zeros(2), jnp.zeros((), jnp.int32))
    >>> off = StepSignals(jnp.zeros(3), jnp.zeros(3), jnp.zeros(3), jnp.zeros(3, bool))     # 3 steps, gate shut
    >>> _, z = run_steps(ConstantRates(), learner, start, TrialSignals(jnp.zeros((3, 1)), off))
    >>> np.round(np.asarray(z, float), 4).tolist()
    [[3.0, 0.5603], [3.0, 0.2061], [3.0, 0.0758]]
    >>> [round(2 * float(np.tanh(1.0) * np.exp(-t)), 4) for t in (1, 2, 3)]
    [0.5603, 0.2061, 0.0758]
    """
    s = learner.settings
    keep = float(np.exp(-s.dt_ms / s.baseline_tau_ms))

    def body(carry, step_inputs):
        reservoir_state, learner_state, baseline, n = carry
        cues, signals = step_inputs
        reservoir_state, rates = reservoir.step(reservoir_state, cues, n)
        transmitted = jnp.tanh(rates / s.input_scale_hz)
        baseline = keep * baseline + (1.0 - keep) * transmitted
        x = jnp.append(transmitted - baseline, s.bias_input)
        learner_state, z = learner.step(learner_state, x, signals)
        return (reservoir_state, learner_state, baseline, n + 1), z

    carry = (state.reservoir, state.learner, state.baseline, state.steps_done)
    carry, z = jax.lax.scan(body, carry, (inputs.cues, inputs.signals))
    return RunState(*carry), z


def block_inputs(inputs: TrialSignals, block: int, block_steps: int) -> TrialSignals:
    """The rows of ``inputs`` for block ``block`` (``block_steps`` steps each).

    Parameters
    ----------
    inputs : TrialSignals
        Per-step cues and signals, leading axis time.
    block : int
        Block index, from 0.
    block_steps : int
        Steps per block.

    Returns
    -------
    TrialSignals
        Steps ``block * block_steps`` to ``(block + 1) * block_steps`` (fewer if ``inputs`` ends first).

    Example
    -------
    >>> steps = jnp.arange(6.0)
    >>> inputs = TrialSignals(steps[:, None], StepSignals(steps, steps, steps, steps > 4))
    >>> block = block_inputs(inputs, 1, 2)
    >>> block.cues.tolist(), block.signals.gate.tolist()
    ([[2.0], [3.0]], [2.0, 3.0])
    """
    return jax.tree_util.tree_map(lambda a: a[block * block_steps:(block + 1) * block_steps], inputs)



def run_trials(reservoir: Reservoir, learner, state: RunState, inputs: TrialSignals, trial_steps: int,
               window_steps: int, switch_trial=None, on_block=None) -> tuple[RunState, np.ndarray]:
    """Run every trial of ``inputs``, ``learner.settings.block_trials`` at a time, consolidating between blocks.

    Parameters
    ----------
    reservoir, learner, state
        As for :func:`run_steps`; ``state`` starts the first trial.
    inputs : TrialSignals
        The whole task (:func:`trial_signals`); its length is a whole number of blocks.
    trial_steps, window_steps : int
        Steps per trial, and how many of them (from cue onset) are returned.
    switch_trial : int or None
        The task's switch (FORCE resets ``P`` before it when asked to).
    on_block : callable, optional
        Called with the number of trials done after each block.

    Returns
    -------
    (RunState, array (n_trials, window_steps, 1 + n_outcomes))
        The final state and the readouts [when, what...] of each trial's first ``window_steps`` steps.

    Raises
    ------
    BadInput
        ``block_trials`` does not divide the trials.
    RunError
        A block's readouts became NaN or inf (the message names the trials and what to change).

    Example
    -------
    >>> class ConstantRates:                    # a stand-in for a Reservoir: every neuron at 10 Hz
    ...     def step(self, state, cues, step_index):
    ...         return state, jnp.full(2, 10.0)
    >>> from bioplastic.data.synthetic import cue_outcome_task
    >>> settings = WhatWhenSettings(window_ms=10.0, kernel_ms=2.0, block_trials=2)
    >>> task = cue_outcome_task(jax.random.PRNGKey(0), 4, 1.0, trial_ms=20.0, cue_ms=2.0, latencies_ms=(5.0, 8.0))
    >>> inputs = trial_signals(task, 20, settings)
    >>> learner = ThreeFactorReadouts(settings)
    >>> start = RunState(None, learner.init(n_inputs=3), jnp.zeros(2), jnp.zeros((), jnp.int32))
    >>> state, z = run_trials(ConstantRates(), learner, start, inputs, 20, 10, on_block=lambda n: print(n, "trials"))
    2 trials
    4 trials
    >>> z.shape, int(state.steps_done)
    ((4, 10, 2), 80)
    >>> run_trials(ConstantRates(), ThreeFactorReadouts(WhatWhenSettings(block_trials=3)), start, inputs, 20, 10)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: block_trials: got 3; allowed: a divisor of the 4 trials
    >>> unstable = ThreeFactorReadouts(WhatWhenSettings(window_ms=10.0, when_learning_rate=1e6))
    >>> run_trials(ConstantRates(), unstable, start, inputs, 20, 10)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic.runs.errors.RunError: prediction: the readouts of three_factor became NaN or inf in trials 1 to 1; lower ...
    """
    block = learner.settings.block_trials
    n_trials = inputs.cues.shape[0] // trial_steps
    if n_trials % block:
        raise BadInput("block_trials", block, f"a divisor of the {n_trials} trials")
    run = jax.jit(functools.partial(run_steps, reservoir, learner))
    readouts = []
    for first in range(0, n_trials, block):
        state, z = run(state, block_inputs(inputs, first // block, block * trial_steps))
        z = np.asarray(z).reshape(block, trial_steps, -1)[:, :window_steps]
        if not np.all(np.isfinite(z)):
            raise RunError(f"prediction: the readouts of {learner.settings.learner} became NaN or inf in trials "
                           f"{first + 1} to {first + block}; lower prediction.readout.when_learning_rate or "
                           "what_learning_rate, or raise prediction.readout.force_alpha")
        readouts.append(z)
        done = first + block
        state = state._replace(learner=learner.end_block(state.learner, switch_next=done == switch_trial))
        if on_block is not None:
            on_block(done)
    return state, np.concatenate(readouts)
