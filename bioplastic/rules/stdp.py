"""Spike-timing-dependent plasticity: pair-based, with traces; and its reward-modulated form.

Pair-based STDP with all-to-all pairing (Song, Miller & Abbott 2000; Morrison et al. 2008).
Each presynaptic neuron keeps a trace ``x`` and each postsynaptic neuron a trace ``y``::

    x <- x exp(-dt / tau_plus)  + pre          (pre, post: this step's spikes, 0/1)
    y <- y exp(-dt / tau_minus) + post
    dW_ij = a_plus * x_i * post_j  -  a_minus * pre_i * y_j

so a presynaptic spike followed after ``s`` ms by a postsynaptic one changes the weight by
``a_plus exp(-s / tau_plus)``, and the reverse order by ``-a_minus exp(-s / tau_minus)``
(a pre and a post spike in the same step count as pre-before-post, ``+a_plus - a_minus``).
Weights are kept in ``[w_min, w_max]`` (hard bounds): the returned change never takes a
weight outside. Pair STDP is event-driven: a synapse changes only in a step in which its
presynaptic or postsynaptic neuron fires, and its change is returned as a
:class:`~bioplastic.rules.events.SpikeTriggeredChange` that the network applies to those
synapses alone (work per step: the spikes times the synapses per neuron, plus one trace per
neuron). The reward-modulated form is not: its eligibility decays, and the modulator turns
it into a change, at every synapse in every step.

Reward-modulated STDP (Izhikevich 2007; Fremaux & Gerstner 2016) accumulates the same
pair terms in an eligibility trace instead of the weight, and a third factor -- the
``modulator`` signal (reward, dopamine, error), a scalar per step -- turns it into a
change::

    e <- e exp(-dt / tau_eligibility) + dW_stdp
    dW = learning_rate * modulator * e

Times in ms; weights in the projection's units.

Example
-------
>>> import jax.numpy as jnp
>>> from bioplastic.rules.stdp import stdp
>>> from bioplastic.synapses.connectivity import dense
>>> rule = stdp(a_plus=0.1, a_minus=0.12, tau_plus_ms=20.0, tau_minus_ms=20.0, dt_ms=1.0)
>>> w = dense(1, 1, 0.5)
>>> state = rule.init(w)
>>> _, state = rule.update(state, w, pre=jnp.array([1.0]), post=jnp.array([0.0]))   # pre at t = 0
>>> for _ in range(9):                                                              # 10 ms later, post
...     _, state = rule.update(state, w, pre=jnp.array([0.0]), post=jnp.array([0.0]))
>>> change, state = rule.update(state, w, pre=jnp.array([0.0]), post=jnp.array([1.0]))
>>> round(float(change.dense(w)[0, 0]), 5), round(0.1 * float(jnp.exp(-10 / 20)), 5)
(0.06065, 0.06065)
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic._checks import check_dt, check_finite, check_nonnegative, check_positive
from bioplastic.rules.base import Rule, bounded_change, check_bounds
from bioplastic.rules.events import SpikeTriggeredChange


class STDPState(NamedTuple):
    """``pre_trace`` (n_pre,), ``post_trace`` (n_post,).

    Each trace jumps by 1 at a spike of its neuron and decays by ``exp(-dt / tau)`` per
    step (dimensionless).

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> rule, w = stdp(tau_plus_ms=20.0, dt_ms=1.0), dense(2, 3, 0.5)
    >>> state = rule.init(w)
    >>> state.pre_trace.shape, state.post_trace.shape
    ((2,), (3,))
    >>> _, state = rule.update(state, w, pre=jnp.array([1.0, 0.0]), post=jnp.zeros(3))
    >>> _, state = rule.update(state, w, pre=jnp.zeros(2), post=jnp.zeros(3))      # 1 ms later
    >>> [round(float(x), 4) for x in state.pre_trace], round(float(jnp.exp(-1 / 20)), 4)
    ([0.9512, 0.0], 0.9512)
    """

    pre_trace: jax.Array
    post_trace: jax.Array


class RewardSTDPState(NamedTuple):
    """STDP traces plus the ``eligibility`` of every synapse (n_pre, max_out).

    Example
    -------
    A pre-then-post pair 1 ms apart leaves ``a_plus exp(-1 / 20)`` in the eligibility
    while the modulator is 0 (no change); a modulator of 1 one step later turns it,
    decayed by ``exp(-1 / tau_eligibility)``, into ``learning_rate`` times that:

    >>> from bioplastic.synapses.connectivity import dense
    >>> rule = reward_modulated_stdp(a_plus=1.0, tau_eligibility_ms=100.0, learning_rate=0.1, dt_ms=1.0)
    >>> w = dense(1, 1, 0.5)
    >>> state = rule.init(w)
    >>> state.eligibility.shape
    (1, 1)
    >>> _, state = rule.update(state, w, pre=jnp.array([1.0]), post=jnp.array([0.0]), modulator=0.0)
    >>> delta, state = rule.update(state, w, pre=jnp.array([0.0]), post=jnp.array([1.0]), modulator=0.0)
    >>> delta.tolist(), round(float(state.eligibility[0, 0]), 4)
    ([[0.0]], 0.9512)
    >>> delta, state = rule.update(state, w, pre=jnp.array([0.0]), post=jnp.array([0.0]), modulator=1.0)
    >>> round(float(delta[0, 0]), 4), round(0.1 * float(jnp.exp(-1 / 20 - 1 / 100)), 4)
    (0.0942, 0.0942)
    """

    traces: STDPState
    eligibility: jax.Array


def _check(a_plus, a_minus, tau_plus_ms, tau_minus_ms, w_min, w_max, dt_ms):
    check_nonnegative(a_plus, "a_plus")
    check_nonnegative(a_minus, "a_minus")
    check_positive(tau_plus_ms, "tau_plus_ms", "ms")
    check_positive(tau_minus_ms, "tau_minus_ms", "ms")
    check_bounds(w_min, w_max)
    check_dt(dt_ms)


def _pair_terms(a_plus, a_minus, decay_plus, decay_minus, w_min, w_max):
    """STDP trace update and the pair terms of one step, as a spike-triggered change."""

    def step(traces: STDPState, pre, post):
        """Decay the traces, add this step's spikes, and return ``(pair terms, new traces)``.

        Parameters
        ----------
        traces : STDPState
            Presynaptic (n_pre,) and postsynaptic (n_post,) traces before this step.
        pre, post : array (n_pre,), array (n_post,)
            This step's spikes (0/1).

        Returns
        -------
        tuple
            ``a_plus x post - a_minus pre y`` per synapse as a
            :class:`~bioplastic.rules.events.SpikeTriggeredChange` (depression at the rows of the
            presynaptic spikes, potentiation at the synapses onto the postsynaptic ones), kept
            within ``[w_min, w_max]``; and the new traces.
        """
        pre_trace = traces.pre_trace * decay_plus + pre
        post_trace = traces.post_trace * decay_minus + post
        change = SpikeTriggeredChange(pre_gated=((-(a_minus * pre), post_trace),), post_gated=((a_plus * pre_trace, post),),
                                      pre_events=pre, post_events=post, w_min=w_min, w_max=w_max)
        return change, STDPState(pre_trace, post_trace)

    return step


def _initial_traces(weights) -> STDPState:
    return STDPState(jnp.zeros((weights.n_pre,), jnp.float32), jnp.zeros((weights.n_post,), jnp.float32))


def stdp(a_plus=0.01, a_minus=0.0105, tau_plus_ms=20.0, tau_minus_ms=20.0, w_min=0.0, w_max=1.0, *, dt_ms) -> Rule:
    """Pair-based STDP with hard bounds (see the module docstring); needs no extra signal.

    Parameters
    ----------
    a_plus, a_minus : float
        Potentiation and depression amplitudes (weight units), >= 0.
    tau_plus_ms, tau_minus_ms : float
        Decay times (ms) of the presynaptic and postsynaptic traces.
    w_min, w_max : float
        Hard bounds on every weight.
    dt_ms : float
        Simulation step (ms).

    Example
    -------
    Post before pre, 5 ms apart, depresses by ``a_minus exp(-5 / tau_minus)``:

    >>> from bioplastic.synapses.connectivity import dense
    >>> rule = stdp(a_plus=0.1, a_minus=0.12, tau_plus_ms=20.0, tau_minus_ms=10.0, dt_ms=1.0)
    >>> w = dense(1, 1, 0.5)
    >>> _, state = rule.update(rule.init(w), w, pre=jnp.array([0.0]), post=jnp.array([1.0]))  # post at t = 0
    >>> for _ in range(4):
    ...     _, state = rule.update(state, w, pre=jnp.array([0.0]), post=jnp.array([0.0]))
    >>> change, _ = rule.update(state, w, pre=jnp.array([1.0]), post=jnp.array([0.0]))      # pre at t = 5 ms
    >>> round(float(change.dense(w)[0, 0]), 5), round(-0.12 * float(jnp.exp(-5 / 10)), 5)
    (-0.07278, -0.07278)

    Simultaneous spikes give ``a_plus - a_minus``; near ``w_max`` the change is cut to the bound:

    >>> change, _ = rule.update(rule.init(w), w, pre=jnp.array([1.0]), post=jnp.array([1.0]))
    >>> round(float(change.dense(w)[0, 0]), 5)
    -0.02
    >>> strong = dense(1, 1, 0.95)
    >>> _, state = rule.update(rule.init(strong), strong, pre=jnp.array([1.0]), post=jnp.array([0.0]))
    >>> change, _ = rule.update(state, strong, pre=jnp.array([0.0]), post=jnp.array([1.0]))  # + 0.1 exp(-1/20)
    >>> round(float(change.dense(strong)[0, 0]), 5)
    0.05
    >>> stdp(w_min=1.0, w_max=0.0, dt_ms=1.0)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: w_max: got 0.0; allowed: a bound >= w_min = 1.0
    """
    _check(a_plus, a_minus, tau_plus_ms, tau_minus_ms, w_min, w_max, dt_ms)
    pair = _pair_terms(a_plus, a_minus, jnp.exp(-dt_ms / tau_plus_ms), jnp.exp(-dt_ms / tau_minus_ms), w_min, w_max)

    def update(state: STDPState, weights, *, pre, post):
        """One step: ``(change, state)``; ``change`` touches only the synapses of neurons that fired.

        The change is a :class:`~bioplastic.rules.events.SpikeTriggeredChange` (the network
        applies it row by row and column by column, so the work grows with the spikes);
        ``change.dense(weights)`` is the same change as a (n_pre, max_out) array, kept within
        ``[w_min, w_max]``.

        Parameters
        ----------
        state : STDPState
            Traces from ``init`` or the previous step.
        weights : Connectivity
            The projection's current weights.
        pre, post : array (n_pre,), array (n_post,)
            This step's spikes (0/1).
        """
        return pair(state, pre, post)

    return Rule(init=_initial_traces, update=update, signals=())


def reward_modulated_stdp(
    a_plus=1.0, a_minus=1.05, tau_plus_ms=20.0, tau_minus_ms=20.0, w_min=0.0, w_max=1.0,
    tau_eligibility_ms=1000.0, learning_rate=0.01, *, dt_ms,
) -> Rule:
    """STDP pair terms into an eligibility trace, turned into weight changes by ``modulator``.

    Parameters
    ----------
    a_plus, a_minus : float
        Potentiation and depression amplitudes of the pair terms added to the eligibility, >= 0.
    tau_plus_ms, tau_minus_ms : float
        Decay times (ms) of the presynaptic and postsynaptic traces.
    w_min, w_max : float
        Hard bounds on every weight.
    tau_eligibility_ms : float
        Decay time (ms) of the eligibility trace.
    learning_rate : float
        Factor from ``modulator * eligibility`` to the weight change (weight units per eligibility unit).
    dt_ms : float
        Simulation step (ms).

    Returns
    -------
    Rule
        ``update(state, weights, *, pre, post, modulator)``; ``signals == ("modulator",)``.

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> rule = reward_modulated_stdp(dt_ms=1.0)
    >>> rule.signals
    ('modulator',)
    """
    _check(a_plus, a_minus, tau_plus_ms, tau_minus_ms, w_min, w_max, dt_ms)
    check_positive(tau_eligibility_ms, "tau_eligibility_ms", "ms")
    check_finite(learning_rate, "learning_rate")
    pair = _pair_terms(a_plus, a_minus, jnp.exp(-dt_ms / tau_plus_ms), jnp.exp(-dt_ms / tau_minus_ms), w_min, w_max)
    decay = jnp.exp(-dt_ms / tau_eligibility_ms)

    def init(weights) -> RewardSTDPState:
        return RewardSTDPState(_initial_traces(weights), jnp.zeros_like(weights.weights))

    def update(state: RewardSTDPState, weights, *, pre, post, modulator):
        """One step: ``(delta, state)``, ``delta = learning_rate * modulator * eligibility`` within the bounds.

        Parameters
        ----------
        state : RewardSTDPState
            Traces and eligibility (n_pre, max_out) from ``init`` or the previous step.
        weights : Connectivity
            The projection's current weights.
        pre, post : array (n_pre,), array (n_post,)
            This step's spikes (0/1).
        modulator : float or array
            Third factor (reward, dopamine, error) of this step; a scalar, or broadcastable to (n_pre, max_out).
        """
        change, traces = pair(state.traces, pre, post)
        eligibility = state.eligibility * decay + change.terms(weights)
        change = learning_rate * modulator * eligibility
        return bounded_change(weights, change, w_min, w_max), RewardSTDPState(traces, eligibility)

    return Rule(init=init, update=update, signals=("modulator",))
