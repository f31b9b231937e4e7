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
free equilibrium (tested against ``jax.grad`` through the settled dynamics). This
one-sided estimate is biased by O(beta). Laborieux et al. (2021) remove the first-order
bias in two ways, both options here:

* ``estimate="symmetric"``: two nudged phases from the free equilibrium, at ``+beta`` and
  ``-beta``, and ``delta W_k = (s^+beta_k^T s^+beta_{k+1} - s^-beta_k^T s^-beta_{k+1}) /
  (2 beta batch)`` (bias O(beta^2));
* ``random_sign=True``: the one-sided estimate with the sign of ``beta`` drawn at random
  for every batch, so the O(beta) bias averages out over training.

``tolerance`` settles each phase until no unit moves by more than it in a sweep (the
sweep counts become caps), instead of a fixed number of sweeps. ``rho`` must
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

from typing import Optional

import jax
import jax.numpy as jnp

from bioplastic._checks import BadInput, check_choice, check_positive, check_size
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


def settle_until(layers, states, y, beta, max_steps: int, tolerance: float, hidden_activation: str):
    """Sweeps of :func:`settle` until no unit changes by more than ``tolerance`` in one sweep.

    Parameters
    ----------
    layers, states, y, beta, hidden_activation
        As for :func:`settle`.
    max_steps : int
        At most this many sweeps, settled or not.
    tolerance : float
        The largest change of any unit state in the last sweep at which settling stops.

    Returns
    -------
    states : list of arrays
        The settled states.
    sweeps : int array
        The number of sweeps it took (``max_steps`` if it never got within ``tolerance``).

    Example
    -------
    One linear layer is settled after its first sweep, which the second confirms:

    >>> from bioplastic.layers.mlp import Layer
    >>> layers = (Layer(jnp.array([[1.0], [2.0]]), jnp.array([0.5])),)
    >>> states, sweeps = settle_until(layers, [jnp.ones((1, 2)), jnp.zeros((1, 1))], jnp.ones((1, 1)), 1.0, 50,
    ...                               1e-6, "hard_sigmoid")
    >>> states[-1].tolist(), int(sweeps)
    ([[2.25]], 2)
    """

    def unsettled(carry):
        sweeps, _, change = carry
        return (sweeps < max_steps) & (change > tolerance)

    def sweep(carry):
        sweeps, states, _ = carry
        new = settle(layers, states, y, beta, 1, hidden_activation)
        change = jnp.max(jnp.stack([jnp.max(jnp.abs(a - b)) for a, b in zip(new[1:], states[1:])]))
        return sweeps + 1, new, change

    start = (jnp.asarray(0), list(states), jnp.asarray(jnp.inf, states[-1].dtype))
    sweeps, states, _ = jax.lax.while_loop(unsettled, sweep, start)
    return states, sweeps


def _settle(layers, states, y, beta, steps: int, tolerance, hidden_activation: str):
    if tolerance is None:
        return settle(layers, states, y, beta, steps, hidden_activation)
    return settle_until(layers, states, y, beta, steps, tolerance, hidden_activation)[0]


def predict(layers, x, hidden_activation: str = "hard_sigmoid", free_steps: int = 20, tolerance=None):
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
        Sweeps of :func:`settle` with ``beta = 0`` (the cap, with ``tolerance``).
    tolerance : float, optional
        Settle until no unit moves by more than this in a sweep (:func:`settle_until`).

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
    return _settle(layers, states, jnp.zeros_like(states[-1]), 0.0, free_steps, tolerance, hidden_activation)[-1]


ESTIMATES = ("one_sided", "symmetric")


def _correlations(states):
    """``(s_k^T s_{k+1} / batch, mean s_{k+1})`` per layer: the terms the contrastive update subtracts."""
    size = states[0].shape[0]
    return [Layer(states[k].T @ states[k + 1] / size, jnp.mean(states[k + 1], axis=0)) for k in range(len(states) - 1)]


def equilibrium_propagation(beta: float = 0.5, free_steps: int = 20, nudged_steps: int = 8,
                            hidden_activation: str = "hard_sigmoid", estimate: str = "one_sided",
                            random_sign: bool = False, tolerance: Optional[float] = None,
                            key: Optional[jax.Array] = None) -> Rule:
    """The EP rule on a layered network; ``update(..., batch=(x, y_onehot))``.

    Parameters
    ----------
    beta : float
        Nudging strength of the second phase (> 0; < 1 when a phase nudges at ``-beta``);
        the update is scaled by ``1 / beta``.
    free_steps, nudged_steps : int
        Sweeps of :func:`settle` in the free and the nudged phase (caps, with ``tolerance``).
    hidden_activation : str
        ``rho``; a bounded one (the default hard sigmoid) for the settling to converge.
    estimate : {"one_sided", "symmetric"}
        One nudged phase at ``beta``, or two at ``+beta`` and ``-beta`` (Laborieux et al. 2021).
    random_sign : bool
        One-sided only: nudge at ``+beta`` or ``-beta``, drawn per batch.
    tolerance : float, optional
        Settle every phase until no unit moves by more than this in a sweep.
    key : jax key, optional
        Seeds the random signs (default ``PRNGKey(0)``); the rule state carries it on.

    Returns
    -------
    Rule
        ``update(state, layers, *, batch) -> (delta, state)``; ``delta`` (a tuple of
        :class:`~bioplastic.layers.mlp.Layer`) is a descent direction, the state ``()``
        (or the key of the random signs).

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

    The symmetric estimate is ``(y - a) / (1 - beta^2)``, off backprop by O(beta^2) where the
    one-sided ``(y - a) / (1 + beta)`` is off by O(beta): at ``beta = 0.1``, -2.53 and -2.27:

    >>> def bias_update(**options):
    ...     rule = equilibrium_propagation(beta=0.1, free_steps=1, nudged_steps=1, **options)
    ...     return round(float(rule.update((), layers, batch=batch)[0][0].bias[0]), 2)
    >>> bias_update(estimate="symmetric"), bias_update()
    (-2.53, -2.27)
    """
    check_positive(beta, "beta")
    check_size(free_steps, "free_steps")
    check_size(nudged_steps, "nudged_steps")
    check_choice(estimate, "estimate", ESTIMATES)
    activation(hidden_activation, "hidden_activation")
    if tolerance is not None:
        check_positive(tolerance, "tolerance")
    if random_sign and estimate == "symmetric":
        raise BadInput("random_sign", "True with estimate='symmetric'",
                       "random_sign with estimate='one_sided' (the symmetric estimate nudges both ways already)")
    if (random_sign or estimate == "symmetric") and beta >= 1.0:
        raise BadInput("beta", repr(beta), "0 < beta < 1 when a phase nudges at -beta (its output divides by 1 - beta)")

    def init(layers):
        return (key if key is not None else jax.random.PRNGKey(0)) if random_sign else ()

    def update(state, layers, *, batch):
        """``(delta, state)`` from a free and one or two nudged phases on one batch.

        Parameters
        ----------
        state : tuple or jax key
            ``()``, returned as it is; with ``random_sign`` the key, returned split.
        layers : tuple of Layer
        batch : tuple
            ``(x, y)``: inputs ``(batch, n_0)`` and one-hot targets ``(batch, n_L)``.
        """
        x, y = batch

        def phase(start, strength, steps):
            return _settle(layers, start, y, strength, steps, tolerance, hidden_activation)

        free = phase(forward(layers, x, hidden_activation), 0.0, free_steps)
        if estimate == "symmetric":
            upper, lower, scale = phase(free, beta, nudged_steps), phase(free, -beta, nudged_steps), 2.0 * beta
        else:
            signed = beta
            if random_sign:
                state, draw = jax.random.split(state)
                signed = jnp.where(jax.random.bernoulli(draw), beta, -beta)
            upper, lower, scale = phase(free, signed, nudged_steps), free, signed
        delta = tuple(
            Layer((up.weights - low.weights) / scale, (up.bias - low.bias) / scale)
            for up, low in zip(_correlations(upper), _correlations(lower))
        )
        return delta, state

    return Rule(init=init, update=update, signals=("batch",))
