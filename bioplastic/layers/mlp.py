"""Layered networks for batch-level learning rules: parameters, forward pass, losses.

A layered network maps ``x = s_0`` through ``L`` weight layers::

    a_{k+1} = s_k W_k + b_k,        s_{k+1} = f(a_{k+1})   (k < L - 1)
    a_L     = s_{L-1} W_{L-1} + b_{L-1}                     (linear output)

Weights ``W_k`` have shape ``(n_k, n_{k+1})`` (rows: presynaptic), so a batch of row
vectors ``s`` propagates as ``s @ W``. Parameters are a tuple of :class:`Layer` pytrees,
the same for every rule (backprop, dual propagation, equilibrium propagation), so the
rules can be compared on the very same network, initial weights and batches.

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.layers.mlp import init_layers, forward
>>> layers = init_layers(jax.random.PRNGKey(0), (4, 8, 3))
>>> forward(layers, jnp.ones((2, 4)), "relu")[-1].shape
(2, 3)
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, check_choice
from bioplastic.neurons.activations import activation

OUTPUTS = ("mse", "cross_entropy")


class Layer(NamedTuple):
    """One weight layer: ``weights`` (n_in, n_out) and ``bias`` (n_out,).

    A pytree (a NamedTuple), so ``jax.grad`` and optax act on a tuple of layers directly.

    Example
    -------
    >>> layer = Layer(jnp.ones((3, 2)), jnp.zeros(2))
    >>> (jnp.ones((1, 3)) @ layer.weights + layer.bias).tolist()
    [[3.0, 3.0]]
    >>> jax.tree_util.tree_map(lambda leaf: leaf.shape, layer)
    Layer(weights=(3, 2), bias=(2,))
    """

    weights: jax.Array
    bias: jax.Array


def init_layers(key: jax.Array, sizes, scale: str = "he") -> tuple[Layer, ...]:
    """Weights drawn uniformly in ``+-sqrt(6 / n_in)`` (He) or ``+-sqrt(6 / (n_in + n_out))`` (Glorot); biases 0.

    Parameters
    ----------
    key : jax key
        Split into one key per weight layer.
    sizes : sequence of int
        Layer widths ``(n_0, ..., n_L)``, two or more, each >= 1.
    scale : {"he", "glorot"}
        Which of the two bounds.

    Returns
    -------
    tuple of Layer
        ``L = len(sizes) - 1`` float32 layers, layer ``k`` with weights ``(n_k, n_{k+1})``.

    Example
    -------
    >>> [layer.weights.shape for layer in init_layers(jax.random.PRNGKey(1), (5, 4, 2))]
    [(5, 4), (4, 2)]
    """
    sizes = tuple(sizes)
    if len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 for n in sizes):
        raise BadInput("sizes", f"{sizes!r}", "two or more layer sizes, whole numbers >= 1")
    check_choice(scale, "scale", ("he", "glorot"))
    layers = []
    for key_k, (n_in, n_out) in zip(jax.random.split(key, len(sizes) - 1), zip(sizes[:-1], sizes[1:])):
        limit = np.sqrt(6.0 / n_in) if scale == "he" else np.sqrt(6.0 / (n_in + n_out))
        weights = jax.random.uniform(key_k, (n_in, n_out), jnp.float32, -limit, limit)
        layers.append(Layer(weights, jnp.zeros((n_out,), jnp.float32)))
    return tuple(layers)


def forward(layers, x, hidden_activation: str) -> list[jax.Array]:
    """Activities ``[s_0 = x, s_1, ..., s_{L-1}, a_L]`` of a batch (the output is linear).

    Parameters
    ----------
    layers : tuple of Layer
    x : array
        Inputs ``(batch, n_0)``.
    hidden_activation : str
        Name of ``f`` (see :mod:`bioplastic.neurons.activations`), applied to every layer but the last.

    Example
    -------
    The hidden layer rectifies, the output layer does not:

    >>> layers = (Layer(jnp.array([[1.0, -1.0]]), jnp.zeros(2)), Layer(jnp.array([[1.0], [1.0]]), jnp.array([-5.0])))
    >>> [s.tolist() for s in forward(layers, jnp.array([[2.0]]), "relu")]
    [[[2.0]], [[2.0, 0.0]], [[-3.0]]]
    """
    f = activation(hidden_activation)
    states = [x]
    for index, layer in enumerate(layers):
        a = states[-1] @ layer.weights + layer.bias
        states.append(a if index == len(layers) - 1 else f(a))
    return states


def loss(output: str, logits, targets) -> jax.Array:
    """Mean over the batch of ``0.5 ||a - y||^2`` (``"mse"``) or softmax cross-entropy.

    Parameters
    ----------
    output : {"mse", "cross_entropy"}
        Any other value also gives the cross-entropy (the rules check the name first).
    logits : array
        Output ``a = a_L``, ``(batch, n_L)``.
    targets : array
        ``y``, ``(batch, n_L)``: one-hot labels (or, for ``"mse"``, any target values).

    Example
    -------
    >>> float(loss("mse", jnp.array([[1.0, 0.0]]), jnp.array([[0.0, 0.0]])))
    0.5
    """
    if output == "mse":
        return 0.5 * jnp.mean(jnp.sum((logits - targets) ** 2, axis=-1))
    return jnp.mean(-jnp.sum(targets * jax.nn.log_softmax(logits), axis=-1))


def output_error(output: str, logits, targets) -> jax.Array:
    """d loss / d logits for one example (``a - y``, or ``softmax(a) - y``).

    Row ``i`` is example ``i``'s error; the gradient of the batch mean :func:`loss` is this divided by the batch size.

    Parameters
    ----------
    output : {"mse", "cross_entropy"}
        As in :func:`loss`.
    logits : array
        Output ``a``, ``(batch, n_L)``.
    targets : array
        ``y``, ``(batch, n_L)``.

    Example
    -------
    >>> a, y = jnp.array([[0.0, 0.0]]), jnp.array([[1.0, 0.0]])
    >>> output_error("cross_entropy", a, y).tolist()
    [[-0.5, 0.5]]
    >>> bool(jnp.allclose(output_error("cross_entropy", a, y), jax.grad(lambda a: loss("cross_entropy", a, y))(a)))
    True
    """
    if output == "mse":
        return logits - targets
    return jax.nn.softmax(logits) - targets


def accuracy(logits, labels) -> jax.Array:
    """Fraction of the batch whose largest output is the label.

    Example
    -------
    >>> round(float(accuracy(jnp.array([[2.0, 1.0], [0.0, 3.0], [5.0, 4.0]]), jnp.array([0, 1, 1]))), 4)   # 2 of 3
    0.6667
    """
    return jnp.mean(jnp.argmax(logits, axis=-1) == labels)
