"""Activation functions shared by rate, dyadic and two-compartment units, found by name.

========================= ==============================
name                      f(x)
========================= ==============================
``linear``                x
``relu``                  max(0, x)
``sigmoid``               1 / (1 + exp(-x))
``tanh``                  tanh(x)
``elu``                   x if x > 0 else exp(x) - 1
``rectified_tanh``        max(0, tanh(x))
``hard_sigmoid``          min(1, max(0, x))
========================= ==============================

Example
-------
>>> import jax.numpy as jnp
>>> from bioplastic.neurons.activations import activation
>>> activation("rectified_tanh")(jnp.array([-1.0, 0.5])).round(4)
Array([0.    , 0.4621], dtype=float32)
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

from bioplastic._checks import check_choice

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "linear": lambda x: x,
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "elu": jax.nn.elu,
    "rectified_tanh": lambda x: jax.nn.relu(jnp.tanh(x)),
    "hard_sigmoid": lambda x: jnp.clip(x, 0.0, 1.0),
}


def activation(name: str, where: str = "activation") -> Callable[[jax.Array], jax.Array]:
    """Return the activation called ``name``; an unknown name raises ``BadInput`` naming ``where``.

    Parameters
    ----------
    name : str
        A key of :data:`ACTIVATIONS`.
    where : str
        What to call the argument in an error message.

    Returns
    -------
    callable
        ``f(x)``, elementwise on JAX arrays (same units as ``x``).

    Example
    -------
    >>> activation("relu")(jnp.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    >>> activation("relux")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: activation: got 'relux'; allowed: 'linear', 'relu', ... (did you mean 'relu'?)
    """
    return ACTIVATIONS[check_choice(name, where, ACTIVATIONS)]
