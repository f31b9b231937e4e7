"""Oja's rule: Hebbian learning with a weight decay that normalises the weight vector.

Oja (1982) showed that a linear neuron ``y_j = sum_i w_ij x_i`` whose weights follow::

    dw_ij / dt = learning_rate * y_j * (x_i - y_j * w_ij)

-- Hebbian growth ``y x`` minus a decay ``y^2 w`` proportional to the squared output --
converges, for zero-mean stationary inputs with covariance ``C`` and a small enough
learning rate, to ``w = +-e_1``, the unit-norm eigenvector of ``C`` with the largest
eigenvalue (the first principal component; uncentred second moments if the mean is not
zero). The decay keeps ``|w|`` at 1 without an explicit normalisation: the rule is the
first-order expansion in ``learning_rate`` of Hebb's rule followed by division by the norm.

Each postsynaptic neuron ``j`` learns on its own (there is no interaction between
outputs: several outputs all converge to ``+-e_1``). The subspace rule of
:mod:`bioplastic.rules.hebbian_subspace` (Oja 1989), where each output's decay uses every
output's reconstruction, is its many-neuron generalisation; with one output neuron the two
rules are the same.

Numerics: forward Euler per step, ``delta_ij = learning_rate * dt * y_j (x_i - y_j w_ij)``,
with ``x`` (``pre``) and ``y`` (``post``) this step's rates; ``y`` is whatever the network
computed (the rule does not recompute it). Every synapse changes at every step, so the
rule is not event-driven. Units: ``learning_rate`` in 1/ms per unit of ``x y``; ``x`` and
``y`` in the same units (weights dimensionless).

Example
-------
>>> import jax.numpy as jnp
>>> from bioplastic.rules.oja import oja
>>> from bioplastic.synapses.connectivity import dense
>>> rule = oja(learning_rate=0.1, dt_ms=1.0)
>>> w = dense(2, 1, 0.5)                                         # w = [0.5, 0.5]
>>> x = jnp.array([1.0, 0.0])
>>> y = (w.weights[:, 0] * x).sum(keepdims=True)                # y = 0.5
>>> delta, state = rule.update(rule.init(w), w, pre=x, post=y)
>>> [round(float(d), 4) for d in delta[:, 0]]                    # 0.1 * 0.5 * ([1, 0] - 0.5 * [0.5, 0.5])
[0.0375, -0.0125]
>>> state
()
"""

from __future__ import annotations

import jax.numpy as jnp

from bioplastic._checks import check_dt, check_positive
from bioplastic.rules.base import Rule


def oja(learning_rate=1e-3, *, dt_ms) -> Rule:
    """Oja's single-neuron rule ``dw_ij/dt = learning_rate y_j (x_i - y_j w_ij)`` (see the module docstring).

    Not event-driven: every synapse changes at every step (rates, not spikes). The state is
    empty (``()``).

    Parameters
    ----------
    learning_rate : float
        ``eta`` (1/ms per unit of ``x y``, > 0). The Euler step is stable for
        ``learning_rate * dt_ms * E[y^2]`` well below 1.
    dt_ms : float
        Simulation step (ms).

    Returns
    -------
    Rule
        ``update(state, weights, *, pre, post) -> (delta, ())``, ``delta`` (n_pre, max_out),
        0 on padding; ``signals == ()``.

    Example
    -------
    A weight vector along the input that already has unit norm does not change
    (``y = 1``, ``x - y w = 0``):

    >>> from bioplastic.synapses.connectivity import dense
    >>> rule = oja(learning_rate=0.5, dt_ms=1.0)
    >>> w = dense(1, 1, 1.0)
    >>> delta, _ = rule.update(rule.init(w), w, pre=jnp.array([1.0]), post=jnp.array([1.0]))
    >>> delta.tolist()
    [[0.0]]
    >>> oja(learning_rate=-1.0, dt_ms=1.0)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: learning_rate: got -1.0; allowed: a finite number > 0 (1/ms)
    """
    check_positive(learning_rate, "learning_rate", "1/ms")
    step_rate = learning_rate * check_dt(dt_ms)

    def init(weights):
        return ()

    def update(state, weights, *, pre, post):
        """One step: ``delta_ij = learning_rate * dt * y_j (x_i - y_j w_ij)``, 0 on padding.

        Parameters
        ----------
        state : tuple
            ``()``.
        weights : Connectivity
            The projection's current weights (padded out-lists).
        pre, post : array (n_pre,), array (n_post,)
            This step's presynaptic rates ``x`` and postsynaptic outputs ``y``.

        Returns
        -------
        tuple
            ``delta`` (n_pre, max_out) and ``()``.
        """
        y = weights.at_targets(post)
        change = step_rate * y * (pre[:, None] - y * weights.weights)
        return jnp.where(weights.mask, change, 0.0), state

    return Rule(init=init, update=update, signals=())
