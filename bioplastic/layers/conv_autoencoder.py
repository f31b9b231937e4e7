"""The convolutional counter-current autoencoder (Kao & Hariharan, NeurIPS 2024, the authors' "legacy" model).

A chain of ``2K`` convolutional layers: ``K`` encoder layers (3 x 3, stride 2: each halves
the image side) and ``K`` decoder layers (2x nearest upsampling, then a stride-1 3 x 3
convolution). The forward network runs the chain up, input to reconstruction; the
feedback network runs it down, target to input, with the opposite resampling (an encoder
layer's feedback upsamples, a decoder layer's feedback strides)::

    a_0 = x,       a_j = relu(BN(f_j(a_{j-1})))     (j = 1 .. 2K; a_2K linear, no BN)
    b_2K = target, b_{j-1} = relu(BN(g_j(b_j)))     (j = 2K .. 1; b_0 linear, no BN)

Every convolution is followed by its own BatchNorm, the forward and the feedback network
each keeping their own statistics (:class:`RunningStatistics`). As in the authors' code,
BatchNorm's scale and shift stay at 1 and 0: they are in neither network's optimizer.
In training (``train=True``) a layer normalises with its batch's per-channel mean and
biased variance, and the running statistics move towards the batch's (momentum 0.1, the
unbiased variance, as PyTorch does); for a reconstruction (``train=False``) it normalises
with the running statistics.

Initialisation (the authors' code): every kernel orthogonal (as a matrix over output
channels, or input channels where there are more of those); the decoder's forward and the
encoder's feedback kernels scaled by 0.001, and the last forward kernel (the
reconstruction) and the first feedback kernel (``b_0``) zero. Forward biases are zero,
feedback biases uniform in ``+-1/sqrt(fan_in)`` (PyTorch's default).

The rules that train it: :func:`bioplastic.rules.counter_current.counter_current`
(``loss="conv_autoencoder"``) and the backprop and feedback-alignment baselines of
:mod:`bioplastic.rules.counter_current_baselines`.

Example
-------
>>> import jax, jax.numpy as jnp
>>> params = init_conv_autoencoder(jax.random.PRNGKey(0), (1, 4, 8, 4, 1), image_side=8)
>>> activities, _ = forward_activities(params, jnp.ones((2, 8, 8, 1)))
>>> [a.shape[1:] for a in activities]
[(8, 8, 1), (4, 4, 4), (2, 2, 8), (4, 4, 4), (8, 8, 1)]
>>> reconstruct(params, jnp.ones((2, 8, 8, 1))).shape
(2, 8, 8, 1)
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput
from bioplastic.analysis.representations import linear_cka
from bioplastic.layers.counter_current import ConvLayer
from bioplastic.layers.counter_current import feedback_layer as upsampling_convolution
from bioplastic.layers.counter_current import forward_layer as strided_convolution

BATCHNORM_MOMENTUM = 0.1     # PyTorch's: running <- running + 0.1 (batch - running)
BATCHNORM_EPSILON = 1e-5
SMALL_KERNELS = 0.001        # the decoder's forward and the encoder's feedback kernels start this small
KERNEL_SIZE = 3


class Moments(NamedTuple):
    """Per-channel ``mean`` and ``var`` of one BatchNorm (arrays ``(channels,)``).

    Example
    -------
    >>> Moments(jnp.zeros(2), jnp.ones(2)).var.tolist()
    [1.0, 1.0]
    """

    mean: jax.Array
    var: jax.Array


class RunningStatistics(NamedTuple):
    """The running BatchNorm statistics: ``forward[j-1]`` after ``f_j``, ``feedback[j]`` after ``g_{j+1}``.

    Both tuples hold ``2K - 1`` :class:`Moments` (the last forward and the first feedback
    layer have no BatchNorm): ``forward[j-1]`` normalises ``a_j`` and ``feedback[j-1]``
    normalises ``b_j``, for ``j = 1 .. 2K-1``.

    Example
    -------
    >>> p = init_conv_autoencoder(jax.random.PRNGKey(0), (1, 2, 1), image_side=4)
    >>> len(p.statistics.forward), len(p.statistics.feedback)
    (1, 1)
    """

    forward: tuple
    feedback: tuple


class ConvAutoencoderParams(NamedTuple):
    """Kernels of both networks and their running statistics.

    ``forward[j-1]`` (a :class:`~bioplastic.layers.counter_current.ConvLayer`) produces
    ``a_j`` from ``a_{j-1}``; ``feedback[j-1]`` produces ``b_{j-1}`` from ``b_j``
    (``j = 1 .. 2K``). ``statistics`` are not learned by gradient: a rule moves them by the
    exact running-average step (see :func:`statistics_step`).

    Example
    -------
    >>> p = init_conv_autoencoder(jax.random.PRNGKey(0), (1, 2, 1), image_side=4)
    >>> [layer.kernel.shape for layer in p.forward], [layer.kernel.shape for layer in p.feedback]
    ([(3, 3, 1, 2), (3, 3, 2, 1)], [(3, 3, 2, 1), (3, 3, 1, 2)])
    """

    forward: tuple
    feedback: tuple
    statistics: RunningStatistics


def init_conv_autoencoder(key: jax.Array, channels, image_side: int) -> ConvAutoencoderParams:
    """The authors' initialisation of a chain of ``channels`` (see the module docstring).

    Parameters
    ----------
    key : jax key
    channels : sequence of int
        Channels of the input, after each encoder layer and after each decoder layer:
        ``(c_0, ..., c_K, ..., c_2K)`` with ``c_2K = c_0`` (the reconstruction), an odd
        number of three or more.
    image_side : int
        Side of the square input image (pixels); ``K`` halvings must leave a whole side.

    Returns
    -------
    ConvAutoencoderParams
        Running statistics start at mean 0, variance 1 (PyTorch's).

    Example
    -------
    The last forward and first feedback kernels start at zero, the decoder's forward kernels
    at 0.001 of an orthogonal matrix:

    >>> p = init_conv_autoencoder(jax.random.PRNGKey(0), (1, 4, 8, 4, 1), image_side=8)
    >>> float(jnp.abs(p.forward[-1].kernel).max()), float(jnp.abs(p.feedback[0].kernel).max())
    (0.0, 0.0)
    >>> m = p.forward[2].kernel.transpose(2, 3, 0, 1).reshape(8, -1)   # 8 input channels: orthogonal rows
    >>> bool(jnp.allclose(m @ m.T, 1e-6 * jnp.eye(8), atol=1e-9))
    True
    >>> init_conv_autoencoder(jax.random.PRNGKey(0), (1, 4, 2), image_side=8)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: channels: got (1, 4, 2); allowed: an odd number (3 or more) of channel counts, whole numbers >= 1, the last equal to the first (the reconstruction's)
    """
    channels = tuple(channels)
    if (len(channels) < 3 or len(channels) % 2 == 0 or channels[0] != channels[-1]
            or any(isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 1 for c in channels)):
        raise BadInput("channels", f"{channels!r}", "an odd number (3 or more) of channel counts, whole numbers >= 1, "
                                                   "the last equal to the first (the reconstruction's)")
    depth = encoder_depth(channels)
    if image_side % 2**depth:
        raise BadInput("image_side", f"{image_side!r}", f"a multiple of {2 ** depth} (= 2 ** {depth} encoder layers)")
    keys = jax.random.split(key, 3 * (len(channels) - 1))
    forward, feedback = [], []
    for j, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:])):
        forward_scale = SMALL_KERNELS if j >= depth else 1.0
        feedback_scale = SMALL_KERNELS if j < depth else 1.0
        if j == len(channels) - 2:
            forward_scale = 0.0
        if j == 0:
            feedback_scale = 0.0
        fan_in = c_out * KERNEL_SIZE**2
        bias = jax.random.uniform(keys[3 * j + 2], (c_in,), jnp.float32, -1, 1) / np.sqrt(fan_in)
        forward.append(ConvLayer(forward_scale * _orthogonal_kernel(keys[3 * j], c_in, c_out), jnp.zeros(c_out)))
        feedback.append(ConvLayer(feedback_scale * _orthogonal_kernel(keys[3 * j + 1], c_out, c_in), bias))
    moments = lambda cs: tuple(Moments(jnp.zeros(c), jnp.ones(c)) for c in cs)  # noqa: E731
    statistics = RunningStatistics(moments(channels[1:-1]), moments(channels[1:-1]))
    return ConvAutoencoderParams(tuple(forward), tuple(feedback), statistics)


def random_forward_layers(key: jax.Array, params: ConvAutoencoderParams) -> tuple:
    """Fresh forward layers drawn as :func:`init_conv_autoencoder` draws them, the last at 0.001 instead of zero.

    Feedback alignment sends its error down such fixed kernels: drawn like the forward
    kernels, their scale matches what the forward network's BatchNorms divide by (an
    error sent down an orthogonal kernel of scale 1 through a decoder layer whose kernel
    is 0.001 grows a thousandfold per layer). Biases are zero (unused on the way down).

    Example
    -------
    Each kernel has orthonormal rows over its 4 channels (norm 2), the decoder's scaled by 0.001:

    >>> p = init_conv_autoencoder(jax.random.PRNGKey(0), (1, 4, 1), image_side=4)

    >>> [round(float(jnp.linalg.norm(layer.kernel)), 4) for layer in random_forward_layers(jax.random.PRNGKey(1), p)]
    [2.0, 0.002]
    """
    depth = len(params.forward) // 2
    keys = jax.random.split(key, len(params.forward))
    return tuple(ConvLayer((SMALL_KERNELS if j >= depth else 1.0) * _orthogonal_kernel(k, *layer.kernel.shape[2:]),
                           jnp.zeros_like(layer.bias)) for j, (k, layer) in enumerate(zip(keys, params.forward)))


def encoder_depth(channels) -> int:
    """``K``: the number of encoder (stride-2) layers of a chain of ``channels``.

    Example
    -------
    >>> encoder_depth((1, 16, 32, 16, 1))
    2
    """
    return (len(channels) - 1) // 2


def forward_activities(params: ConvAutoencoderParams, x, *, train: bool = True, detach: bool = True,
                       convolve: Optional[Callable] = None):
    """``[a_0 = x, ..., a_2K]`` and the batch's moments after each BatchNorm.

    Parameters
    ----------
    params : ConvAutoencoderParams
    x : array
        Images ``(batch, H, W, C)``.
    train : bool
        Normalise with the batch's moments (True) or the running ones (False).
    detach : bool
        Stop gradients at every layer's input (counter-current learning) or not (backprop).
    convolve : callable, optional
        ``convolve(j, resample, layer, a)`` computes layer ``j``'s convolution (from 0)
        ``resample(layer, a)``; feedback alignment passes one that sends its gradient down
        other kernels. Default: ``resample(layer, a)``.

    Returns
    -------
    activities : list of arrays
        ``2K + 1`` arrays, ``(batch, side, side, channels)``.
    moments : tuple of Moments
        The batch's (``train``) or the running moments used at each BatchNorm.

    Example
    -------
    In training the hidden activity is normalised per channel over the batch and the image:

    >>> p = init_conv_autoencoder(jax.random.PRNGKey(0), (1, 4, 1), image_side=4)
    >>> x = jax.random.normal(jax.random.PRNGKey(1), (8, 4, 4, 1))
    >>> activities, moments = forward_activities(p, x)
    >>> pre = (activities[1] > 0)                        # relu of a standard normal: about half positive
    >>> 0.3 < float(pre.mean()) < 0.7, moments[0].mean.shape
    (True, (4,))
    """
    return _chain(params.forward, params.statistics.forward, _resampling(len(params.forward)), x, train, detach,
                  convolve)


def feedback_activities(params: ConvAutoencoderParams, target, *, train: bool = True):
    """``[b_0, ..., b_2K = target]`` (every layer's input detached) and the batch's moments.

    The moments are returned in the order of :attr:`RunningStatistics.feedback`
    (``b_1 .. b_2K-1``).

    Example
    -------
    >>> p = init_conv_autoencoder(jax.random.PRNGKey(0), (1, 4, 8, 4, 1), image_side=8)
    >>> activities, moments = feedback_activities(p, jnp.ones((2, 8, 8, 1)))
    >>> [a.shape[1:] for a in activities], len(moments)
    ([(8, 8, 1), (4, 4, 4), (2, 2, 8), (4, 4, 4), (8, 8, 1)], 3)
    """
    activities, moments = _chain(params.feedback[::-1], params.statistics.feedback[::-1],
                                 _resampling(len(params.feedback)), target, train, True, None)
    return activities[::-1], moments[::-1]


def reconstruct(params: ConvAutoencoderParams, x) -> jax.Array:
    """The forward network's output with the running statistics: the reconstruction of ``x``.

    Example
    -------
    The last forward kernel starts at zero, so a new network reconstructs every image as 0:

    >>> p = init_conv_autoencoder(jax.random.PRNGKey(0), (1, 4, 1), image_side=4)
    >>> float(jnp.abs(reconstruct(p, jnp.ones((1, 4, 4, 1)))).max())
    0.0
    """
    return forward_activities(params, x, train=False)[0][-1]


def statistics_step(running: tuple, batch: tuple) -> tuple:
    """The change that moves each running :class:`Moments` towards a batch's, PyTorch's way.

    ``mean += 0.1 (batch mean - mean)``, ``var += 0.1 (n/(n-1) batch var - var)``, with
    ``n`` the values per channel the batch variance was taken over; here the batch's
    ``var`` is already the unbiased one (see :func:`batch_norm`).

    Example
    -------
    >>> step = statistics_step((Moments(jnp.zeros(1), jnp.ones(1)),), (Moments(jnp.ones(1), 3 * jnp.ones(1)),))
    >>> [round(float(v), 6) for v in (step[0].mean[0], step[0].var[0])]
    [0.1, 0.2]
    """
    return tuple(Moments(BATCHNORM_MOMENTUM * (b.mean - r.mean), BATCHNORM_MOMENTUM * (b.var - r.var))
                 for r, b in zip(running, batch))


def batch_norm(a, running: Moments, train: bool):
    """Normalise ``a`` ``(batch, H, W, C)`` per channel; return it and the moments for the running average.

    In training: by the batch's mean and biased variance over batch and image, returning
    the batch's mean and *unbiased* variance (what PyTorch's running average takes);
    otherwise by ``running``, returned as it is. No scale or shift (the authors' code
    leaves them at 1 and 0).

    Example
    -------
    >>> a = jnp.array([1.0, 3.0]).reshape(2, 1, 1, 1)
    >>> out, moments = batch_norm(a, Moments(jnp.zeros(1), jnp.ones(1)), train=True)
    >>> [round(float(v), 3) for v in out.ravel()], float(moments.var[0])   # biased var 1, unbiased 2
    ([-1.0, 1.0], 2.0)
    """
    if not train:
        return (a - running.mean) / jnp.sqrt(running.var + BATCHNORM_EPSILON), running
    mean = jnp.mean(a, axis=(0, 1, 2))
    var = jnp.mean((a - mean) ** 2, axis=(0, 1, 2))
    n = a.size // a.shape[-1]
    normalised = (a - mean) / jnp.sqrt(var + BATCHNORM_EPSILON)
    return normalised, Moments(jax.lax.stop_gradient(mean), jax.lax.stop_gradient(var * n / max(n - 1, 1)))


def alignment(params: ConvAutoencoderParams, x, target) -> np.ndarray:
    """Linear CKA between forward ``a_j`` and feedback ``b_j`` activity per hidden layer (running statistics).

    Parameters
    ----------
    params : ConvAutoencoderParams
    x, target : array
        Inputs and the images the feedback network starts from, ``(batch, H, W, C)``.

    Returns
    -------
    numpy array
        ``(2K - 1,)``: the CKA of ``j = 1 .. 2K-1``, in [0, 1].

    Example
    -------
    >>> p = init_conv_autoencoder(jax.random.PRNGKey(0), (1, 4, 8, 4, 1), image_side=8)
    >>> x = jax.random.normal(jax.random.PRNGKey(1), (16, 8, 8, 1))
    >>> alignment(p, x, x).shape
    (3,)
    """
    a, _ = forward_activities(params, x, train=False)
    b, _ = feedback_activities(params, target, train=False)
    return np.array([float(linear_cka(a_j.reshape(len(a_j), -1), b_j.reshape(len(b_j), -1)))
                     for a_j, b_j in zip(a[1:-1], b[1:-1])])


def _resampling(n_layers):
    """The convolution of each step along a chain of ``n_layers``: strided for the first half, upsampling after.

    Both networks run the chain from their own input, so both start with the strided half:
    the forward network's encoder, the feedback network's decoder layers.
    """
    return [strided_convolution if j < n_layers // 2 else upsampling_convolution for j in range(n_layers)]


def _chain(layers, statistics, resample, x, train, detach, convolve):
    convolve = convolve or (lambda j, resample_j, layer, a: resample_j(layer, a))
    activities, moments = [x], []
    for j, layer in enumerate(layers):
        inputs = jax.lax.stop_gradient(activities[-1]) if detach else activities[-1]
        pre = convolve(j, resample[j], layer, inputs)
        if j < len(layers) - 1:
            normalised, batch_moments = batch_norm(pre, statistics[j], train)
            moments.append(batch_moments)
            pre = jax.nn.relu(normalised)
        activities.append(pre)
    return activities, tuple(moments)


def _orthogonal_kernel(key, c_in, c_out):
    """A 3 x 3 ``(c_in -> c_out)`` kernel, orthogonal as PyTorch's ``orthogonal_`` makes it in the authors' code.

    PyTorch's weight is ``(c_out, c_in, 3, 3)``; the authors make it orthogonal as a
    ``(c_out, c_in * 9)`` matrix when ``c_out >= c_in``, else as ``(c_in, c_out * 9)``.
    """
    if c_out >= c_in:
        matrix = jax.nn.initializers.orthogonal()(key, (c_out, c_in * KERNEL_SIZE**2))
        weight = matrix.reshape(c_out, c_in, KERNEL_SIZE, KERNEL_SIZE)
    else:
        matrix = jax.nn.initializers.orthogonal()(key, (c_in, c_out * KERNEL_SIZE**2))
        weight = matrix.reshape(c_in, c_out, KERNEL_SIZE, KERNEL_SIZE).transpose(1, 0, 2, 3)
    return weight.transpose(2, 3, 1, 0)   # (c_out, c_in, kh, kw) -> (kh, kw, c_in, c_out)
