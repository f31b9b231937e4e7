"""Equilibrium propagation (Scellier & Bengio 2017): two phases of iterative settling.

The layered network is read as an energy-based (Hopfield-like) network with symmetric
connections and energy
``E = sum_k (|s_k|^2 / 2 - s_{k-1} W_{k-1} s_k - b_{k-1} s_k) + beta |y - s_L|^2 / 2``.
Unit states settle by sweeps of its fixed-point equations (odd layers first, then even
layers, so that every half-sweep lowers the energy instead of oscillating)::

    s_k <- rho( s_{k-1} W_{k-1} + b_{k-1} + s_{k+1} W_k^T )        (hidden layers)
    s_L <- (s_{L-1} W_{L-1} + b_{L-1} + beta y) / (1 + beta)      (linear output)

``free_steps`` sweeps with ``beta = 0`` from the forward pass (the free phase), then
``nudged_steps`` sweeps with ``beta > 0`` from the free equilibrium (the nudged phase).
The update is contrastive Hebbian, scaled by ``1 / beta``::

    delta W_k = (s^beta_k^T s^beta_{k+1} - s^0_k^T s^0_{k+1}) / (beta * batch)

and, for small ``beta`` and settled phases, equals minus the gradient of the loss at the
free equilibrium (tested against ``jax.grad`` through the settled dynamics). ``rho`` must
be bounded for the settling to converge: the default is the hard sigmoid ``clip(x, 0, 1)``
of the EP literature. Each phase is a ``lax.fori_loop`` of full network sweeps, which is
what makes this rule costly -- the speed gap that dual propagation removes. A trained
network predicts with its free-phase output (:func:`predict`).

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.layers.mlp import init_layers
>>> from bioplastic.rules.equilibrium_propagation import equilibrium_propagation
>>> rule = equilibrium_propagation(free_steps=5, nudged_steps=3)
>>> layers = init_layers(jax.random.PRNGKey(0), (4, 6, 3))
>>> delta, _ = rule.update(rule.init(layers), layers, batch=(jnp.ones((2, 4)), jnp.eye(3)[:2]))
>>> delta[0].weights.shape
(4, 6)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from bioplastic._checks import check_positive, check_size
from bioplastic.neurons.activations import activation
from bioplastic.rules.base import Rule
from bioplastic.layers.mlp import Layer, forward


def settle(layers, states, y, beta, steps: int, hidden_activation: str):
    """``steps`` sweeps of the settling dynamics; the input ``states[0]`` is clamped.

    Each sweep updates the odd layers from their (fixed) even neighbours, then the even
    layers from the new odd ones. In a layered network with symmetric connections every
    such half-sweep lowers the energy, so the dynamics settle instead of oscillating
    (as fully synchronous updates can).

    Parameters
    ----------
    layers : tuple of Layer
        The network (weights shared by the upward and the downward drive).
    states : list of arrays
        ``[s_0 = x, s_1, ..., s_L]``, each ``(batch, n_k)``: where the settling starts.
    y : array
        One-hot targets ``(batch, n_L)``, seen by the output only when ``beta > 0``.
    beta : float
        Nudging strength (0: the free phase).
    steps : int
        Number of sweeps.
    hidden_activation : str
        ``rho`` of the hidden layers.

    Returns
    -------
    list of arrays
        The states after the last sweep, shaped like ``states``.

    Example
    -------
    One linear layer settles in one sweep to ``(x W + b + beta y) / (1 + beta)``:
    ``(3.5 + 1) / 2 = 2.25`` for ``beta = 1``:

    >>> from bioplastic.layers.mlp import Layer
    >>> layers = (Layer(jnp.array([[1.0], [2.0]]), jnp.array([0.5])),)
    >>> x = jnp.array([[1.0, 1.0]])
    >>> settle(layers, [x, jnp.zeros((1, 1))], jnp.array([[1.0]]), 1.0, 1, "hard_sigmoid")[-1].tolist()
    [[2.25]]
    """
    rho = activation(hidden_activation)
    n = len(layers)

    def target(states, k):
        drive = states[k - 1] @ layers[k - 1].weights + layers[k - 1].bias
        if k < n:
            return rho(drive + states[k + 1] @ layers[k].weights.T)
        return (drive + beta * y) / (1.0 + beta)  # fixed point of s_L = drive + beta (y - s_L)

    def sweep(_, states):
        states = list(states)
        for parity in (1, 0):
            for k in range(1, n + 1):
                if k % 2 == parity:
                    states[k] = target(states, k)
        return states

    return jax.lax.fori_loop(0, steps, sweep, list(states))


def predict(layers, x, hidden_activation: str = "hard_sigmoid", free_steps: int = 20):
    """Free-phase equilibrium output of a batch.

    The settling starts from the forward pass.

    Parameters
    ----------
    layers : tuple of Layer
    x : array
        Inputs ``(batch, n_0)``.
    hidden_activation : str
        ``rho``, as in training.
    free_steps : int
        Sweeps of :func:`settle` with ``beta = 0``.

    Returns
    -------
    array
        The output ``s_L``, ``(batch, n_L)``.

    Example
    -------
    Without hidden layers the free equilibrium is the linear output ``x W + b``:

    >>> from bioplastic.layers.mlp import Layer
    >>> layers = (Layer(jnp.array([[1.0], [2.0]]), jnp.array([0.5])),)
    >>> predict(layers, jnp.array([[1.0, 1.0]])).tolist()
    [[3.5]]
    """
    states = forward(layers, x, hidden_activation)
    return settle(layers, states, jnp.zeros_like(states[-1]), 0.0, free_steps, hidden_activation)[-1]


def equilibrium_propagation(beta: float = 0.5, free_steps: int = 20, nudged_steps: int = 8,
                            hidden_activation: str = "hard_sigmoid") -> Rule:
    """The EP rule on a layered network; ``update(..., batch=(x, y_onehot))``.

    Parameters
    ----------
    beta : float
        Nudging strength of the second phase (> 0); the update is scaled by ``1 / beta``.
    free_steps, nudged_steps : int
        Sweeps of :func:`settle` in the free and the nudged phase.
    hidden_activation : str
        ``rho``; a bounded one (the default hard sigmoid) for the settling to converge.

    Returns
    -------
    Rule
        ``update(state, layers, *, batch) -> (delta, state)``; ``delta`` (a tuple of
        :class:`~bioplastic.layers.mlp.Layer`) is a descent direction, the state ``()``.

    Example
    -------
    On one linear layer (output 3.5, target 1) the nudge moves the output by
    ``beta (y - a) / (1 + beta)``, so ``delta = -(a - y) x / (1 + beta)``: half of
    backprop's ``-2.5`` at ``beta = 1``, and backprop's own value as ``beta -> 0``:

    >>> from bioplastic.layers.mlp import Layer
    >>> layers = (Layer(jnp.array([[1.0], [2.0]]), jnp.array([0.5])),)
    >>> batch = (jnp.array([[1.0, 1.0]]), jnp.array([[1.0]]))
    >>> delta, _ = equilibrium_propagation(beta=1.0, free_steps=1, nudged_steps=1).update((), layers, batch=batch)
    >>> delta[0].weights.tolist(), delta[0].bias.tolist()
    ([[-1.25], [-1.25]], [-1.25])
    >>> delta, _ = equilibrium_propagation(beta=1e-3, free_steps=1, nudged_steps=1).update((), layers, batch=batch)
    >>> round(float(delta[0].bias[0]), 2)
    -2.5
    """
    check_positive(beta, "beta")
    check_size(free_steps, "free_steps")
    check_size(nudged_steps, "nudged_steps")
    activation(hidden_activation, "hidden_activation")

    def update(state, layers, *, batch):
        """``(delta, state)`` from a free and a nudged phase on one batch.

        Parameters
        ----------
        state : tuple
            ``()``, returned as it is.
        layers : tuple of Layer
        batch : tuple
            ``(x, y)``: inputs ``(batch, n_0)`` and one-hot targets ``(batch, n_L)``.
        """
        x, y = batch
        start = forward(layers, x, hidden_activation)
        free = settle(layers, start, y, 0.0, free_steps, hidden_activation)
        nudged = settle(layers, free, y, beta, nudged_steps, hidden_activation)
        size = x.shape[0]
        delta = tuple(
            Layer(
                (nudged[k].T @ nudged[k + 1] - free[k].T @ free[k + 1]) / (beta * size),
                jnp.mean(nudged[k + 1] - free[k + 1], axis=0) / beta,
            )
            for k in range(len(layers))
        )
        return delta, state

    return Rule(init=lambda layers: (), update=update, signals=("batch",))
