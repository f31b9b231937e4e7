"""The spike nonlinearity: a Heaviside step forward, a smooth surrogate derivative backward.

``spike(x, surrogate)`` returns ``1.0`` where ``x >= 0`` and ``0.0`` elsewhere, where ``x``
is the distance to threshold (for example ``v - v_th`` in mV). Its true derivative is
zero almost everywhere, which stops learning; under ``jax.grad`` bioplastic uses the
derivative of a smooth stand-in instead (Neftci, Mostafa & Zenke 2019). Each surrogate
has a ``width`` in the units of ``x``: the derivative at threshold is ``1 / width``-scaled
so that the surrogate's area is 1 (it is the derivative of a step smoothed over about
``width``).

Surrogates (``x`` scaled as ``z = x / width``):

============== ======================================= =====================
name           derivative d spike / d x                 smooth step it comes from
============== ======================================= =====================
fast_sigmoid   1 / (2 width (1 + |z|)^2)                 (z / (1 + |z|) + 1) / 2
arctan         1 / (pi width (1 + z^2))                  arctan(z) / pi + 1/2
triangle       max(0, 1 - |z|) / width                   piecewise quadratic
============== ======================================= =====================

``Surrogate(..., forward="smooth")`` makes the forward pass the smooth step itself, so
the whole model is honestly differentiable and ``jax.grad`` can be checked against finite
differences (the tests do this through a 200-step LIF simulation); the default
``forward="step"`` emits true 0/1 spikes.

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.neurons.surrogate import Surrogate, spike
>>> s = Surrogate("fast_sigmoid", width=1.0)
>>> spike(jnp.array([-0.5, 0.0, 2.0]), s)
Array([0., 1., 1.], dtype=float32)
>>> float(jax.grad(lambda x: spike(x, s))(0.0))
0.5
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp

from bioplastic._checks import check_choice, check_positive


def _fast_sigmoid(z):
    return 0.5 / (1.0 + jnp.abs(z)) ** 2


def _arctan(z):
    return 1.0 / (math.pi * (1.0 + z**2))


def _triangle(z):
    return jnp.maximum(0.0, 1.0 - jnp.abs(z))


SURROGATE_DERIVATIVES = {"fast_sigmoid": _fast_sigmoid, "arctan": _arctan, "triangle": _triangle}


def _triangle_step(z):
    z = jnp.clip(z, -1.0, 1.0)
    return jnp.where(z < 0, 0.5 * (1.0 + z) ** 2, 1.0 - 0.5 * (1.0 - z) ** 2)


SMOOTH_STEPS = {
    "fast_sigmoid": lambda z: 0.5 * (z / (1.0 + jnp.abs(z)) + 1.0),
    "arctan": lambda z: jnp.arctan(z) / math.pi + 0.5,
    "triangle": _triangle_step,
}


@dataclasses.dataclass(frozen=True)
class Surrogate:
    """A choice of surrogate derivative for :func:`spike`.

    Parameters
    ----------
    name : {"fast_sigmoid", "arctan", "triangle"}
        Shape of the surrogate derivative.
    width : float
        Width of the smoothed step, in the units of the threshold distance (mV for a
        membrane voltage). Each surrogate integrates to 1 over ``x``.
    forward : {"step", "smooth"}
        What the forward pass emits: the Heaviside step (spikes) or the smooth step
        whose derivative the surrogate is (for gradient checks and rate-like models).

    Example
    -------
    >>> Surrogate("triangle", width=0.5).name
    'triangle'
    """

    name: str = "fast_sigmoid"
    width: float = 1.0
    forward: str = "step"

    def __post_init__(self):
        check_choice(self.name, "surrogate.name", SURROGATE_DERIVATIVES)
        check_positive(self.width, "surrogate.width")
        check_choice(self.forward, "surrogate.forward", ("step", "smooth"))

    def derivative(self, x):
        """Surrogate d spike / d x at threshold distance ``x`` (1 / units of ``x``).

        Example
        -------
        At threshold each surrogate takes its peak: ``1 / (2 width)``, ``1 / (pi width)``
        and ``1 / width``:

        >>> for name in ("fast_sigmoid", "arctan", "triangle"):
        ...     print(name, round(float(Surrogate(name, width=0.5).derivative(0.0)), 4))
        fast_sigmoid 1.0
        arctan 0.6366
        triangle 2.0
        """
        return SURROGATE_DERIVATIVES[self.name](x / self.width) / self.width

    def smooth_step(self, x):
        """The smooth step whose derivative is :meth:`derivative` (0 far below, 1 far above).

        Example
        -------
        Every smooth step is 1/2 at threshold; the triangle's reaches 0 and 1 exactly at
        ``x = -width`` and ``x = width``:

        >>> Surrogate("triangle", width=0.5).smooth_step(jnp.array([-0.5, -0.25, 0.0, 0.25, 0.5])).tolist()
        [0.0, 0.125, 0.5, 0.875, 1.0]
        >>> round(float(Surrogate("fast_sigmoid").smooth_step(1.0)), 4)   # (1/2 + 1) / 2
        0.75
        """
        return SMOOTH_STEPS[self.name](x / self.width)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def spike(x, surrogate: Surrogate = Surrogate()):
    """Heaviside step of the threshold distance ``x`` (1.0 where ``x >= 0``), surrogate gradient.

    Parameters
    ----------
    x : array
        Distance to threshold (for instance ``v - v_th`` in mV).
    surrogate : Surrogate
        Which derivative ``jax.grad`` sees.

    Returns
    -------
    array
        0.0 / 1.0 with the dtype of ``x`` (the smooth step when ``surrogate.forward`` is
        ``"smooth"``).

    Example
    -------
    A spike is emitted exactly at threshold (``x = 0``); ``jax.grad`` sees the surrogate,
    here the arctan's peak ``1 / (pi width)`` with ``width = 2`` mV:

    >>> spike(jnp.array([-1.0, 0.0, 1.0])).tolist()
    [0.0, 1.0, 1.0]
    >>> round(float(jax.grad(lambda x: spike(x, Surrogate("arctan", width=2.0)))(0.0)), 4)
    0.1592
    >>> spike(jnp.array([-1.0, 0.0, 1.0]), Surrogate("triangle", width=2.0, forward="smooth")).tolist()
    [0.125, 0.5, 0.875]
    """
    x = jnp.asarray(x)
    dtype = jnp.result_type(x.dtype, jnp.float32)
    if surrogate.forward == "smooth":
        return surrogate.smooth_step(x.astype(dtype))
    return (x >= 0).astype(dtype)


@spike.defjvp
def _spike_jvp(surrogate, primals, tangents):
    (x,), (dx,) = primals, tangents
    return spike(x, surrogate), surrogate.derivative(x) * dx
