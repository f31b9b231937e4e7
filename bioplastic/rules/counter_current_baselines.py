"""Backprop and feedback alignment on counter-current learning's forward network.

The baselines train the same forward network (dense or convolutional, ELU, linear top,
see :mod:`bioplastic.rules.counter_current`; or the convolutional autoencoder of
:mod:`bioplastic.layers.conv_autoencoder`, ReLU and BatchNorm) end to end on one loss of its output:
cross-entropy of the logits (a classifier, ``y`` one-hot) or the squared error of the
reconstruction (an autoencoder, ``y`` the target image). The feedback weights are left
untouched (their ``delta`` is zero).

Feedback alignment (Lillicrap et al. 2016) sends the error down through a fixed random
copy of each layer's weights instead of the weights themselves; with those copies equal to
the forward weights it is backprop (tested). On the convolutional autoencoder both train
with BatchNorm's batch statistics, moving the forward network's running statistics as
counter-current learning does; the feedback network and its statistics stay as they are.

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.layers.counter_current import init_counter_current
>>> params = init_counter_current(jax.random.PRNGKey(0), (4, 6, 3))
>>> delta, _ = backprop_baseline().update((), params, batch=(jnp.ones((2, 4)), jnp.eye(3)[:2]))
>>> float(jnp.abs(delta.feedback[0]).sum())
0.0
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import check_choice
from bioplastic.layers import conv_autoencoder
from bioplastic.rules.base import Rule
from bioplastic.layers.counter_current import CounterCurrentParams, forward_layer

OUTPUT_LOSSES = ("cross_entropy", "mse")


def backprop_baseline(loss: str = "cross_entropy") -> Rule:
    """Backprop of ``loss`` (``"cross_entropy"`` or ``"mse"``) through the forward network.

    ``"mse"`` is the mean over batch *and* outputs of the squared error (no factor 1/2),
    unlike the ``"mse"`` of :func:`bioplastic.layers.mlp.loss`.

    Example
    -------
    One dense layer with zero weights: the logits are 0, ``softmax = [1/2, 1/2]`` and the
    cross-entropy update is ``-x^T (softmax - y)`` for ``x = [1, 2]``, ``y = [1, 0]``; the
    squared error's is ``-x^T 2 (0 - y) / 2``:

    >>> from bioplastic.layers.counter_current import CounterCurrentParams
    >>> params = CounterCurrentParams((jnp.zeros((2, 2)),), (jnp.ones((2, 2)),))
    >>> batch = (jnp.array([[1.0, 2.0]]), jnp.array([[1.0, 0.0]]))
    >>> delta, _ = backprop_baseline().update((), params, batch=batch)
    >>> delta.forward[0].tolist(), delta.feedback[0].tolist()
    ([[0.5, -0.5], [1.0, -1.0]], [[0.0, 0.0], [0.0, 0.0]])
    >>> w = backprop_baseline("mse").update((), params, batch=batch)[0].forward[0]
    >>> w[:, 0].tolist(), bool(jnp.all(w[:, 1] == 0))     # the output already at its target is left alone
    ([1.0, 2.0], True)
    """
    check_choice(loss, "loss", OUTPUT_LOSSES)

    def update(state, params, *, batch):
        """``(delta, state)``: minus the forward weights' gradient of ``loss``, zero for the feedback weights.

        Parameters
        ----------
        state : tuple
            ``()``, returned as it is.
        params : CounterCurrentParams
        batch : tuple
            ``(x, y)``: inputs ``(batch, ...)`` and one-hot labels ``(batch, C)`` or target images.
        """
        return _output_delta(loss, params, *batch), state

    return Rule(init=lambda params: (), update=update, signals=("batch",))


def feedback_alignment(key: jax.Array, loss: str = "cross_entropy") -> Rule:
    """Feedback alignment: errors sent down fixed random weights drawn once from ``key``.

    The random weights (the rule state) have the shapes of the forward weights and are
    uniform in ``+-sqrt(6 / fan_out)`` (on the convolutional autoencoder: drawn as its
    forward kernels are, :func:`~bioplastic.layers.conv_autoencoder.random_forward_layers`);
    the forward network and loss are those of :func:`backprop_baseline`.

    Example
    -------
    >>> from bioplastic.layers.counter_current import init_counter_current
    >>> params = init_counter_current(jax.random.PRNGKey(0), (4, 6, 3))
    >>> [w.shape for w in feedback_alignment(jax.random.PRNGKey(1)).init(params)]
    [(4, 6), (6, 3)]
    """
    check_choice(loss, "loss", OUTPUT_LOSSES)

    def init(params):
        if isinstance(params, conv_autoencoder.ConvAutoencoderParams):
            return conv_autoencoder.random_forward_layers(key, params)
        leaves, treedef = jax.tree_util.tree_flatten(params.forward)
        keys = jax.random.split(key, len(leaves))
        return jax.tree_util.tree_unflatten(treedef, [
            jax.random.uniform(k, w.shape, jnp.float32, -1, 1) * np.sqrt(6.0 * w.shape[-2] / w.size) if w.ndim > 1
            else jnp.zeros_like(w)  # biases: no use on the way down
            for k, w in zip(keys, leaves)
        ])

    def update(state, params, *, batch):
        """``(delta, state)``: as :func:`backprop_baseline`'s, with the error sent down ``state``.

        Parameters
        ----------
        state : tuple
            The fixed random weights from ``init``, shaped like ``params.forward``; returned as they are.
        params : CounterCurrentParams
        batch : tuple
            ``(x, y)``: inputs ``(batch, ...)`` and one-hot labels ``(batch, C)`` or target images.
        """
        return _output_delta(loss, params, *batch, backward=state), state

    return Rule(init=init, update=update, signals=("batch",))


def _output_delta(loss, params, x, y, backward=None):
    """Minus the forward weights' gradient of the output loss (down ``backward``'s weights for FA), as a delta."""
    if isinstance(params, conv_autoencoder.ConvAutoencoderParams):
        return _conv_autoencoder_delta(loss, params, x, y, backward)
    gradient = jax.grad(lambda forward: _output_loss(loss, _plain_output(forward, x, backward), y))(params.forward)
    return _zero_feedback(params, gradient)


def _conv_autoencoder_delta(loss, params, x, y, backward):
    convolve = None
    if backward is not None:
        convolve = lambda j, resample, layer, a: _aligned_layer(resample, a, layer, backward[j])  # noqa: E731

    def objective(forward):
        activities, moments = conv_autoencoder.forward_activities(params._replace(forward=forward), x, detach=False,
                                                                  convolve=convolve)
        return _output_loss(loss, activities[-1], y), moments

    gradient, moments = jax.grad(objective, has_aux=True)(params.forward)
    statistics = params.statistics._replace(
        forward=conv_autoencoder.statistics_step(params.statistics.forward, moments),
        feedback=jax.tree_util.tree_map(jnp.zeros_like, params.statistics.feedback))
    return conv_autoencoder.ConvAutoencoderParams(jax.tree_util.tree_map(jnp.negative, gradient),
                                                  jax.tree_util.tree_map(jnp.zeros_like, params.feedback), statistics)


def _plain_output(forward, x, backward=None):
    """Forward network without detaching; ``backward[l]`` replaces layer l's weights on the way down (FA)."""
    a = x
    for l, weights in enumerate(forward):
        pre = forward_layer(weights, a) if backward is None else _aligned_layer(forward_layer, a, weights, backward[l])
        a = pre if l == len(forward) - 1 else jax.nn.elu(pre)
    return a


@partial(jax.custom_vjp, nondiff_argnums=(0,))
def _aligned_layer(apply, a, weights, feedback):
    return apply(weights, a)


def _aligned_forward(apply, a, weights, feedback):
    return apply(weights, a), (a, weights, feedback)


def _aligned_backward(apply, residual, g):
    a, weights, feedback = residual
    # The layer is linear in its input, so the input gradient taken with the feedback weights in
    # place of the forward weights is the error sent down the fixed random matrices.
    _, to_input = jax.vjp(partial(apply, feedback), a)
    _, to_weights = jax.vjp(lambda w: apply(w, a), weights)
    return to_input(g)[0], to_weights(g)[0], jax.tree_util.tree_map(jnp.zeros_like, feedback)


_aligned_layer.defvjp(_aligned_forward, _aligned_backward)


def _output_loss(loss, output, y):
    if loss == "mse":
        return jnp.mean((output - y.reshape(output.shape)) ** 2)
    return jnp.mean(-jnp.sum(y * jax.nn.log_softmax(output), axis=-1))


def _zero_feedback(params, gradient_forward):
    delta_forward = jax.tree_util.tree_map(jnp.negative, gradient_forward)
    return CounterCurrentParams(delta_forward, jax.tree_util.tree_map(jnp.zeros_like, params.feedback))
