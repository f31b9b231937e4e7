"""A Gaussian-process decoder of a position on a ring from population rates, as George et al. (2023) decode.

The authors fit ``sklearn``'s ``GaussianProcessRegressor`` with its default kernel --
``1.0 * RBF(length_scale=1.0)``, both fixed (no marginal-likelihood fit in scikit-learn up
to 1.8), a diagonal ``alpha = 1e-10`` and a zero prior mean -- from the raw rates of a
layer to ``(cos 2 pi x / L, sin 2 pi x / L)``, and read the position back with ``arctan2``.
The regression's prediction is the GP posterior mean,

    f(r*) = k(r*, R) (K + alpha I)^-1 Y,     k(a, b) = amplitude * exp(-|a - b|^2 / (2 length_scale^2)),

which is kernel ridge regression with ridge ``alpha``: :class:`RingDecoder` computes it in
float64 with a Cholesky factor, as scikit-learn does (``tests/test_theta_hippocampus.py``
compares the two on the same data).

Example
-------
>>> import numpy as np
>>> positions = np.linspace(0.0, 1.0, 200, endpoint=False)             # a 1-m ring
>>> centres = np.linspace(0.0, 1.0, 20, endpoint=False)
>>> def rates(x):                                                       # 20 place cells, 0.1 m wide
...     d = np.abs((x[:, None] - centres[None, :] + 0.5) % 1.0 - 0.5)
...     return np.exp(-d**2 / (2 * 0.1**2))
>>> decoder = RingDecoder.fit(rates(positions), positions, length_m=1.0)
>>> decoded = decoder.decode(rates(np.array([0.13, 0.52, 0.97])))
>>> np.round(decoded, 2).tolist()
[0.13, 0.52, 0.97]
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from bioplastic._checks import BadInput, check_positive

AUTHORS_LENGTH_SCALE = 1.0       # scikit-learn's default RBF length scale, fixed
AUTHORS_AMPLITUDE = 1.0          # and its default constant kernel
AUTHORS_ALPHA = 1e-10            # GaussianProcessRegressor's default diagonal term


@dataclasses.dataclass(frozen=True)
class RingDecoder:
    """A fitted GP (kernel ridge) decoder: training rates, their dual weights, the ring and the kernel.

    Make one with :meth:`fit`; :meth:`decode` reads positions (m) from rates.
    """

    rates: np.ndarray             # (n_samples, n_units) training inputs
    weights: np.ndarray           # (n_samples, 2) (K + alpha I)^-1 [cos, sin]
    length_m: float
    length_scale: float
    amplitude: float

    @classmethod
    def fit(cls, rates, positions_m, length_m: float, length_scale: float = AUTHORS_LENGTH_SCALE,
            amplitude: float = AUTHORS_AMPLITUDE, alpha: float = AUTHORS_ALPHA) -> "RingDecoder":
        """Fit on ``rates`` (n_samples, n_units) at ``positions_m`` (n_samples,) on a ring of ``length_m`` (m).

        Raises
        ------
        BadInput
            Mismatched lengths, or no samples.
        """
        rates = np.asarray(rates, np.float64)
        positions_m = np.asarray(positions_m, np.float64)
        if rates.ndim != 2 or rates.shape[0] != positions_m.shape[0] or rates.shape[0] == 0:
            raise BadInput("rates, positions_m", f"shapes {rates.shape} and {positions_m.shape}",
                           "(n_samples, n_units) and (n_samples,), n_samples >= 1")
        for value, name in ((length_m, "length_m"), (length_scale, "length_scale"), (amplitude, "amplitude")):
            check_positive(value, name)
        angle = 2.0 * np.pi * positions_m / length_m
        targets = np.stack([np.cos(angle), np.sin(angle)], axis=1)
        gram = _rbf(rates, rates, length_scale, amplitude)
        gram[np.diag_indices_from(gram)] += alpha
        weights = cho_solve(cho_factor(gram, lower=True), targets)
        return cls(rates, weights, float(length_m), float(length_scale), float(amplitude))

    def predict(self, rates) -> np.ndarray:
        """The posterior mean of ``(cos, sin)`` for each row of ``rates``: shape (n, 2)."""
        rates = np.atleast_2d(np.asarray(rates, np.float64))
        return _rbf(rates, self.rates, self.length_scale, self.amplitude) @ self.weights

    def decode(self, rates, chunk: int = 4096) -> np.ndarray:
        """Positions (m, in ``[0, length_m)``) of each row of ``rates``: ``arctan2`` of the predicted (cos, sin).

        Rows are taken ``chunk`` at a time, so the kernel block stays small.
        """
        rates = np.atleast_2d(np.asarray(rates, np.float64))
        predicted = np.concatenate([self.predict(rates[i:i + chunk]) for i in range(0, len(rates), chunk)]
                                   or [np.zeros((0, 2))])
        angle = np.arctan2(predicted[:, 1], predicted[:, 0]) % (2.0 * np.pi)
        return angle * self.length_m / (2.0 * np.pi)


def _rbf(a: np.ndarray, b: np.ndarray, length_scale: float, amplitude: float) -> np.ndarray:
    """``amplitude * exp(-|a_i - b_j|^2 / (2 length_scale^2))`` for every pair of rows (float64)."""
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return amplitude * np.exp(-np.maximum(squared, 0.0) / (2.0 * length_scale**2))
