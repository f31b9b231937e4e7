"""The optimizer a training protocol asks for, built from optax pieces in PyTorch's order.

One network's gradient goes, in this order, through: the warm-up scaling of the first
steps, gradient centralisation, clipping of its global norm, weight decay (``+ wd * w``,
as PyTorch's SGD adds it), then SGD (with heavy-ball momentum, PyTorch's form) or Adam at
a constant or cosine-annealed learning rate. Each piece is left out when not asked for,
so a plain ``sgd`` at a constant rate is exactly ``optax.sgd(learning_rate)``.

Example
-------
>>> import jax.numpy as jnp
>>> optimizer = network_optimizer("sgd", 0.1)
>>> updates, _ = optimizer.update({"w": jnp.ones(2)}, optimizer.init({"w": jnp.zeros(2)}))
>>> updates["w"].tolist()
[-0.10000000149011612, -0.10000000149011612]
"""

from __future__ import annotations

import math
from typing import Optional

import jax
import jax.numpy as jnp
import optax

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("constant", "cosine")


def network_optimizer(name: str, learning_rate: float, *, momentum: Optional[float] = None,
                      weight_decay: float = 0.0, clip_norm: Optional[float] = None, warmup_steps: int = 0,
                      centralize: bool = False, schedule: str = "constant", min_learning_rate: float = 0.0,
                      epochs: int = 1, steps_per_epoch: int = 1) -> optax.GradientTransformation:
    """The optax transformation of one network (see the module docstring for the order).

    Parameters
    ----------
    name : {"adam", "sgd"}
    learning_rate : float
        The (initial) learning rate.
    momentum : float, optional
        SGD only: ``v <- momentum v + g``, ``w <- w - lr v``.
    weight_decay : float
        Added to the gradient as ``weight_decay * w`` (every array, biases too).
    clip_norm : float, optional
        Clip the global norm of the network's gradient.
    warmup_steps : int
        Scale gradient ``k`` (from 0) by ``min((k + 1) / warmup_steps, 1)``; 0: none.
    centralize : bool
        Subtract from the gradient of every weight array (two or more axes) its mean per
        output unit (the last axis): gradient centralisation (Yong et al. 2020).
    schedule : {"constant", "cosine"}
        ``"cosine"``: per epoch ``e`` (from 0), ``min + (lr - min) (1 + cos(pi e / epochs)) / 2``,
        PyTorch's ``CosineAnnealingLR`` with ``T_max = epochs`` stepped once per epoch.
    min_learning_rate : float
        The cosine's floor.
    epochs, steps_per_epoch : int
        The run's length, for the cosine.

    Example
    -------
    The cosine rate holds for a whole epoch, then steps down:

    >>> rate = learning_rate_schedule(0.01, "cosine", 0.001, epochs=2, steps_per_epoch=3)
    >>> [round(float(rate(step)), 4) for step in range(6)]
    [0.01, 0.01, 0.01, 0.0055, 0.0055, 0.0055]
    """
    rate = learning_rate_schedule(learning_rate, schedule, min_learning_rate, epochs, steps_per_epoch)
    if name == "sgd":
        final = optax.sgd(rate, momentum=momentum)
    else:
        final = optax.adam(rate)
    pieces = []
    if warmup_steps:
        pieces.append(optax.scale_by_schedule(lambda step: jnp.minimum((step + 1) / warmup_steps, 1.0)))
    if centralize:
        pieces.append(centralize_per_output())
    if clip_norm is not None:
        pieces.append(optax.clip_by_global_norm(clip_norm))
    if weight_decay:
        pieces.append(optax.add_decayed_weights(weight_decay))
    return optax.chain(*pieces, final) if pieces else final


def learning_rate_schedule(learning_rate: float, schedule: str, min_learning_rate: float, epochs: int,
                           steps_per_epoch: int):
    """The learning rate: a float (``"constant"``) or ``step -> rate`` (``"cosine"``, stepped per epoch).

    Example
    -------
    >>> learning_rate_schedule(0.5, "constant", 0.0, 10, 100)
    0.5
    """
    if schedule == "constant":
        return learning_rate

    def cosine(step):
        epoch = step // steps_per_epoch
        return min_learning_rate + (learning_rate - min_learning_rate) * (1 + jnp.cos(math.pi * epoch / epochs)) / 2

    return cosine


def centralize_per_output() -> optax.GradientTransformation:
    """Gradient centralisation: each weight array's gradient minus its mean over all axes but the last.

    The last axis is the output unit in this project's layouts (dense ``(in, out)``,
    kernels ``(k, k, in, out)``), which is what PyTorch's ``(out, in, k, k)`` centres
    over its leading axis; ``optax.centralize`` centres along the leading axis, which here
    would be the input. Arrays of one axis (biases) are left alone.

    Example
    -------
    >>> g = {"w": jnp.array([[1.0, 4.0], [3.0, 0.0]]), "b": jnp.array([1.0, 2.0])}
    >>> updates, _ = centralize_per_output().update(g, optax.EmptyState())
    >>> updates["w"].tolist(), updates["b"].tolist()
    ([[-1.0, 2.0], [1.0, -2.0]], [1.0, 2.0])
    """

    def update(updates, state, params=None):
        centred = jax.tree_util.tree_map(
            lambda g: g - jnp.mean(g, axis=tuple(range(g.ndim - 1)), keepdims=True) if g.ndim > 1 else g, updates)
        return centred, state

    return optax.GradientTransformation(lambda params: optax.EmptyState(), update)
