"""Dual propagation (Høier, Staudt & Zach, ICML 2023): one inference phase, closed form, local updates.

Every hidden unit is a dyad (:mod:`bioplastic.neurons.dyadic`) with states ``s+`` and
``s-``; their mean ``sbar`` is the activity, their difference the error. Inference on a
batch ``(x, y)`` of a layered network (:mod:`bioplastic.layers.mlp`):

1. forward pass with ``s+ = s-`` (an ordinary network);
2. nudged output dyad, in closed form. Squared error (``output="mse"``, ``gamma < 2``)::

       s+_L = (2 a_L + gamma y) / (2 + gamma),    s-_L = (2 a_L - gamma y) / (2 - gamma)

   so ``s+_L - s-_L = -4 gamma (a_L - y) / (4 - gamma^2)``. Cross-entropy
   (``output="cross_entropy"``, a choice of ours: the paper's closed form is for squared
   error) nudges the logits along the loss gradient: ``s+-_L = a_L -+ (gamma / 2)
   (softmax(a_L) - y)``;
3. one top-down sweep (``sweeps`` > 1 repeats it; each sweep is still closed form, no
   iterative settling to a fixed point)::

       s+-_k = f( sbar_{k-1} W_{k-1} + b_{k-1} +- (gamma_k / 2) (s+_{k+1} - s-_{k+1}) B_k )

   with ``B_k = W_k^T`` (or separate feedback weights in the Kolen-Pollack variant).

Every layer has its own ``gamma_k`` (``k = 1 .. L``): ``gamma_L`` nudges the output, and
the hidden ``gamma_k`` is the feedback gain, the ratio ``beta_k / beta_{k+1}`` of the
paper's per-layer strengths, so ``beta_k = gamma_k gamma_{k+1} ... gamma_L``. One number
``gamma`` sets every layer to it, as the authors' code does (``γ`` in both the hidden
feedback and the output dyad); a sequence of ``L`` numbers sets them one by one, e.g.
``(1, ..., 1, gamma)`` nudges only the output.

The local update of layer ``k`` (batch mean), divided by the strength of the layer it
feeds::

    delta W_k = sbar_k^T (s+_{k+1} - s-_{k+1}) / beta_{k+1},     delta b_k = (s+_{k+1} - s-_{k+1}) / beta_{k+1}

a descent direction: as every ``gamma_k -> 0`` it equals minus the backprop gradient of
the loss (tested: cosine > 0.999 per layer with the output at ``gamma = 1e-3``; with all
layers that small the differences ``s+ - s-`` of the lowest layers shrink like
``gamma^(L - k + 1)`` and need float64).

Kolen-Pollack variant (``kolen_pollack=True``): the sweep uses feedback weights ``B_k``
of their own, kept in the rule state and changed by the transpose of the same local
update, ``B_k <- (1 - feedback_decay) B_k + feedback_learning_rate * delta W_k^T``. When
the forward weights are trained by SGD with that learning rate and the same decay
(``optax.chain(optax.add_decayed_weights(decay), optax.sgd(lr))``, ``feedback_decay = lr *
decay``), ``B_k - W_k^T`` shrinks by ``(1 - feedback_decay)`` every step: the feedback
aligns without weight transport.

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.layers.mlp import init_layers
>>> from bioplastic.rules.dual_propagation import dual_propagation
>>> rule = dual_propagation(gamma=0.5)
>>> layers = init_layers(jax.random.PRNGKey(0), (4, 6, 3))
>>> batch = (jnp.ones((2, 4)), jax.nn.one_hot(jnp.array([0, 2]), 3))
>>> delta, state = rule.update(rule.init(layers), layers, batch=batch)
>>> [d.weights.shape for d in delta]
[(4, 6), (6, 3)]
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, check_choice, check_positive, check_size
from bioplastic.neurons.activations import activation
from bioplastic.rules.base import Rule
from bioplastic.layers.mlp import OUTPUTS, Layer


class DualState(NamedTuple):
    """Rule state: the Kolen-Pollack feedback weights (one (n_out, n_in) array per layer), or ``()``.

    Example
    -------
    The Kolen-Pollack feedback starts as the transposed forward weights:

    >>> from bioplastic.layers.mlp import init_layers
    >>> layers = init_layers(jax.random.PRNGKey(0), (3, 4, 2))
    >>> state = dual_propagation(kolen_pollack=True).init(layers)
    >>> [b.shape for b in state.feedback], bool(jnp.all(state.feedback[1] == layers[1].weights.T))
    ([(4, 3), (2, 4)], True)
    >>> dual_propagation().init(layers)
    DualState(feedback=())
    """

    feedback: tuple


def output_dyad(output: str, logits, targets, gamma: float):
    """``(s+_L, s-_L)`` of the nudged output dyad (see the module docstring).

    Parameters
    ----------
    output : {"mse", "cross_entropy"}
        Squared-error or cross-entropy dyad (any other value also gives the cross-entropy one).
    logits : array
        The output's bottom-up drive ``a_L``, ``(batch, n_L)``.
    targets : array
        ``y``, ``(batch, n_L)``, one-hot for a classifier.
    gamma : float
        Nudging strength (``0 < gamma < 2`` for ``"mse"``).

    Example
    -------
    Squared error, ``a = 1``, ``y = 0``, ``gamma = 1``: ``s+ = 2/3``, ``s- = 2``, so
    ``s+ - s- = -4 gamma (a - y) / (4 - gamma^2) = -4/3``:

    >>> plus, minus = output_dyad("mse", jnp.array([1.0]), jnp.array([0.0]), gamma=1.0)
    >>> round(float(plus[0]), 4), float(minus[0]), round(float(plus[0] - minus[0]), 4)
    (0.6667, 2.0, -1.3333)

    Cross-entropy: the two states straddle the logits along the error ``softmax(a) - y``:

    >>> plus, minus = output_dyad("cross_entropy", jnp.zeros(2), jnp.array([1.0, 0.0]), gamma=1.0)
    >>> plus.tolist(), minus.tolist()
    ([0.25, -0.25], [-0.25, 0.25])
    """
    if output == "mse":
        return (2.0 * logits + gamma * targets) / (2.0 + gamma), (2.0 * logits - gamma * targets) / (2.0 - gamma)
    error = jax.nn.softmax(logits) - targets
    return logits - 0.5 * gamma * error, logits + 0.5 * gamma * error


def layer_gammas(gamma, n_layers: int) -> tuple[float, ...]:
    """``(gamma_1, ..., gamma_L)`` of an ``L``-layer network from one number or one per layer.

    Parameters
    ----------
    gamma : float or sequence of float
        One strength for every layer, or ``L`` of them (the last nudges the output).
    n_layers : int
        ``L``, the number of weight layers.

    Returns
    -------
    tuple of float
        ``L`` strengths; layer ``k``'s is at index ``k - 1``.

    Example
    -------
    >>> layer_gammas(0.5, 3), layer_gammas([1, 1, 0.5], 3)
    ((0.5, 0.5, 0.5), (1.0, 1.0, 0.5))
    >>> layer_gammas([1, 0.5], 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: gamma: got [1, 0.5]; allowed: one number, or one per weight layer (3 here)
    """
    if isinstance(gamma, (int, float)):
        return (float(gamma),) * n_layers
    if len(gamma) != n_layers:
        raise BadInput("gamma", repr(list(gamma)), f"one number, or one per weight layer ({n_layers} here)")
    return tuple(float(g) for g in gamma)


def infer(layers, x, y, *, gamma, hidden_activation: str = "relu", output: str = "mse",
          sweeps: int = 1, feedback=None):
    """Closed-form inference of all dyads; returns ``(s_plus, s_minus)`` lists, layer 0 = input.

    Parameters
    ----------
    layers : tuple of Layer
    x : array
        Inputs ``(batch, n_0)``.
    y : array
        Targets ``(batch, n_L)``, one-hot for a classifier.
    gamma : float or sequence of float
        ``gamma_k`` of every layer, or one for all (see :func:`layer_gammas`): the last
        nudges the output (:func:`output_dyad`), the others are the hidden feedback gains.
    hidden_activation : str
        ``f`` of the hidden dyads.
    output : {"mse", "cross_entropy"}
        The output dyad.
    sweeps : int
        Top-down sweeps after the forward pass.
    feedback : tuple of arrays, optional
        Kolen-Pollack weights, ``feedback[k]`` ``(n_{k+1}, n_k)`` in place of ``W_k^T`` (``feedback[0]`` unused);
        default the transposed forward weights.

    Returns
    -------
    s_plus, s_minus : list of arrays
        ``L + 1`` states ``(batch, n_k)`` each; both start with ``x``.

    Example
    -------
    A linear hidden unit (drive 1) under an output dyad of difference ``d = -4/3``
    (``a_L = 1``, ``y = 0``, ``gamma_L = 1``) through ``W_1 = 1``: ``s+- = 1 -+ (gamma_1 /
    2)(4/3)``, i.e. ``1 -+ 1/3`` at ``gamma_1 = 0.5``:

    >>> from bioplastic.layers.mlp import Layer
    >>> one = Layer(jnp.ones((1, 1)), jnp.zeros(1))
    >>> plus, minus = infer((one, one), jnp.ones((1, 1)), jnp.zeros((1, 1)), gamma=(0.5, 1.0),
    ...                     hidden_activation="linear")
    >>> round(float(plus[1][0, 0]), 4), round(float(minus[1][0, 0]), 4)
    (0.6667, 1.3333)
    """
    f = activation(hidden_activation)
    n = len(layers)
    gammas = layer_gammas(gamma, n)
    plus, drives = [x], [None]
    for k, layer in enumerate(layers):
        drives.append(plus[-1] @ layer.weights + layer.bias)
        plus.append(drives[-1] if k == n - 1 else f(drives[-1]))
    minus = list(plus)
    for sweep in range(sweeps):
        # A top-down sweep sets layer k before layer k - 1, so every bottom-up drive of the
        # sweep comes from the states at its start: the forward pass's for the first sweep.
        if sweep > 0:
            drives = [None] + [
                (0.5 * (plus[k - 1] + minus[k - 1])) @ layers[k - 1].weights + layers[k - 1].bias
                for k in range(1, n + 1)
            ]
        plus[n], minus[n] = output_dyad(output, drives[n], y, gammas[n - 1])
        for k in range(n - 1, 0, -1):
            down = feedback[k] if feedback is not None else layers[k].weights.T
            nudge = 0.5 * gammas[k - 1] * (plus[k + 1] - minus[k + 1]) @ down
            plus[k], minus[k] = f(drives[k] + nudge), f(drives[k] - nudge)
    return plus, minus


def local_updates(plus, minus, gamma) -> tuple[Layer, ...]:
    """``delta W_k = sbar_k^T (s+ - s-)_{k+1} / (beta_{k+1} * batch)`` and the bias analogue, per layer.

    Parameters
    ----------
    plus, minus : list of arrays
        ``(batch, n_k)`` states ``s+`` and ``s-``, layer 0 the input (as from :func:`infer`).
    gamma : float or sequence of float
        The strengths the states were inferred with (see :func:`layer_gammas`);
        ``beta_{k+1}`` is the product of those of layers ``k + 1 .. L``.

    Returns
    -------
    tuple of Layer
        One descent direction per weight layer, ``len(plus) - 1`` of them.

    Example
    -------
    >>> x = jnp.array([[1.0, 2.0]])
    >>> delta = local_updates([x, jnp.array([[0.5]])], [x, jnp.array([[1.5]])], gamma=0.5)
    >>> delta[0].weights.tolist(), delta[0].bias.tolist()
    ([[-2.0], [-4.0]], [-2.0])
    """
    batch = plus[0].shape[0]
    gammas = layer_gammas(gamma, len(plus) - 1)
    updates = []
    for k in range(len(plus) - 1):
        error = (plus[k + 1] - minus[k + 1]) / float(np.prod(gammas[k:]))
        sbar = 0.5 * (plus[k] + minus[k])
        updates.append(Layer(sbar.T @ error / batch, jnp.mean(error, axis=0)))
    return tuple(updates)


def dual_propagation(gamma=1.0, hidden_activation: str = "relu", output: str = "mse", sweeps: int = 1,
                     kolen_pollack: bool = False, feedback_learning_rate: float = 0.01,
                     feedback_decay: float = 0.0) -> Rule:
    """The dual propagation rule for layered networks; ``update(..., batch=(x, y_onehot))``.

    Parameters
    ----------
    gamma : float or sequence of float
        One strength for every layer (the authors' ``γ``), or one per weight layer, the
        last nudging the output (see the module docstring); ``0 < gamma_L < 2`` for
        squared error, every ``gamma_k > 0``.
    hidden_activation : str
        Activation of the hidden dyads.
    output : {"mse", "cross_entropy"}
        Output dyad.
    sweeps : int
        Top-down sweeps after the forward pass (1 is the paper's default).
    kolen_pollack : bool
        Separate feedback weights learned with the transposed update.
    feedback_learning_rate, feedback_decay : float
        Step size and decay of the Kolen-Pollack feedback weights (see above).

    Returns
    -------
    Rule
        ``init(layers) -> DualState``; ``update(state, layers, *, batch) -> (delta, state)``
        where ``delta`` (a tuple of :class:`Layer`) is a descent direction.

    Example
    -------
    For a small output strength (hidden gains 1) the update is minus the backprop
    gradient, in size as well as direction:

    >>> from bioplastic.rules.backprop import backprop
    >>> from bioplastic.layers.mlp import init_layers
    >>> layers = init_layers(jax.random.PRNGKey(0), (3, 4, 2))
    >>> x = jax.random.normal(jax.random.PRNGKey(1), (8, 3))
    >>> y = jax.nn.one_hot(jnp.arange(8) % 2, 2)
    >>> dp, _ = dual_propagation(gamma=[1.0, 1e-3]).update((), layers, batch=(x, y))
    >>> bp, _ = backprop().update((), layers, batch=(x, y))
    >>> leaves = jax.tree_util.tree_leaves
    >>> [bool(jnp.allclose(d, b, atol=1e-3)) for d, b in zip(leaves(dp), leaves(bp))]   # W_0, b_0, W_1, b_1
    [True, True, True, True]
    >>> dual_propagation(gamma=2.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: gamma: got 2.0; allowed: 0 < gamma < 2 for the squared-error output dyad ...
    """
    check_choice(output, "output", OUTPUTS)
    activation(hidden_activation, "hidden_activation")
    strengths = [gamma] if isinstance(gamma, (int, float)) else list(gamma) if isinstance(gamma, (list, tuple)) else []
    if not strengths or any(isinstance(g, bool) or not isinstance(g, (int, float)) for g in strengths):
        raise BadInput("gamma", repr(gamma), "a number > 0, or a list of them, one per weight layer")
    for value in strengths:
        check_positive(value, "gamma")
    if output == "mse" and strengths[-1] >= 2.0:
        raise BadInput("gamma",
                       f"{strengths[-1]!r}",
                       "0 < gamma < 2 for the squared-error output dyad (s-_L divides by 2 - gamma)")
    check_size(sweeps, "sweeps")

    def init(layers) -> DualState:
        if not kolen_pollack:
            return DualState(())
        return DualState(tuple(layer.weights.T for layer in layers))

    def update(state: DualState, layers, *, batch):
        """``(delta, state)`` for one batch; the Kolen-Pollack feedback weights in ``state`` learn too.

        Parameters
        ----------
        state : DualState
            From ``init``.
        layers : tuple of Layer
        batch : tuple
            ``(x, y)``: inputs ``(batch, n_0)`` and targets ``(batch, n_L)``, one-hot for a classifier.
        """
        x, y = batch
        feedback = state.feedback if kolen_pollack else None
        plus, minus = infer(layers, x, y, gamma=gamma, hidden_activation=hidden_activation, output=output,
                            sweeps=sweeps, feedback=feedback)
        delta = local_updates(plus, minus, gamma)
        if kolen_pollack:
            state = DualState(tuple(
                b * (1.0 - feedback_decay) + feedback_learning_rate * d.weights.T for b, d in zip(state.feedback, delta)
            ))
        return delta, state

    return Rule(init=init, update=update, signals=("batch",))
