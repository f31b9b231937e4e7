"""The forward and feedback networks of counter-current learning (Kao & Hariharan, NeurIPS 2024).

A forward network carries inputs up; a feedback network carries the targets down::

    a_0 = x,      a_l = phi(f_l(a_{l-1}))          (l = 1..L; a_L linear: the logits)
    b_L = top,    b_{l-1} = phi(g_l(b_l))          (l = L..1; b_0 linear)

with ``phi`` = ELU. A layer is either dense (``f_l(a) = a W_l``, ``g_l(b) = b B_l``, no
biases: the authors' MLP) or convolutional (:class:`ConvLayer`: ``f_l`` a stride-2
convolution plus bias, ``g_l`` a 2x nearest upsampling then a stride-1 convolution plus
bias: the authors' CNN). The learning rule that trains the pair is
:func:`bioplastic.rules.counter_current.counter_current`; :func:`alignment` and
:func:`feedback_readout` measure the representations of a pair.

Example
-------
>>> import jax, jax.numpy as jnp
>>> params = init_counter_current(jax.random.PRNGKey(0), (4, 6, 3))
>>> [a.shape for a in forward_activities(params.forward, jnp.ones((2, 4)))]
[(2, 4), (2, 6), (2, 3)]
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, check_positive
from bioplastic.analysis.representations import linear_cka


class CounterCurrentParams(NamedTuple):
    """``forward[l-1]`` produces a_l from a_{l-1}; ``feedback[l-1]`` produces b_{l-1} from b_l.

    Dense layers are matrices: W_l (d_{l-1}, d_l) and B_l (d_l, d_{l-1}); convolutional
    layers are :class:`ConvLayer`.

    Example
    -------
    >>> p = init_counter_current(jax.random.PRNGKey(0), (4, 3, 2))
    >>> [w.shape for w in p.forward], [b.shape for b in p.feedback]
    ([(4, 3), (3, 2)], [(3, 4), (2, 3)])
    """

    forward: tuple
    feedback: tuple


class ConvLayer(NamedTuple):
    """A convolution: ``kernel`` (k, k, channels in, channels out), ``bias`` (channels out,).

    Example
    -------
    Forward, a stride-2 convolution halves the image side; feedback, the upsampling doubles it:

    >>> conv = ConvLayer(jnp.ones((3, 3, 1, 2)), jnp.zeros(2))
    >>> forward_layer(conv, jnp.ones((1, 4, 4, 1))).shape
    (1, 2, 2, 2)
    >>> feedback_layer(ConvLayer(jnp.ones((3, 3, 2, 1)), jnp.zeros(1)), jnp.ones((1, 2, 2, 2))).shape
    (1, 4, 4, 1)
    """

    kernel: jax.Array
    bias: jax.Array


def init_counter_current(key: jax.Array, sizes) -> CounterCurrentParams:
    """Dense networks, weights uniform in ``+-1 / sqrt(fan_in)`` (each network its own fan-in).

    This is the default initialisation of the linear layers in the authors' code.

    Example
    -------
    >>> p = init_counter_current(jax.random.PRNGKey(1), (5, 4, 2))
    >>> [w.shape for w in p.forward]
    [(5, 4), (4, 2)]
    """
    sizes = _layer_sizes(sizes, "sizes")
    keys = jax.random.split(key, 2 * (len(sizes) - 1))
    forward, feedback = [], []
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        forward.append(_uniform(keys[2 * l], (n_in, n_out), n_in))
        feedback.append(_uniform(keys[2 * l + 1], (n_out, n_in), n_out))
    return CounterCurrentParams(tuple(forward), tuple(feedback))


def init_counter_current_cnn(key: jax.Array, channels, n_classes: int, image_side: int,
                             kernel_size: int = 3) -> CounterCurrentParams:
    """The authors' CNN shape: stride-2 convolutions ``channels[0] -> ... -> channels[-1]``, then dense.

    Each convolution halves the image side, and the last must leave 1 x 1, so
    ``image_side = 2 ** (len(channels) - 1)`` (32 for five convolutions). Kernels are
    uniform in ``+-1 / sqrt(fan_in)`` (PyTorch's default), biases zero (the authors'
    ``bias_init = "zero"``); the dense output layer is as in :func:`init_counter_current`.

    Parameters
    ----------
    key : jax key
    channels : sequence of int
        Channels of the input image and after each convolution, ``(c_0, ..., c_n)``; two or more.
    n_classes : int
        Outputs of the dense top layer (its input: the ``channels[-1]`` channels of the 1 x 1 image).
    image_side : int
        Side of the square input image (pixels), ``2 ** (len(channels) - 1)``; only checked.
    kernel_size : int
        Side of the square kernels (pixels), odd.

    Returns
    -------
    CounterCurrentParams
        ``n`` :class:`ConvLayer` plus one dense matrix in each network.

    Example
    -------
    >>> p = init_counter_current_cnn(jax.random.PRNGKey(0), (1, 4, 8), n_classes=3, image_side=4)
    >>> [layer.kernel.shape for layer in p.forward[:-1]], p.forward[-1].shape
    ([(3, 3, 1, 4), (3, 3, 4, 8)], (8, 3))
    """
    channels = _layer_sizes(channels, "channels")
    check_positive(n_classes, "n_classes")
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise BadInput("kernel_size", f"{kernel_size!r}", "an odd whole number >= 1")
    n_convs = len(channels) - 1
    if image_side != 2**n_convs:
        raise BadInput("image_side",
                       f"{image_side!r}",
                       f"{2 ** n_convs} (= 2 ** {n_convs} stride-2 convolutions, down to 1 x 1)")
    keys = jax.random.split(key, 2 * n_convs + 1)
    forward, feedback = [], []
    for l, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:])):
        fan_forward, fan_feedback = c_in * kernel_size**2, c_out * kernel_size**2
        shape = (kernel_size, kernel_size)
        forward.append(ConvLayer(_uniform(keys[2 * l], shape + (c_in, c_out), fan_forward), jnp.zeros(c_out)))
        feedback.append(ConvLayer(_uniform(keys[2 * l + 1], shape + (c_out, c_in), fan_feedback), jnp.zeros(c_in)))
    dense = init_counter_current(keys[-1], (channels[-1], n_classes))
    return CounterCurrentParams(tuple(forward) + dense.forward, tuple(feedback) + dense.feedback)


def forward_layer(weights, a):
    """``f_l``: dense ``a W`` (``a`` flattened first) or stride-2 convolution plus bias.

    Example
    -------
    A dense layer flattens an image first; a 3 x 3 all-ones kernel (zero padding) sums the
    neighbourhood of every other pixel: 4 pixels at a corner, 6 at an edge, 9 inside:

    >>> forward_layer(jnp.ones((4, 1)), jnp.ones((1, 2, 2, 1))).tolist()
    [[4.0]]
    >>> out = forward_layer(ConvLayer(jnp.ones((3, 3, 1, 1)), jnp.zeros(1)), jnp.ones((1, 4, 4, 1)))
    >>> out[0, :, :, 0].tolist()
    [[4.0, 6.0], [6.0, 9.0]]
    """
    if isinstance(weights, ConvLayer):
        padding = weights.kernel.shape[0] // 2
        out = jax.lax.conv_general_dilated(a, weights.kernel, (2, 2), ((padding, padding),) * 2,
                                           dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return out + weights.bias
    return a.reshape(len(a), -1) @ weights


def feedback_layer(weights, b):
    """``g_l``: dense ``b B`` or 2x nearest upsampling, stride-1 convolution, plus bias.

    Example
    -------
    A class code from the dense top (a vector) becomes a 1 x 1 image, upsampled to 2 x 2;
    with an all-ones 3 x 3 kernel every output pixel sums 4 pixels x 2 channels:

    >>> out = feedback_layer(ConvLayer(jnp.ones((3, 3, 2, 1)), jnp.zeros(1)), jnp.ones((1, 2)))
    >>> out.shape, out[0, :, :, 0].tolist()
    ((1, 2, 2, 1), [[8.0, 8.0], [8.0, 8.0]])
    >>> feedback_layer(jnp.array([[3.0], [4.0]]), jnp.array([[1.0, 2.0]])).tolist()   # dense: b B
    [[11.0]]
    """
    if isinstance(weights, ConvLayer):
        if b.ndim == 2:  # from the dense top: a 1 x 1 image
            b = b[:, None, None, :]
        b = jnp.repeat(jnp.repeat(b, 2, axis=1), 2, axis=2)
        padding = weights.kernel.shape[0] // 2
        out = jax.lax.conv_general_dilated(b, weights.kernel, (1, 1), ((padding, padding),) * 2,
                                           dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return out + weights.bias
    return b @ weights


def forward_activities(forward, x) -> list:
    """``[a_0 = x, a_1, ..., a_L]``, every layer's input detached.

    Example
    -------
    ELU on the hidden layer (``elu(-1) = e^-1 - 1``), a linear top:

    >>> forward = (jnp.array([[1.0, -1.0]]), jnp.array([[1.0], [1.0]]))
    >>> [[round(float(v), 4) for v in a[0]] for a in forward_activities(forward, jnp.array([[1.0]]))]
    [[1.0], [1.0, -0.6321], [0.3679]]
    """
    activities = [x]
    for l, weights in enumerate(forward):
        pre = forward_layer(weights, jax.lax.stop_gradient(activities[-1]))
        activities.append(pre if l == len(forward) - 1 else jax.nn.elu(pre))
    return activities


def feedback_activities(feedback, top) -> list:
    """``[b_0, ..., b_L = top]``, every layer's input detached (``b_0`` linear).

    Example
    -------
    From one row per class at the top down to the input size:

    >>> p = init_counter_current(jax.random.PRNGKey(0), (4, 3, 2))
    >>> [b.shape for b in feedback_activities(p.feedback, jnp.eye(2))]
    [(2, 4), (2, 3), (2, 2)]

    ELU on the hidden layer, ``b_1 = elu([-1, 2])``, and a linear ``b_0 = sum(b_1) = 1 + e^-1``:

    >>> feedback = (jnp.array([[1.0], [1.0]]), jnp.array([[-1.0, 2.0]]))
    >>> [[round(float(v), 4) for v in b[0]] for b in feedback_activities(feedback, jnp.ones((1, 1)))]
    [[1.3679], [-0.6321, 2.0], [1.0]]
    """
    activities = [top]
    for l in range(len(feedback) - 1, -1, -1):
        pre = feedback_layer(feedback[l], jax.lax.stop_gradient(activities[0]))
        activities.insert(0, pre if l == 0 else jax.nn.elu(pre))
    return activities


def predict(params: CounterCurrentParams, x) -> jax.Array:
    """Output of the forward network (logits, or a reconstruction for an autoencoder).

    Example
    -------
    The feedback weights play no part:

    >>> w = jnp.array([[1.0], [2.0]])
    >>> predict(CounterCurrentParams((w,), (jnp.full((1, 2), 7.0),)), jnp.array([[1.0, 1.0]])).tolist()
    [[3.0]]
    """
    return forward_activities(params.forward, x)[-1]


def alignment(params: CounterCurrentParams, x, y, autoencoder: bool = False) -> np.ndarray:
    """Linear CKA between forward and feedback activity, per hidden layer ``l = 1 .. L-1``.

    For a classifier, sample ``i``'s feedback activity is that of its class,
    ``b_l[label_i]`` (``y`` one-hot); for an autoencoder it is the feedback activity of the
    target ``y``. 1 means the two networks represent the batch identically up to rotation
    and scale.

    Parameters
    ----------
    params : CounterCurrentParams
    x : array
        Inputs ``(batch, ...)``.
    y : array
        One-hot labels ``(batch, C)``, or the target images ``(batch, d_L)`` when ``autoencoder``.
    autoencoder : bool
        Whether ``params`` is an autoencoder.

    Returns
    -------
    numpy array
        ``(L - 1,)``: the CKA of each hidden layer, in [0, 1].

    Example
    -------
    >>> p = init_counter_current(jax.random.PRNGKey(0), (4, 6, 6, 3))
    >>> x = jax.random.normal(jax.random.PRNGKey(1), (32, 4))
    >>> alignment(p, x, jnp.eye(3)[jnp.arange(32) % 3]).shape
    (2,)
    """
    a = forward_activities(params.forward, x)
    if autoencoder:
        b = feedback_activities(params.feedback, y)
    else:
        b = [b_l[jnp.argmax(y, axis=-1)] for b_l in feedback_activities(params.feedback, jnp.eye(y.shape[-1]))]
    return np.array([float(linear_cka(a_l.reshape(len(a_l), -1), b_l.reshape(len(b_l), -1)))
                     for a_l, b_l in zip(a[1:-1], b[1:-1])])


def feedback_readout(params: CounterCurrentParams, x, labels) -> np.ndarray:
    """Accuracy of reading the class out of each hidden layer through the feedback codes.

    Layer ``l`` predicts ``argmax_c a_l . b_l[c]``: the class whose feedback activity the
    forward activity matches best, which is what the local loss trains. A class-clustered
    forward layer read through unrelated (e.g. untrained) codes stays near chance, so unlike
    CKA this measures the alignment of the two networks rather than the clustering of one.

    Parameters
    ----------
    params : CounterCurrentParams
        A classifier (the number of classes is the width of the last forward layer).
    x : array
        Inputs ``(batch, ...)``.
    labels : array
        Class indices ``(batch,)``.

    Returns
    -------
    numpy array
        ``(L - 1,)``: the accuracy (fraction) of each hidden layer.

    Example
    -------
    >>> p = init_counter_current(jax.random.PRNGKey(0), (4, 6, 6, 3))
    >>> x = jax.random.normal(jax.random.PRNGKey(1), (30, 4))
    >>> feedback_readout(p, x, jnp.arange(30) % 3).shape
    (2,)
    """
    a = forward_activities(params.forward, x)
    n_classes = params.forward[-1].shape[-1]
    b = feedback_activities(params.feedback, jnp.eye(n_classes))
    return np.array([float(jnp.mean(jnp.argmax(a_l.reshape(len(a_l), -1) @ b_l.reshape(n_classes, -1).T, axis=-1)
                                    == labels)) for a_l, b_l in zip(a[1:-1], b[1:-1])])


def _uniform(key, shape, fan_in):
    return jax.random.uniform(key, shape, jnp.float32, -1, 1) / np.sqrt(fan_in)


def _layer_sizes(sizes, name):
    sizes = tuple(sizes)
    if len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 for n in sizes):
        raise BadInput(name, f"{sizes!r}", "two or more layer sizes, whole numbers >= 1")
    return sizes
