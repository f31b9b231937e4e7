"""Similarity of two representations of the same samples.

Linear centred kernel alignment (Kornblith et al. 2019) compares activity matrices
``X`` (n samples x p units) and ``Y`` (n x q), which may have different widths::

    CKA(X, Y) = ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F)

with ``Xc``, ``Yc`` centred over samples. It lies in [0, 1], is 1 when ``Y`` is an
orthogonal transform of ``X`` times a scale, and does not change under either.

Example
-------
>>> import numpy as np
>>> x = np.random.default_rng(1).normal(size=(100, 4))
>>> rotation = np.linalg.qr(np.random.default_rng(2).normal(size=(4, 4)))[0]
>>> round(float(linear_cka(x, 2.5 * x @ rotation)), 6)
1.0
"""

from __future__ import annotations

import jax.numpy as jnp

from bioplastic._checks import BadInput


def linear_cka(x, y) -> jnp.ndarray:
    """Linear CKA between ``x`` (n x p) and ``y`` (n x q), rows the same samples; 0 if either is constant.

    Parameters
    ----------
    x, y : arrays (n_samples, p) and (n_samples, q)
        Activity of two representations (any units; CKA is scale-free).

    Returns
    -------
    jax.Array
        A scalar in [0, 1].

    Example
    -------
    >>> x = jnp.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
    >>> round(float(linear_cka(x, 3.0 * x)), 4), float(linear_cka(x, jnp.ones((4, 3))))
    (1.0, 0.0)
    """
    x, y = jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y):
        raise BadInput("linear_cka",
                       f"shapes {x.shape} and {y.shape}",
                       "two matrices with the same number of rows (samples)")
    x, y = x - x.mean(axis=0), y - y.mean(axis=0)
    cross = jnp.sum((y.T @ x) ** 2)
    norms = jnp.linalg.norm(x.T @ x) * jnp.linalg.norm(y.T @ y)
    return jnp.where(norms > 0, cross / jnp.where(norms > 0, norms, 1.0), 0.0)
