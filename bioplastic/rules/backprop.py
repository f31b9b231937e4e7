"""Backpropagation as a rule: the descent direction ``-d loss / d weights`` from ``jax.grad``.

The baseline every local rule is measured against, on the same layered network
(:mod:`bioplastic.layers.mlp`), loss, batches and optimizer.

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.layers.mlp import init_layers
>>> from bioplastic.rules.backprop import backprop
>>> rule = backprop()
>>> layers = init_layers(jax.random.PRNGKey(0), (4, 6, 3))
>>> delta, _ = rule.update(rule.init(layers), layers, batch=(jnp.ones((2, 4)), jnp.eye(3)[:2]))
>>> [d.bias.shape for d in delta]
[(6,), (3,)]
"""

from __future__ import annotations

import jax

from bioplastic._checks import check_choice
from bioplastic.neurons.activations import activation
from bioplastic.rules.base import Rule
from bioplastic.layers.mlp import OUTPUTS, forward, loss


def backprop(hidden_activation: str = "relu", output: str = "mse") -> Rule:
    """Gradient descent direction of the batch-mean loss; ``update(..., batch=(x, y_onehot))``.

    Parameters
    ----------
    hidden_activation : str
        Activation of the hidden layers (the output is linear).
    output : {"mse", "cross_entropy"}
        The loss of :func:`~bioplastic.layers.mlp.loss`.

    Returns
    -------
    Rule
        ``update(state, layers, *, batch) -> (delta, state)`` with ``delta = -d loss / d layers``
        (a tuple of :class:`~bioplastic.layers.mlp.Layer`); the state is ``()``.

    Example
    -------
    One linear layer: output ``a = x W + b = 3.5`` for target ``y = 1``, so the squared
    error's descent direction is ``-(a - y) x = -2.5 x`` (and ``-2.5`` for the bias):

    >>> import jax.numpy as jnp
    >>> from bioplastic.layers.mlp import Layer
    >>> layer = Layer(jnp.array([[1.0], [2.0]]), jnp.array([0.5]))
    >>> delta, _ = backprop().update((), (layer,), batch=(jnp.array([[1.0, 1.0]]), jnp.array([[1.0]])))
    >>> delta[0].weights.tolist(), delta[0].bias.tolist()
    ([[-2.5], [-2.5]], [-2.5])
    >>> backprop(output="mae")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: output: got 'mae'; allowed: 'mse', 'cross_entropy' (did you mean 'mse'?)
    """
    check_choice(output, "output", OUTPUTS)
    activation(hidden_activation, "hidden_activation")

    def batch_loss(layers, x, y):
        """The batch-mean loss of the network's output.

        Parameters
        ----------
        layers : tuple of Layer
        x : array
            Inputs ``(batch, n_0)``.
        y : array
            Targets ``(batch, n_L)``, one-hot for a classifier.
        """
        return loss(output, forward(layers, x, hidden_activation)[-1], y)

    def update(state, layers, *, batch):
        """``(-d loss / d layers, state)`` for one batch.

        Parameters
        ----------
        state : tuple
            ``()``, returned as it is.
        layers : tuple of Layer
        batch : tuple
            ``(x, y)`` as in ``batch_loss``.
        """
        gradient = jax.grad(batch_loss)(layers, *batch)
        return jax.tree_util.tree_map(lambda g: -g, gradient), state

    return Rule(init=lambda layers: (), update=update, signals=("batch",))
