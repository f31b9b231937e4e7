"""Inhibitory STDP (Vogels, Sprekeler, Zenke, Clopath & Gerstner 2011): a symmetric window and a target rate.

Vogels et al. (2011, Science 334:1569; supplementary material, "inhibitory synaptic
plasticity") change the weight ``w_ij`` of an inhibitory synapse ``i -> j`` with a
symmetric spike-timing window and a constant depression at every presynaptic spike. Each
presynaptic neuron keeps a trace ``x_i`` and each postsynaptic neuron a trace ``x_j``::

    x <- x exp(-dt / tau) + spikes            (each trace jumps by 1 at a spike of its neuron)

    at a presynaptic spike of i:    w_ij += eta (x_j - alpha)
    at a postsynaptic spike of j:   w_ij += eta x_i
    alpha = 2 rho_0 tau                        (rho_0: the target rate, tau in s)

so a pair of spikes ``s`` ms apart, in either order, adds ``eta exp(-s / tau)``, and every
presynaptic spike subtracts ``eta alpha``. With pre- and postsynaptic trains uncorrelated
at rates ``rho_i`` and ``rho_j`` the mean drift is ``eta rho_i (2 rho_j tau - alpha)``: the
inhibitory weights grow while the postsynaptic neuron fires above ``rho_0 = alpha / (2 tau)``
and shrink while it fires below, which holds the neuron's rate at ``rho_0`` whatever drives
it (the homeostasis of the paper). Weights stay ``>= w_min`` (the paper: ``w >= 0``); the
paper sets no upper bound (``w_max = inf``, the default).

Discrete time (step ``dt``): the traces decay and then add this step's spikes. A
presynaptic spike reads the postsynaptic trace *before* this step's postsynaptic spike is
added, a postsynaptic spike reads the presynaptic trace *after* this step's presynaptic
spike, so a pre and a post spike in the same step count as one pair at lag 0:
``eta (1 - alpha)``, not two. With independent Bernoulli trains of spike probabilities
``p_i = rho_i dt`` and ``p_j = rho_j dt`` per step the mean change per step is
``eta p_i (p_j (1 + d) / (1 - d) - alpha)`` with ``d = exp(-dt / tau)`` (``(1 + d) / (1 - d)``
tends to ``2 tau / dt``), tested in ``tests/test_inhibitory_stdp.py``.

The rule is event-driven: a synapse changes only in a step in which its presynaptic or
postsynaptic neuron fires, and the change is returned as a
:class:`~bioplastic.rules.events.SpikeTriggeredChange` that the network applies to the
out-list rows of the presynaptic spikes and the incoming synapses of the postsynaptic ones
(work per step: the spikes times the synapses per neuron, plus one trace per neuron).

Units: times in ms, ``target_rate_hz`` in Hz (so ``alpha = 2 target_rate_hz tau_ms / 1000``,
dimensionless), ``learning_rate`` and the bounds in the projection's weight units
(a conductance relative to the leak for conductance synapses).

Example
-------
A presynaptic spike 10 ms after a postsynaptic one adds ``eta (exp(-10 / 20) - alpha)``
(``alpha = 2 * 5 Hz * 20 ms = 0.2``):

>>> import jax.numpy as jnp
>>> from bioplastic.rules.inhibitory_stdp import inhibitory_stdp
>>> from bioplastic.synapses.connectivity import dense
>>> rule = inhibitory_stdp(learning_rate=0.01, target_rate_hz=5.0, tau_ms=20.0, dt_ms=1.0)
>>> w = dense(1, 1, 0.5)
>>> _, state = rule.update(rule.init(w), w, pre=jnp.array([0.0]), post=jnp.array([1.0]))   # post at t = 0
>>> for _ in range(9):
...     _, state = rule.update(state, w, pre=jnp.array([0.0]), post=jnp.array([0.0]))
>>> change, state = rule.update(state, w, pre=jnp.array([1.0]), post=jnp.array([0.0]))     # pre at t = 10 ms
>>> round(float(change.dense(w)[0, 0]), 6), round(0.01 * (float(jnp.exp(-10 / 20)) - 0.2), 6)
(0.004065, 0.004065)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic._checks import BadInput, check_dt, check_nonnegative, check_positive
from bioplastic.rules.base import Rule, check_bounds
from bioplastic.rules.events import SpikeTriggeredChange


class InhibitorySTDPState(NamedTuple):
    """``pre_trace`` (n_pre,), ``post_trace`` (n_post,): the traces ``x_i`` and ``x_j``.

    Each jumps by 1 at a spike of its neuron and decays by ``exp(-dt / tau_ms)`` per step
    (dimensionless; ``x`` of a neuron firing steadily at ``rho`` Hz averages ``rho tau``).

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> rule, w = inhibitory_stdp(tau_ms=20.0, dt_ms=1.0), dense(2, 3, 0.1)
    >>> state = rule.init(w)
    >>> state.pre_trace.shape, state.post_trace.shape
    ((2,), (3,))
    >>> _, state = rule.update(state, w, pre=jnp.zeros(2), post=jnp.array([0.0, 1.0, 0.0]))
    >>> _, state = rule.update(state, w, pre=jnp.zeros(2), post=jnp.zeros(3))        # 1 ms later
    >>> [round(float(x), 4) for x in state.post_trace], round(float(jnp.exp(-1 / 20)), 4)
    ([0.0, 0.9512, 0.0], 0.9512)
    """

    pre_trace: jax.Array
    post_trace: jax.Array


def _check(learning_rate, target_rate_hz, tau_ms, w_min, w_max, dt_ms):
    check_nonnegative(learning_rate, "learning_rate")
    check_nonnegative(target_rate_hz, "target_rate_hz", "Hz")
    check_positive(tau_ms, "tau_ms", "ms")
    check_bounds(w_min, w_max, "inf for no upper bound")
    if math.isinf(w_min):
        raise BadInput("w_min", f"{w_min!r}", "a finite lower bound (the paper's is 0)")
    check_dt(dt_ms)


def inhibitory_stdp(learning_rate=1e-3, target_rate_hz=5.0, tau_ms=20.0, w_min=0.0, w_max=math.inf, *,
                    dt_ms) -> Rule:
    """Vogels et al. (2011) inhibitory STDP (see the module docstring); needs no extra signal.

    Parameters
    ----------
    learning_rate : float
        ``eta``: the change of a pair at lag 0 (weight units), >= 0.
    target_rate_hz : float
        ``rho_0`` (Hz), >= 0: the postsynaptic rate at which the mean change of uncorrelated
        trains is zero; the depression per presynaptic spike is ``eta alpha`` with
        ``alpha = 2 rho_0 tau``.
    tau_ms : float
        Decay time (ms) of both traces, > 0 (the paper: 20 ms).
    w_min, w_max : float
        Bounds on every weight; ``w_min`` finite (default 0, the paper's), ``w_max`` may be
        ``inf`` (the default: no upper bound).
    dt_ms : float
        Simulation step (ms).

    Returns
    -------
    Rule
        ``update(state, weights, *, pre, post) -> (change, state)``, ``change`` a
        :class:`~bioplastic.rules.events.SpikeTriggeredChange` (``change.dense(weights)``:
        the same change as a (n_pre, max_out) array); ``signals == ()``.

    Example
    -------
    A lone presynaptic spike depresses by ``eta alpha`` (here ``0.01 * 2 * 10 Hz * 20 ms =
    0.004``); simultaneous spikes count as one pair, ``eta (1 - alpha)``; no weight goes
    below ``w_min``:

    >>> from bioplastic.synapses.connectivity import dense
    >>> rule = inhibitory_stdp(learning_rate=0.01, target_rate_hz=10.0, tau_ms=20.0, dt_ms=1.0)
    >>> w = dense(1, 1, 0.5)
    >>> change, _ = rule.update(rule.init(w), w, pre=jnp.array([1.0]), post=jnp.array([0.0]))
    >>> round(float(change.dense(w)[0, 0]), 6)
    -0.004
    >>> change, _ = rule.update(rule.init(w), w, pre=jnp.array([1.0]), post=jnp.array([1.0]))
    >>> round(float(change.dense(w)[0, 0]), 6)
    0.006
    >>> weak = dense(1, 1, 0.001)
    >>> change, _ = rule.update(rule.init(weak), weak, pre=jnp.array([1.0]), post=jnp.array([0.0]))
    >>> round(float(change.dense(weak)[0, 0]), 6)
    -0.001
    >>> inhibitory_stdp(target_rate_hz=-5.0, dt_ms=1.0)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: target_rate_hz: got -5.0; allowed: a finite number >= 0 (Hz)
    """
    _check(learning_rate, target_rate_hz, tau_ms, w_min, w_max, dt_ms)
    decay = math.exp(-dt_ms / tau_ms)
    alpha = 2.0 * target_rate_hz * tau_ms / 1000.0

    def init(weights) -> InhibitorySTDPState:
        return InhibitorySTDPState(jnp.zeros((weights.n_pre,), jnp.float32), jnp.zeros((weights.n_post,), jnp.float32))

    def update(state: InhibitorySTDPState, weights, *, pre, post):
        """One step: ``(change, state)``; ``change`` touches only the synapses of neurons that fired.

        Parameters
        ----------
        state : InhibitorySTDPState
            Traces from ``init`` or the previous step.
        weights : Connectivity
            The projection's current weights (the change is bounded against them when applied).
        pre, post : array (n_pre,), array (n_post,)
            This step's spikes (0/1).
        """
        pre_trace = state.pre_trace * decay + pre
        post_before = state.post_trace * decay                     # without this step's postsynaptic spikes
        change = SpikeTriggeredChange(
            pre_gated=((learning_rate * pre, post_before - alpha),),
            post_gated=((learning_rate * pre_trace, post),),
            pre_events=pre, post_events=post, w_min=w_min, w_max=w_max,
        )
        return change, InhibitorySTDPState(pre_trace, post_before + post)

    return Rule(init=init, update=update, signals=())
