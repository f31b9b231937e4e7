"""Three-factor learning: a Hebbian eligibility trace turned into weight changes by a modulator.

Every synapse ``j -> i`` keeps an eligibility trace of the coincidences of its
presynaptic activity ``pre_j`` and postsynaptic activity ``post_i`` (Fremaux & Gerstner
2016; Gerstner et al. 2018)::

    e_ij <- e_ij exp(-dt / tau_e) + post_i pre_j

The trace changes no weight by itself. A third factor -- a modulator ``m`` (reward,
dopamine, an error signal; a scalar, or one value per postsynaptic unit) and a gate
``g`` (attention: 0 blocks learning, 1 lets it through) -- turns it into a change::

    dW_ij = learning_rate * g * m_i * e_ij

The decay is the exact exponential of ``dt / tau_e`` (the Euler form ``1 - dt / tau_e``
of PAPERS.md agrees to first order): a single coincidence ``post_i pre_j = c`` at
``t0`` leaves ``e_ij(t) = c exp(-(t - t0) / tau_e)`` at every later step.

Two interfaces:

- :func:`update_eligibility` and :func:`modulated_change` on dense ``(n_post, n_pre)``
  arrays, for readouts (:mod:`bioplastic.experiments.prediction.trials`);
- :func:`reward_modulated_hebbian`, a :class:`~bioplastic.rules.base.Rule` for a plastic
  projection of a :class:`~bioplastic.networks.network.Network`: the scalar ``modulator``
  comes from the drive's ``"_signals"``, the gate from its ``"_gate"``.

Times in ms; ``pre``, ``post`` in any units (their product sets the unit of ``e``).

Example
-------
>>> import jax.numpy as jnp
>>> from bioplastic.rules.three_factor import eligibility_decay, modulated_change, update_eligibility
>>> decay = eligibility_decay(tau_eligibility_ms=100.0, dt_ms=1.0)
>>> e = update_eligibility(jnp.zeros((1, 2)), pre=jnp.array([1.0, 0.0]), post=jnp.array([2.0]), decay=decay)
>>> for _ in range(100):                                      # 100 ms without activity
...     e = update_eligibility(e, jnp.zeros(2), jnp.zeros(1), decay)
>>> [round(float(x), 4) for x in e[0]], round(2 * float(jnp.exp(-1.0)), 4)
([0.7358, 0.0], 0.7358)
>>> modulated_change(e, modulator=jnp.array([0.0]), gate=1.0, learning_rate=0.1).tolist()   # no third factor
[[0.0, 0.0]]
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import check_dt, check_finite, check_nonnegative, check_positive
from bioplastic.rules.base import Rule


def eligibility_decay(tau_eligibility_ms: float, dt_ms: float) -> float:
    """The per-step factor ``exp(-dt / tau_e)`` of an eligibility trace (both in ms).

    Example
    -------
    >>> round(eligibility_decay(tau_eligibility_ms=5.0, dt_ms=1.0), 4)
    0.8187
    """
    check_positive(tau_eligibility_ms, "tau_eligibility_ms", "ms")
    return float(np.exp(-check_dt(dt_ms) / tau_eligibility_ms))


def update_eligibility(eligibility: jax.Array, pre: jax.Array, post: jax.Array, decay) -> jax.Array:
    """``decay * e + outer(post, pre)`` for a dense ``(n_post, n_pre)`` trace.

    Parameters
    ----------
    eligibility : array (n_post, n_pre)
        The trace ``e`` before this step (units of ``post * pre``).
    pre : array (n_pre,)
        Presynaptic activity of this step, any units.
    post : array (n_post,)
        Postsynaptic activity of this step, any units.
    decay : float
        Per-step factor ``exp(-dt / tau_e)``, from :func:`eligibility_decay`.

    Returns
    -------
    jax.Array (n_post, n_pre)
        The new trace.

    Example
    -------
    >>> update_eligibility(jnp.ones((1, 2)), jnp.array([1.0, 0.0]), jnp.array([2.0]), 0.5).tolist()
    [[2.5, 0.5]]
    """
    return eligibility * decay + jnp.outer(post, pre)


def modulated_change(eligibility: jax.Array, modulator, gate, learning_rate) -> jax.Array:
    """``learning_rate * gate * m_i * e_ij``; ``modulator`` is a scalar or one value per row.

    Parameters
    ----------
    eligibility : array (n_post, n_pre)
        The eligibility trace ``e``.
    modulator : float or array (n_post,)
        Third factor ``m`` (reward, dopamine, error): a scalar, or one value per row of ``eligibility``.
    gate : float or array
        Attention gate ``g``: 0 blocks learning, 1 lets it through.
    learning_rate : float
        Factor from ``g m e`` to the weight change.

    Returns
    -------
    jax.Array (n_post, n_pre)
        The weight change (the caller adds it).

    Example
    -------
    >>> modulated_change(jnp.ones((2, 2)), jnp.array([1.0, -1.0]), 1.0, 0.5).tolist()
    [[0.5, 0.5], [-0.5, -0.5]]
    """
    modulator = jnp.asarray(modulator)
    per_row = modulator[:, None] if modulator.ndim == 1 else modulator
    return learning_rate * gate * per_row * eligibility


class HebbianTraceState(NamedTuple):
    """The ``eligibility`` of every synapse of a projection, shaped like its padded out-lists.

    Example
    -------
    >>> HebbianTraceState(jnp.zeros((3, 2))).eligibility.shape
    (3, 2)
    """

    eligibility: jax.Array


def reward_modulated_hebbian(tau_eligibility_ms=500.0, learning_rate=0.01, *, dt_ms) -> Rule:
    """Eligibility of rate (or spike) coincidences times a scalar ``modulator``, as a projection Rule.

    ``pre`` and ``post`` are the populations' outputs of the step; the change is
    ``learning_rate * modulator * e`` on every synapse (the network multiplies it by its
    ``"_gate"``). Unlike :func:`~bioplastic.rules.stdp.reward_modulated_stdp`, the trace
    holds plain coincidences ``post * pre``, with no timing window and no bounds.

    Parameters
    ----------
    tau_eligibility_ms : float
        Decay time (ms) of the eligibility trace.
    learning_rate : float
        Factor from ``modulator * e`` to the weight change.
    dt_ms : float
        Simulation step (ms).

    Returns
    -------
    Rule
        ``update(state, weights, *, pre, post, modulator)``; ``signals == ("modulator",)``.

    Example
    -------
    >>> import jax.numpy as jnp
    >>> from bioplastic.synapses.connectivity import dense
    >>> rule = reward_modulated_hebbian(tau_eligibility_ms=10.0, learning_rate=1.0, dt_ms=1.0)
    >>> w = dense(2, 1, 0.0)
    >>> state = rule.init(w)
    >>> delta, state = rule.update(state, w, pre=jnp.array([1.0, 0.0]), post=jnp.array([3.0]), modulator=0.5)
    >>> delta.tolist(), rule.signals
    ([[1.5], [0.0]], ('modulator',))
    """
    decay = eligibility_decay(tau_eligibility_ms, dt_ms)
    check_finite(learning_rate, "learning_rate")

    def init(weights) -> HebbianTraceState:
        return HebbianTraceState(jnp.zeros_like(weights.weights))

    def update(state: HebbianTraceState, weights, *, pre, post, modulator):
        """One step: ``(delta, state)`` with ``delta = learning_rate * modulator * e``, (n_pre, max_out).

        Parameters
        ----------
        state : HebbianTraceState
            Eligibility (n_pre, max_out) from ``init`` or the previous step.
        weights : Connectivity
            The projection; only ``targets`` and ``mask`` are used (0 on padding).
        pre, post : array (n_pre,), array (n_post,)
            The populations' outputs of this step.
        modulator : float
            Scalar third factor of this step (a 1-D array would scale the rows, i.e. the presynaptic neurons).
        """
        coincidences = jnp.where(weights.mask, pre[:, None] * weights.at_targets(post), 0.0)
        eligibility = state.eligibility * decay + coincidences
        return modulated_change(eligibility, modulator, 1.0, learning_rate), HebbianTraceState(eligibility)

    return Rule(init=init, update=update, signals=("modulator",))


def online_readout(tau_eligibility_ms: float, learning_rate: float, *, dt_ms: float) -> Rule:
    """The online three-factor rule of a linear readout ``z = w . x`` (postsynaptic factor 1).

    Every step ``e <- exp(-dt / tau_e) e + x`` and ``w <- w + learning_rate * gate * error * e``;
    the state is the trace ``e`` (1, n_in), the change has the shape of ``w`` (n_in,).

    Example
    -------
    >>> rule = online_readout(tau_eligibility_ms=5.0, learning_rate=0.1, dt_ms=1.0)
    >>> w = jnp.zeros(2)
    >>> change, trace = rule.update(rule.init(w), w, pre=jnp.array([1.0, 1.0]), error=4.0, gate=1.0)
    >>> change.tolist(), rule.signals                                # 0.1 * 4 * e, e = x
    ([0.4000000059604645, 0.4000000059604645], ('error', 'gate'))
    """
    decay = eligibility_decay(tau_eligibility_ms, dt_ms)

    def init(weights):
        return jnp.zeros((1, jnp.shape(weights)[-1]), jnp.float32)

    def update(trace, weights, *, pre, error, gate):
        trace = update_eligibility(trace, pre, jnp.ones(1), decay)
        return modulated_change(trace, error, gate, learning_rate)[0], trace

    return Rule(init, update, ("error", "gate"))


class ConsolidationState(NamedTuple):
    """The state of :func:`consolidated_readout`.

    ``trial_eligibility`` (n_in,): this trial's gated ``sum(e)``; ``trial_weighted`` and
    ``block_tags`` (shaped like the weights: (n_in,) or (n_out, n_in)): this trial's
    gated ``sum(z e)`` and the block's finished trials' tags; ``block_steps``: the
    block's gated steps. For the surprise (all scalars; they stay 0 when
    ``error_gain`` is 0): ``trial_error``, this trial's gated ``sum(|y - z|)``;
    ``trial_steps``, its gated steps; ``surprise``, the running mean of the trials'
    mean absolute errors.

    Example
    -------
    >>> state = consolidated_readout(0.1).init(jnp.zeros(3))
    >>> state.block_tags.shape, consolidated_readout(0.1).init(jnp.zeros((2, 3))).block_tags.shape
    ((3,), (2, 3))
    """

    trial_eligibility: jax.Array
    trial_weighted: jax.Array
    block_tags: jax.Array
    block_steps: jax.Array
    trial_error: jax.Array
    trial_steps: jax.Array
    surprise: jax.Array


def surprise_modulated_rate(base_rate, surprise, gain, reference):
    """The consolidation rate ``base_rate * (1 + gain * surprise / reference)``.

    ``surprise`` (units of the readout's teaching signal; for the "what" readout, whose
    target is an outcome indicator, dimensionless, about 0 to 1) is the recent mean
    absolute error (:func:`running_surprise`); ``reference`` (same units, > 0) the
    surprise at which the rate is ``1 + gain`` times the base; ``gain`` (>= 0,
    dimensionless). With ``gain = 0`` or no surprise the rate is ``base_rate``; it grows
    linearly with the surprise.

    Example
    -------
    >>> surprise_modulated_rate(4e-3, 0.0, gain=2.0, reference=0.5)
    0.004
    >>> round(surprise_modulated_rate(4e-3, 0.25, gain=2.0, reference=0.5), 6)      # 4e-3 * (1 + 2 * 0.5)
    0.008
    """
    return base_rate * (1.0 + gain * surprise / reference)


def running_surprise(surprise, trial_error, error_trials):
    """One trial's step of the running mean of the absolute error: ``S + (1 - exp(-1 / error_trials)) (eps - S)``.

    ``trial_error`` ``eps`` is the trial's mean absolute error over its gated steps;
    ``error_trials`` (> 0, in trials) the time constant: after a step change of the
    error, ``S`` covers ``1 - exp(-n / error_trials)`` of it in ``n`` trials. This is the
    associability of Pearce & Hall (1980), ``alpha_n = gamma |lambda - V| + (1 - gamma) alpha_{n-1}``,
    with ``gamma = 1 - exp(-1 / error_trials)``.

    Example
    -------
    >>> s = 0.0
    >>> for _ in range(10):
    ...     s = running_surprise(s, 1.0, error_trials=10.0)
    >>> round(float(s), 6), round(1 - float(np.exp(-1.0)), 6)
    (0.632121, 0.632121)
    """
    step = 1.0 - float(np.exp(-1.0 / error_trials))
    return surprise + step * (trial_error - surprise)


def consolidated_readout(learning_rate: float, error_gain: float = 0.0, error_reference: float = 1.0,
                         error_trials: float = 10.0) -> Rule:
    """The offline three-factor rule of linear readouts ``z = W x``: tags within a block, learning after it.

    Within a trial the gated steps add ``e`` and ``z e`` (``trace`` = the readouts'
    common eligibility ``e`` (n_in,), ``output`` = ``z``: a scalar for one readout with
    weights (n_in,), or (n_out,) for weights (n_out, n_in)); at the trial's end its tag
    ``target * sum(e) - sum(z e)`` (the summed error times eligibility, for an outcome
    ``target`` known only then, shaped like ``output``) joins the block's. At
    ``block_end`` (a Python bool: the call between blocks) the change is
    ``rate * tags / gated steps`` and the tags clear; within a block the change is zero,
    so ``W`` stays fixed while the block runs.

    The rate is ``learning_rate`` when ``error_gain`` is 0 (the default). Otherwise the
    consolidation is error-modulated: each trial's mean absolute error over its gated
    steps, ``eps = sum(g |target - z|) / sum(g)`` (averaged over the readouts), feeds the
    running mean ``S`` of :func:`running_surprise` (time constant ``error_trials``
    trials), and the block is consolidated at

        rate = learning_rate * (1 + error_gain * S / error_reference)

    (:func:`surprise_modulated_rate`): a surprising recent past consolidates faster.
    ``S`` starts at 0 and includes the block's own trials.

    Example
    -------
    One gated step with ``e = [1, 1]``, ``z = 0`` and outcome 1 at the trial's end, then the block's end:

    >>> rule = consolidated_readout(learning_rate=0.5)
    >>> state = rule.init(jnp.zeros(2))
    >>> _, state = rule.update(state, None, trace=jnp.ones(2), output=0.0, target=1.0, gate=1.0, trial_end=True,
    ...                        block_end=False)
    >>> state.block_tags.tolist(), float(state.block_steps)
    ([1.0, 1.0], 1.0)
    >>> change, state = rule.update(state, None, trace=jnp.zeros(2), output=0.0, target=0.0, gate=0.0,
    ...                             trial_end=False, block_end=True)
    >>> change.tolist(), state.block_tags.tolist()
    ([0.5, 0.5], [0.0, 0.0])

    With ``error_gain = 1`` the trial's error ``|1 - 0| = 1`` raises the surprise to
    ``1 - exp(-1 / error_trials)`` and the rate with it:

    >>> rule = consolidated_readout(learning_rate=0.5, error_gain=1.0, error_reference=0.5, error_trials=1.0)
    >>> _, state = rule.update(rule.init(jnp.zeros(2)), None, trace=jnp.ones(2), output=0.0, target=1.0, gate=1.0,
    ...                        trial_end=True, block_end=False)
    >>> surprise = 1 - float(np.exp(-1.0))
    >>> round(float(state.surprise), 6) == round(surprise, 6)
    True
    >>> change, _ = rule.update(state, None, trace=jnp.zeros(2), output=0.0, target=0.0, gate=0.0,
    ...                         trial_end=False, block_end=True)
    >>> round(float(change[0]), 5) == round(0.5 * (1 + surprise / 0.5), 5)
    True
    """
    check_nonnegative(error_gain, "error_gain")
    check_positive(error_reference, "error_reference")
    check_positive(error_trials, "error_trials", "trials")
    modulated = error_gain > 0

    def init(weights) -> ConsolidationState:
        scalar = jnp.zeros((), jnp.float32)
        return ConsolidationState(jnp.zeros(jnp.shape(weights)[-1], jnp.float32), jnp.zeros(jnp.shape(weights), jnp.float32),
                                  jnp.zeros(jnp.shape(weights), jnp.float32), scalar, scalar, scalar, scalar)

    def update(state: ConsolidationState, weights, *, trace, output, target, gate, trial_end, block_end):
        output = jnp.asarray(output)
        target = jnp.broadcast_to(target, output.shape)
        trial_eligibility = state.trial_eligibility + gate * trace
        trial_weighted = state.trial_weighted + gate * output[..., None] * trace
        tag = target[..., None] * trial_eligibility - trial_weighted
        block_tags = state.block_tags + jnp.where(trial_end, tag, 0.0)
        clear = jnp.where(trial_end, 0.0, 1.0)
        block_steps = state.block_steps + gate
        trial_error, trial_steps, surprise = state.trial_error, state.trial_steps, state.surprise
        if modulated:
            trial_error = trial_error + gate * jnp.mean(jnp.abs(target - output))
            trial_steps = trial_steps + gate
            finished = trial_end & (trial_steps > 0)
            surprise = jnp.where(finished, running_surprise(surprise, trial_error / jnp.maximum(trial_steps, 1.0),
                                                            error_trials), surprise)
            trial_error, trial_steps = trial_error * clear, trial_steps * clear
        kept = (trial_eligibility * clear, trial_weighted * clear)
        if not block_end:
            return jnp.zeros_like(block_tags), ConsolidationState(*kept, block_tags, block_steps, trial_error,
                                                                  trial_steps, surprise)
        rate = surprise_modulated_rate(learning_rate, surprise, error_gain, error_reference) if modulated else learning_rate
        change = rate * block_tags / jnp.maximum(block_steps, 1.0)
        return change, ConsolidationState(*kept, jnp.zeros_like(block_tags), jnp.zeros_like(block_steps), trial_error,
                                          trial_steps, surprise)

    return Rule(init, update, ("trace", "output", "target", "gate", "trial_end", "block_end"))
