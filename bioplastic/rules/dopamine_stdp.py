"""Dopamine-modulated STDP (Izhikevich 2007): an eligibility trace per synapse, a dopamine concentration, ``ds/dt = c d``.

Izhikevich, E. M. (2007). Solving the distal reward problem through linkage of STDP and
dopamine signaling. *Cerebral Cortex* 17(10), 2443-2452. Every synapse keeps an
eligibility trace ``c`` that collects the STDP pair terms and decays slowly; the
extracellular dopamine concentration ``d`` decays fast and jumps when a reward is
delivered; the weight changes by their product::

    dc/dt = -c / tau_c + STDP(tau) delta(t - t_pre/post)        tau_c = 1 s
    dd/dt = -d / tau_d + DA(t)                                   tau_d = 0.2 s
    ds/dt = learning_rate * c * (d + tonic)

In steps of ``dt`` (ms), with ``reward`` the dopamine released in the step (``DA(t) dt``)::

    c <- c exp(-dt / tau_c) + (this step's pair terms)
    d <- d exp(-dt / tau_d) + reward
    ds = learning_rate * dt * c * (d + tonic)          then s is kept in [w_min, w_max]

``tonic`` is a constant background of dopamine (tonic release; 0.002 in ``daspnet.m``):
with it, the eligibility of every synapse drifts into its weight slowly even without
rewards.

The pair terms are those of pair-based STDP (all pairs, traces with ``tau_plus_ms`` and
``tau_minus_ms``; :mod:`bioplastic.rules.stdp`) with two differences that make the rule
follow the paper's network, where axons have conduction delays:

- **Presynaptic events are arrivals at the synapse.** The slots of each presynaptic
  neuron's out-list fall in ``pre_groups`` equal groups of consecutive slots (group ``g``
  holds slots ``g B .. (g + 1) B - 1``, ``B = max_out / pre_groups``), and ``pre``
  (n_pre, pre_groups) says which groups receive the neuron's spike in this step -- e.g.
  one group per axonal delay, each receiving the spike emitted ``delay`` steps earlier
  (Izhikevich's networks give each delay the same number of synapses). With
  ``pre_groups = 1`` every synapse receives the spike at once and ``pre`` may be (n_pre,);
  with ``pre_groups = max_out`` every synapse has its own arrival. The presynaptic trace
  is kept per neuron and group.
- **A post spike in the step of an arrival counts as pre-before-post only** (the arriving
  current may have caused it): with ``a`` the arrival step and ``m`` the post spike's step,
  ``m >= a`` adds ``+a_plus exp(-(m - a) / tau_plus)`` and ``m < a`` adds
  ``-a_minus exp(-(a - 1 - m) / tau_minus)``, so the nearest pair on each side has the full
  amplitude. This is the window of Izhikevich's published code (``daspnet.m``) in the
  step convention of :mod:`bioplastic.neurons.izhikevich` (a spike is stamped in the step
  its voltage crosses, and its current reaches the target ``delay`` steps later).

Why not :func:`~bioplastic.rules.stdp.reward_modulated_stdp`: its ``modulator`` is taken
as given in each step, its presynaptic spikes are those the neurons emit (no per-synapse
arrival), and a post spike in the step of a pre spike counts both ways
(``a_plus - a_minus``, which with the paper's ``a_minus = 1.5 a_plus`` depresses the most
causal pairing). Here the dopamine's own kinetics are part of the rule state, driven by
the ``reward`` signal.

Units: times in ms; ``c`` in units of ``a_plus``; ``d``, ``reward`` and ``tonic`` in one
concentration unit (the paper's uM; Izhikevich's code releases 0.5 per reward over a
tonic level of 0.002); ``learning_rate`` in weight units per (``c`` unit x ``d`` unit x ms).

Example
-------
A pre spike, then a post spike 5 ms later: the eligibility holds ``a_plus exp(-5 / 20)``;
one step later a reward of 0.5 turns it into a weight change
``learning_rate * c * (0.5 + tonic)`` (with ``c`` decayed by one step of ``tau_c``):

>>> import jax.numpy as jnp
>>> from bioplastic.rules.dopamine_stdp import dopamine_stdp
>>> from bioplastic.synapses.connectivity import dense
>>> rule = dopamine_stdp(tonic=0.0, learning_rate=0.01, dt_ms=1.0)
>>> w = dense(1, 1, 1.0)
>>> state = rule.init(w)
>>> spikes = [(1.0, 0.0)] + [(0.0, 0.0)] * 4 + [(0.0, 1.0)]          # pre at 0 ms, post at 5 ms
>>> for pre, post in spikes:
...     _, state = rule.update(state, w, pre=jnp.array([pre]), post=jnp.array([post]), reward=0.0)
>>> round(float(state.eligibility[0, 0]), 5), round(float(jnp.exp(-5 / 20)), 5)
(0.7788, 0.7788)
>>> delta, state = rule.update(state, w, pre=jnp.zeros(1), post=jnp.zeros(1), reward=0.5)
>>> round(float(delta[0, 0]), 6), round(0.01 * float(jnp.exp(-5 / 20 - 1 / 1000)) * 0.5, 6)
(0.00389, 0.00389)
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic._checks import BadInput, check_dt, check_finite, check_nonnegative, check_positive
from bioplastic.rules.base import Rule, bounded_change, check_bounds


class DopamineSTDPState(NamedTuple):
    """State of :func:`dopamine_stdp`.

    Fields
    ------
    pre_trace : array (n_pre, pre_groups)
        Presynaptic trace at each group of synapses: jumps by 1 at an arrival, decays with ``tau_plus_ms``
        (dimensionless).
    post_trace : array (n_post,)
        Postsynaptic trace: jumps by 1 at a post spike, decays with ``tau_minus_ms`` (dimensionless).
    eligibility : array (n_pre, max_out)
        The eligibility trace ``c`` of every synapse (units of ``a_plus``), 0 on padding.
    dopamine : array ()
        Extracellular dopamine ``d`` above the tonic level (concentration units, e.g. uM).

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> state = dopamine_stdp(dt_ms=1.0).init(dense(2, 3, 1.0))
    >>> state.pre_trace.shape, state.post_trace.shape, state.eligibility.shape, float(state.dopamine)
    ((2, 1), (3,), (2, 3), 0.0)
    """

    pre_trace: jax.Array
    post_trace: jax.Array
    eligibility: jax.Array
    dopamine: jax.Array


def dopamine_stdp(
    a_plus=1.0, a_minus=1.5, tau_plus_ms=20.0, tau_minus_ms=20.0, tau_eligibility_ms=1000.0,
    tau_dopamine_ms=200.0, tonic=0.002, learning_rate=0.01, w_min=0.0, w_max=4.0, pre_groups=1, *, dt_ms,
) -> Rule:
    """Izhikevich's (2007) dopamine-modulated STDP (see the module docstring for the equations).

    The defaults are the paper's and its published code's (``daspnet.m``):
    ``a_plus = 1``, ``a_minus = 1.5``, ``tau_plus = tau_minus = 20`` ms, ``tau_c = 1`` s,
    ``tau_d = 0.2`` s, weights in ``[0, 4]`` (mV); the code's eligibility is the paper's
    divided by 10 and is applied every 10 ms with ``s += (0.002 + DA) sd``, i.e.
    ``ds/dt = 0.01 c (d + 0.002)`` per ms here, with ``d`` in the code's units (a reward
    adds 0.5).

    Parameters
    ----------
    a_plus, a_minus : float
        Potentiation and depression amplitudes of the pair terms added to the eligibility, >= 0.
    tau_plus_ms, tau_minus_ms : float
        Decay times (ms) of the presynaptic (per synapse) and postsynaptic traces.
    tau_eligibility_ms : float
        Decay time ``tau_c`` (ms) of the eligibility trace.
    tau_dopamine_ms : float
        Decay time ``tau_d`` (ms) of the dopamine concentration.
    tonic : float
        Constant background dopamine added to ``d`` in the weight change (concentration units), >= 0.
    learning_rate : float
        Weight units per (eligibility unit x concentration unit x ms).
    w_min, w_max : float
        Hard bounds on every weight.
    pre_groups : int
        Groups of consecutive out-list slots that receive a presynaptic spike at their own
        time (e.g. one per axonal delay); must divide ``max_out``.
    dt_ms : float
        Simulation step (ms).

    Returns
    -------
    Rule
        ``update(state, weights, *, pre, post, reward)``; ``signals == ("reward",)``. ``pre``
        is (n_pre, pre_groups) (or (n_pre,) when ``pre_groups == 1``), ``post`` (n_post,), both
        0/1; ``reward`` the dopamine released in this step (a scalar).

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> rule = dopamine_stdp(dt_ms=1.0)
    >>> rule.signals
    ('reward',)
    >>> dopamine_stdp(tau_dopamine_ms=0.0, dt_ms=1.0)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: tau_dopamine_ms: got 0.0; allowed: a finite number > 0 (ms)
    >>> dopamine_stdp(w_min=4.0, w_max=0.0, dt_ms=1.0)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: w_max: got 0.0; allowed: a bound >= w_min = 4.0
    >>> dopamine_stdp(pre_groups=3, dt_ms=1.0).init(dense(2, 4, 1.0))
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: pre_groups: got 3; allowed: a divisor of max_out = 4
    """
    check_nonnegative(a_plus, "a_plus")
    check_nonnegative(a_minus, "a_minus")
    for value, name in ((tau_plus_ms, "tau_plus_ms"), (tau_minus_ms, "tau_minus_ms"),
                        (tau_eligibility_ms, "tau_eligibility_ms"), (tau_dopamine_ms, "tau_dopamine_ms")):
        check_positive(value, name, "ms")
    check_nonnegative(tonic, "tonic")
    check_finite(learning_rate, "learning_rate")
    check_bounds(w_min, w_max)
    if isinstance(pre_groups, bool) or not isinstance(pre_groups, int) or pre_groups < 1:
        raise BadInput("pre_groups", f"{pre_groups!r}", "a whole number >= 1")
    dt_ms = check_dt(dt_ms)
    decay_plus, decay_minus = jnp.exp(-dt_ms / tau_plus_ms), jnp.exp(-dt_ms / tau_minus_ms)
    decay_c, decay_d = jnp.exp(-dt_ms / tau_eligibility_ms), jnp.exp(-dt_ms / tau_dopamine_ms)

    def group_size(weights) -> int:
        if weights.max_out % pre_groups:
            raise BadInput("pre_groups", f"{pre_groups!r}", f"a divisor of max_out = {weights.max_out}")
        return weights.max_out // pre_groups

    def init(weights) -> DopamineSTDPState:
        group_size(weights)
        return DopamineSTDPState(jnp.zeros((weights.n_pre, pre_groups), jnp.float32),
                                 jnp.zeros((weights.n_post,), jnp.float32),
                                 jnp.zeros(weights.weights.shape, jnp.float32), jnp.zeros((), jnp.float32))

    def update(state: DopamineSTDPState, weights, *, pre, post, reward):
        """One step: ``(delta, state)``, ``delta = learning_rate * dt * c * (d + tonic)`` within the bounds.

        Parameters
        ----------
        state : DopamineSTDPState
            From ``init`` or the previous step.
        weights : Connectivity
            The projection's current weights (padded out-lists).
        pre : array (n_pre, pre_groups), or (n_pre,) when ``pre_groups == 1``
            Presynaptic spikes arriving at each group of synapses in this step (0/1).
        post : array (n_post,)
            Postsynaptic spikes of this step (0/1).
        reward : float or array ()
            Dopamine released in this step (concentration units).
        """
        size = group_size(weights)
        pre = jnp.asarray(pre, jnp.float32)
        arrivals = pre.reshape(weights.n_pre, -1)
        if arrivals.shape[1] != pre_groups:
            raise BadInput("pre", f"shape {pre.shape}", f"(n_pre, pre_groups) = ({weights.n_pre}, {pre_groups})")
        pre_trace = state.pre_trace * decay_plus + arrivals
        # Both postsynaptic values every synapse needs, read in one gather (padding reads 0):
        # the post trace before this step's spike (depression: a post spike in the step of an
        # arrival is pre-before-post only) and this step's post spike (potentiation).
        table = jnp.stack([jnp.append(state.post_trace, 0.0), jnp.append(jnp.asarray(post, jnp.float32), 0.0)], axis=1)
        at_targets = table[weights.targets].reshape(weights.n_pre, pre_groups, size, 2)
        terms = (a_plus * pre_trace[:, :, None] * at_targets[..., 1]
                 - a_minus * arrivals[:, :, None] * at_targets[..., 0]).reshape(weights.weights.shape)
        post_trace = state.post_trace * decay_minus + post
        eligibility = state.eligibility * decay_c + terms          # 0 on padding: both values read there are 0
        dopamine = state.dopamine * decay_d + reward
        change = learning_rate * dt_ms * eligibility * (dopamine + tonic)
        return bounded_change(weights, change, w_min, w_max), DopamineSTDPState(pre_trace, post_trace, eligibility, dopamine)

    return Rule(init=init, update=update, signals=("reward",))
