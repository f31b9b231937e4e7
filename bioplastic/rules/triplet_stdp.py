"""Triplet STDP (Pfister & Gerstner 2006): pair terms plus a third spike's slow trace.

Pfister & Gerstner (2006, J. Neurosci. 26:9673, "Triplets of spikes in a model of spike
timing-dependent plasticity", eqs. 3-4). Each presynaptic neuron keeps two traces, ``r1``
(time constant ``tau_plus``) and ``r2`` (``tau_x``); each postsynaptic neuron two, ``o1``
(``tau_minus``) and ``o2`` (``tau_y``). Between spikes every trace decays exponentially;
at a spike of its neuron it jumps by 1 (*all-to-all* interaction) or is reset to 1
(*nearest-spike* interaction: only the last spike counts). The weight changes at spikes
only::

    at a presynaptic spike:   w -= o1 (A2_minus + A3_minus r2)     r2: its value just before this spike
    at a postsynaptic spike:  w += r1 (A2_plus  + A3_plus  o2)     o2: its value just before this spike

so ``A2`` terms are the pair window of :func:`~bioplastic.rules.stdp.stdp` and ``A3`` terms
add a triplet: post-pre-post (an earlier post spike in ``o2``) potentiates more,
pre-post-pre (an earlier pre spike in ``r2``) depresses more. The slow traces are read
*before* their own jump: a spike does not count as its own triplet partner. Setting both
``A3`` to 0 gives pair STDP exactly.

Discrete time, step ``dt``, the convention of :func:`~bioplastic.rules.stdp.stdp`: each
step the traces decay by ``exp(-dt / tau)`` and then take this step's spikes (``pre``,
``post``: 0/1); the fast traces ``r1``, ``o1`` are read *after* that, so a pre and a post
spike in the same step count as a pair at lag 0 in both orders (``+A2_plus - A2_minus``),
while the slow traces ``r2``, ``o2`` are read before this step's spikes are added.

Parameter sets (``PARAMETER_SETS``, keyword arguments of :func:`triplet_stdp`): the
paper's fits, Table 3 (visual cortex, the pairing-frequency data of Sjostrom, Turrigiano &
Nelson 2001) and Table 4 (hippocampal cultures, the triplet and quadruplet data of Wang,
Gerkin, Nauen & Bi 2005), each for the all-to-all and the nearest-spike interaction and
for the *minimal* model (the fewest nonzero amplitudes: visual cortex ``A2_plus = A3_minus
= 0``, hippocampus ``A3_minus = 0``) and the *full* one. ``tau_plus = 16.8 ms`` and
``tau_minus = 33.7 ms`` are fixed in every row (from Bi & Poo 2001). Where ``A3_minus = 0``
the paper leaves ``tau_x`` blank (no output depends on it); the sets put the full model's
``tau_x`` of the same table and interaction there. The amplitudes are changes of a weight
normalized to its initial value (the data are relative changes). The defaults of
:func:`triplet_stdp` are the minimal all-to-all visual-cortex fit.

Like pair STDP the rule is event-driven: a synapse changes only in a step in which its
presynaptic or postsynaptic neuron fires, and the change is returned as a
:class:`~bioplastic.rules.events.SpikeTriggeredChange` (depression on the out-list rows of
the presynaptic spikes, potentiation on the synapses onto the postsynaptic ones). Weights
stay in ``[w_min, w_max]`` (hard bounds). Times in ms; amplitudes and bounds in the
projection's weight units.

Example
-------
Post-pre-post at 10 ms intervals: the second post spike potentiates by
``r1 (A2_plus + A3_plus o2) = exp(-10 / tau_plus) (A2_plus + A3_plus exp(-20 / tau_y))``:

>>> import jax.numpy as jnp
>>> from bioplastic.rules.triplet_stdp import triplet_stdp
>>> from bioplastic.synapses.connectivity import dense
>>> rule = triplet_stdp(a2_plus=0.005, a3_plus=0.01, tau_plus_ms=16.8, tau_y_ms=100.0, dt_ms=1.0)
>>> w = dense(1, 1, 0.5)
>>> state, changes = rule.init(w), []
>>> for t in range(21):                                      # post at 0 and 20 ms, pre at 10 ms
...     change, state = rule.update(state, w, pre=jnp.array([float(t == 10)]), post=jnp.array([float(t in (0, 20))]))
...     changes.append(float(change.dense(w)[0, 0]))
>>> expected = float(jnp.exp(-10 / 16.8) * (0.005 + 0.01 * jnp.exp(-20 / 100)))
>>> round(changes[20], 6), round(expected, 6)
(0.007272, 0.007272)
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic._checks import check_choice, check_dt, check_nonnegative, check_positive
from bioplastic.rules.base import Rule, check_bounds
from bioplastic.rules.events import SpikeTriggeredChange

INTERACTIONS = ("all_to_all", "nearest")

_FIXED = {"tau_plus_ms": 16.8, "tau_minus_ms": 33.7}      # both tables, every row (Bi & Poo 2001)

PARAMETER_SETS = {
    # Table 3, visual cortex (Sjostrom et al. 2001), all-to-all. Minimal: tau_x blank in the table (A3_minus = 0).
    "visual_cortex_all_to_all_minimal": dict(
        a2_plus=0.0, a3_plus=6.5e-3, a2_minus=7.1e-3, a3_minus=0.0, tau_x_ms=101.0, tau_y_ms=114.0,
        interaction="all_to_all", **_FIXED),
    "visual_cortex_all_to_all_full": dict(
        a2_plus=5e-10, a3_plus=6.2e-3, a2_minus=7e-3, a3_minus=2.3e-4, tau_x_ms=101.0, tau_y_ms=125.0,
        interaction="all_to_all", **_FIXED),
    # Table 3, visual cortex, nearest-spike. Minimal: tau_x blank (A3_minus = 0).
    "visual_cortex_nearest_minimal": dict(
        a2_plus=0.0, a3_plus=5e-2, a2_minus=8e-3, a3_minus=0.0, tau_x_ms=714.0, tau_y_ms=40.0,
        interaction="nearest", **_FIXED),
    "visual_cortex_nearest_full": dict(
        a2_plus=8.8e-11, a3_plus=5.3e-2, a2_minus=6.6e-3, a3_minus=3.1e-3, tau_x_ms=714.0, tau_y_ms=40.0,
        interaction="nearest", **_FIXED),
    # Table 4, hippocampal cultures (Wang et al. 2005), all-to-all. Minimal: tau_x blank (A3_minus = 0).
    "hippocampal_all_to_all_minimal": dict(
        a2_plus=5.3e-3, a3_plus=8e-3, a2_minus=3.5e-3, a3_minus=0.0, tau_x_ms=946.0, tau_y_ms=40.0,
        interaction="all_to_all", **_FIXED),
    "hippocampal_all_to_all_full": dict(
        a2_plus=6.1e-3, a3_plus=6.7e-3, a2_minus=1.6e-3, a3_minus=1.4e-3, tau_x_ms=946.0, tau_y_ms=27.0,
        interaction="all_to_all", **_FIXED),
    # Table 4, hippocampal cultures, nearest-spike. Minimal: tau_x blank (A3_minus = 0).
    "hippocampal_nearest_minimal": dict(
        a2_plus=4.6e-3, a3_plus=9.1e-3, a2_minus=3e-3, a3_minus=0.0, tau_x_ms=575.0, tau_y_ms=48.0,
        interaction="nearest", **_FIXED),
    "hippocampal_nearest_full": dict(
        a2_plus=4.6e-3, a3_plus=9.1e-3, a2_minus=3e-3, a3_minus=7.5e-9, tau_x_ms=575.0, tau_y_ms=47.0,
        interaction="nearest", **_FIXED),
}
"""The paper's fitted parameter sets, name -> keyword arguments of :func:`triplet_stdp` (see the module docstring).

Example
-------
>>> rule = triplet_stdp(**PARAMETER_SETS["hippocampal_all_to_all_full"], dt_ms=0.1)
>>> sorted(PARAMETER_SETS)[:2], PARAMETER_SETS["visual_cortex_nearest_minimal"]["interaction"]
(['hippocampal_all_to_all_full', 'hippocampal_all_to_all_minimal'], 'nearest')
"""

_DEFAULT = PARAMETER_SETS["visual_cortex_all_to_all_minimal"]


class TripletSTDPState(NamedTuple):
    """``r1``, ``r2`` (n_pre,) and ``o1``, ``o2`` (n_post,): the four traces (dimensionless).

    ``r1`` decays with ``tau_plus``, ``r2`` with ``tau_x``, ``o1`` with ``tau_minus``, ``o2``
    with ``tau_y``; each jumps by 1 at a spike of its neuron (all-to-all) or is set to 1
    (nearest-spike).

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> rule, w = triplet_stdp(dt_ms=1.0), dense(2, 3, 0.5)
    >>> state = rule.init(w)
    >>> state.r1.shape, state.o2.shape
    ((2,), (3,))
    >>> _, state = rule.update(state, w, pre=jnp.array([1.0, 0.0]), post=jnp.zeros(3))
    >>> _, state = rule.update(state, w, pre=jnp.zeros(2), post=jnp.zeros(3))         # 1 ms later
    >>> round(float(state.r1[0]), 4), round(float(jnp.exp(-1 / 16.8)), 4)
    (0.9422, 0.9422)
    """

    r1: jax.Array
    r2: jax.Array
    o1: jax.Array
    o2: jax.Array


def triplet_stdp(
    a2_plus=_DEFAULT["a2_plus"], a3_plus=_DEFAULT["a3_plus"], a2_minus=_DEFAULT["a2_minus"],
    a3_minus=_DEFAULT["a3_minus"], tau_plus_ms=_DEFAULT["tau_plus_ms"], tau_x_ms=_DEFAULT["tau_x_ms"],
    tau_minus_ms=_DEFAULT["tau_minus_ms"], tau_y_ms=_DEFAULT["tau_y_ms"], interaction=_DEFAULT["interaction"],
    w_min=0.0, w_max=1.0, *, dt_ms,
) -> Rule:
    """Triplet STDP with hard bounds (see the module docstring); needs no extra signal.

    The defaults are Pfister & Gerstner's (2006) minimal all-to-all fit to the visual-cortex
    data (their Table 3): ``A2_plus = 0``, ``A3_plus = 6.5e-3``, ``A2_minus = 7.1e-3``,
    ``A3_minus = 0``, ``tau_y = 114 ms`` (``tau_x`` unused, 101 ms), ``tau_plus = 16.8 ms``,
    ``tau_minus = 33.7 ms``. Other fits: ``triplet_stdp(**PARAMETER_SETS[name], dt_ms=...)``.

    Parameters
    ----------
    a2_plus, a3_plus : float
        Pair and triplet potentiation amplitudes (weight units), >= 0.
    a2_minus, a3_minus : float
        Pair and triplet depression amplitudes (weight units), >= 0.
    tau_plus_ms, tau_x_ms : float
        Decay times (ms) of the presynaptic traces ``r1`` and ``r2``.
    tau_minus_ms, tau_y_ms : float
        Decay times (ms) of the postsynaptic traces ``o1`` and ``o2``.
    interaction : str
        ``"all_to_all"`` (a spike adds 1 to its traces) or ``"nearest"`` (a spike sets them to 1).
    w_min, w_max : float
        Hard bounds on every weight.
    dt_ms : float
        Simulation step (ms).

    Example
    -------
    With the triplet amplitudes at 0 it is pair STDP: pre then post 10 ms later potentiates
    by ``A2_plus exp(-10 / tau_plus)``, the reverse order depresses by ``A2_minus exp(-10 / tau_minus)``:

    >>> from bioplastic.synapses.connectivity import dense
    >>> rule = triplet_stdp(a2_plus=0.01, a3_plus=0.0, a2_minus=0.012, dt_ms=1.0, w_min=-1.0)
    >>> w = dense(1, 1, 0.0)
    >>> def total(pre_at, post_at):
    ...     state, dw = rule.init(w), 0.0
    ...     for t in range(30):
    ...         change, state = rule.update(state, w, pre=jnp.array([float(t == pre_at)]),
    ...                                     post=jnp.array([float(t == post_at)]))
    ...         dw += float(change.dense(w)[0, 0])
    ...     return round(dw, 6)
    >>> total(5, 15), round(0.01 * float(jnp.exp(-10 / 16.8)), 6)
    (0.005514, 0.005514)
    >>> total(15, 5), round(-0.012 * float(jnp.exp(-10 / 33.7)), 6)
    (-0.008919, -0.008919)
    >>> triplet_stdp(interaction="nearest_spike", dt_ms=1.0)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: interaction: got 'nearest_spike'; allowed: 'all_to_all', 'nearest' (did you mean 'nearest'?)
    """
    for name, value in (("a2_plus", a2_plus), ("a3_plus", a3_plus), ("a2_minus", a2_minus), ("a3_minus", a3_minus)):
        check_nonnegative(value, name)
    for name, value in (("tau_plus_ms", tau_plus_ms), ("tau_x_ms", tau_x_ms), ("tau_minus_ms", tau_minus_ms),
                        ("tau_y_ms", tau_y_ms)):
        check_positive(value, name, "ms")
    check_choice(interaction, "interaction", INTERACTIONS)
    check_bounds(w_min, w_max)
    dt_ms = check_dt(dt_ms)
    decay_r1, decay_r2 = jnp.exp(-dt_ms / tau_plus_ms), jnp.exp(-dt_ms / tau_x_ms)
    decay_o1, decay_o2 = jnp.exp(-dt_ms / tau_minus_ms), jnp.exp(-dt_ms / tau_y_ms)
    nearest = interaction == "nearest"

    def take(trace, spikes):
        """A decayed trace after this step's spikes: +1 (all-to-all) or set to 1 (nearest-spike), for 0/1 spikes."""
        return trace + spikes * (1.0 - trace) if nearest else trace + spikes

    def init(weights) -> TripletSTDPState:
        pre, post = jnp.zeros((weights.n_pre,), jnp.float32), jnp.zeros((weights.n_post,), jnp.float32)
        return TripletSTDPState(pre, pre, post, post)

    def update(state: TripletSTDPState, weights, *, pre, post):
        """One step: ``(change, state)``; ``change`` touches only the synapses of neurons that fired.

        The change is a :class:`~bioplastic.rules.events.SpikeTriggeredChange`;
        ``change.dense(weights)`` is the same change as a (n_pre, max_out) array, kept within
        ``[w_min, w_max]``.

        Parameters
        ----------
        state : TripletSTDPState
            Traces from ``init`` or the previous step.
        weights : Connectivity
            The projection's current weights.
        pre, post : array (n_pre,), array (n_post,)
            This step's spikes (0/1).
        """
        r1 = take(state.r1 * decay_r1, pre)
        o1 = take(state.o1 * decay_o1, post)
        r2_before, o2_before = state.r2 * decay_r2, state.o2 * decay_o2       # the slow traces before this step's spikes
        depression = -(pre * (a2_minus + a3_minus * r2_before))                # per presynaptic neuron, times o1
        potentiation = post * (a2_plus + a3_plus * o2_before)                  # per postsynaptic neuron, times r1
        change = SpikeTriggeredChange(pre_gated=((depression, o1),), post_gated=((r1, potentiation),),
                                      pre_events=pre, post_events=post, w_min=w_min, w_max=w_max)
        return change, TripletSTDPState(r1, take(r2_before, pre), o1, take(o2_before, post))

    return Rule(init=init, update=update, signals=())
