"""BCM: rate-based Hebbian plasticity with a sliding modification threshold.

Bienenstock, Cooper & Munro (1982) made the sign of a synaptic change depend on whether
the postsynaptic activity ``y`` is above or below a modification threshold ``theta``
that itself grows with the neuron's recent activity. We implement the form of Intrator &
Cooper (1992), in which the threshold is the mean of the *squared* response,
``theta = E[y^2]``, and the modification function is ``phi(y, theta) = y (y - theta)``;
its averaged update is the gradient ascent of their projection index
``E[y^3] / 3 - E[y^2]^2 / 4``. Per synapse ``i -> j`` and per postsynaptic neuron ``j``::

    dw_ij / dt        = learning_rate * x_i * y_j * (y_j - theta_j)
    tau_theta dtheta_j / dt = y_j^2 - theta_j

``x`` (``pre``) and ``y`` (``post``) are this step's rates. The expectation ``E[y^2]``
of Intrator & Cooper is replaced, as in every online simulation of the rule, by the
exponentially weighted running average above (time constant ``tau_theta_ms``). We
implement their undivided form: Law & Cooper (1994) later divided the weight change by
``theta`` (``x y (y - theta) / theta``) to speed convergence; that changes the speed at
which weights move but not where they stop, and it is not the form asked for here.

Numerics, per step of ``dt``: the threshold is integrated exactly for ``y`` held over the
step (as the traces of :mod:`bioplastic.rules.stdp`)::

    theta <- y^2 + (theta - y^2) * exp(-dt / tau_theta)

and the weight change uses that updated threshold with this step's ``x`` and ``y``
(forward Euler for the slow weights)::

    delta_ij = learning_rate * dt * x_i * y_j * (y_j - theta_j),

clipped so that no weight leaves ``[w_min, w_max]`` (the defaults, ``-inf`` and ``inf``,
are the paper's unbounded rule). Fixed points: for one input pattern ``x`` shown all the
time, ``theta = y^2`` and ``y (y - y^2) = 0``, so ``y = theta = 1`` (stable) or ``y = 0``
(unstable); for ``K`` linearly independent patterns shown with probabilities ``p_k``, the
stable fixed points respond to one pattern ``k`` with ``y = theta = 1 / p_k`` and to the
others with 0 (Intrator & Cooper 1992) -- the selective states.

Every synapse changes at every step whatever the activity (``x_i`` and ``y_j`` are
rates, not events), so the rule is not event-driven: its cost per step is the number of
synapses.

Units: ``x`` and ``y`` in the rates' units (dimensionless, or Hz); ``theta`` in units of
``y^2``; ``learning_rate`` in 1/ms per unit of ``x y^2``; times in ms.

Example
-------
One pattern ``x = [1, 0]`` held on a neuron whose weight is 2 (``y = 2``), threshold
starting at 0: after one 1 ms step with ``tau_theta = 10`` ms,
``theta = 4 (1 - exp(-0.1))`` and ``delta_0 = 0.01 * 1 * 2 * (2 - theta)``:

>>> import jax.numpy as jnp
>>> from bioplastic.rules.bcm import bcm
>>> from bioplastic.synapses.connectivity import dense
>>> rule = bcm(learning_rate=0.01, tau_theta_ms=10.0, theta_initial=0.0, dt_ms=1.0)
>>> w = dense(2, 1, 2.0)
>>> delta, state = rule.update(rule.init(w), w, pre=jnp.array([1.0, 0.0]), post=jnp.array([2.0]))
>>> theta = 4 * (1 - float(jnp.exp(-0.1)))
>>> round(float(state.theta[0]), 5), round(theta, 5)
(0.38065, 0.38065)
>>> [round(float(d), 5) for d in delta[:, 0]], round(0.01 * 2 * (2 - theta), 5)
([0.03239, 0.0], 0.03239)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from bioplastic._checks import check_dt, check_nonnegative, check_positive
from bioplastic.rules.base import Rule, check_bounds


class BCMState(NamedTuple):
    """``theta`` (n_post,): each postsynaptic neuron's sliding threshold, in units of ``post**2``.

    It is the exponentially weighted running average of ``post**2`` with time constant
    ``tau_theta_ms``, started at ``theta_initial``.

    Example
    -------
    >>> from bioplastic.synapses.connectivity import dense
    >>> rule = bcm(tau_theta_ms=100.0, theta_initial=0.5, dt_ms=1.0)
    >>> state = rule.init(dense(4, 3, 0.1))
    >>> state.theta.shape, state.theta.tolist()
    ((3,), [0.5, 0.5, 0.5])
    """

    theta: jax.Array


def bcm(learning_rate=1e-4, tau_theta_ms=100.0, theta_initial=0.0, w_min=-math.inf, w_max=math.inf, *,
        dt_ms) -> Rule:
    """BCM with a sliding threshold (Intrator & Cooper 1992 form; see the module docstring).

    Not event-driven: every synapse changes at every step (rates, not spikes).

    Parameters
    ----------
    learning_rate : float
        ``eta`` in ``dw/dt = eta x y (y - theta)``, in 1/ms per unit of ``x y^2`` (> 0).
    tau_theta_ms : float
        Time constant (ms) of the running average ``theta`` of ``y^2`` (> 0). For stable
        learning it must be short compared with the time the weights take to change.
    theta_initial : float
        Threshold of every postsynaptic neuron at the start (units of ``y^2``, >= 0).
    w_min, w_max : float
        Hard bounds on every weight; ``-inf`` and ``inf`` (the defaults) mean none.
    dt_ms : float
        Simulation step (ms).

    Returns
    -------
    Rule
        ``update(state, weights, *, pre, post) -> (delta, state)``, ``delta`` (n_pre, max_out),
        0 on padding; ``signals == ()``.

    Example
    -------
    Below the threshold a synapse is depressed, above it potentiated, at 0 unchanged:

    >>> from bioplastic.synapses.connectivity import dense
    >>> rule = bcm(learning_rate=0.1, tau_theta_ms=1e9, theta_initial=1.0, dt_ms=1.0)   # theta ~ frozen at 1
    >>> w = dense(1, 3, 0.0)
    >>> delta, _ = rule.update(rule.init(w), w, pre=jnp.array([1.0]), post=jnp.array([0.5, 2.0, 0.0]))
    >>> [round(float(d), 4) + 0.0 for d in delta[0]]              # 0.1 y (y - 1)
    [-0.025, 0.2, 0.0]
    >>> bcm(tau_theta_ms=0.0, dt_ms=1.0)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: tau_theta_ms: got 0.0; allowed: a finite number > 0 (ms)
    >>> bcm(w_min=1.0, w_max=0.0, dt_ms=1.0)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: w_max: got 0.0; allowed: a bound >= w_min = 1.0
    """
    check_positive(learning_rate, "learning_rate", "1/ms")
    check_positive(tau_theta_ms, "tau_theta_ms", "ms")
    check_nonnegative(theta_initial, "theta_initial")
    check_bounds(w_min, w_max, "-inf / inf for no bound")
    dt_ms = check_dt(dt_ms)
    decay = math.exp(-dt_ms / tau_theta_ms)
    step_rate = learning_rate * dt_ms

    def init(weights) -> BCMState:
        return BCMState(jnp.full((weights.n_post,), theta_initial, jnp.float32))

    def update(state: BCMState, weights, *, pre, post):
        """One step: the threshold follows ``post**2``, then ``delta = eta dt pre post (post - theta)``.

        Parameters
        ----------
        state : BCMState
            Thresholds (n_post,) from ``init`` or the previous step.
        weights : Connectivity
            The projection's current weights (padded out-lists).
        pre, post : array (n_pre,), array (n_post,)
            This step's presynaptic and postsynaptic rates.

        Returns
        -------
        tuple
            ``delta`` (n_pre, max_out), kept within ``[w_min, w_max]``, 0 on padding; the new state.
        """
        square = post * post
        theta = square + (state.theta - square) * decay
        phi = post * (post - theta)                            # (n_post,): one value per neuron
        change = step_rate * pre[:, None] * weights.at_targets(phi)
        bounded = jnp.clip(change, w_min - weights.weights, w_max - weights.weights)   # exact inside the bounds
        return jnp.where(weights.mask, bounded, 0.0), BCMState(theta)

    return Rule(init=init, update=update, signals=())
