"""Measures of a network trained by theta-gated wake-sleep: losses, autocorrelations, decoding, ring weights.

- :func:`smoothed_loss` -- an exponential moving average of a per-step loss (the
  authors smooth ``|r_B - r_A|`` over 60 s);
- :func:`autocorrelation` and :func:`autocorrelation_time` -- how long a population's
  activity stays correlated with itself (for a Gaussian process with an RBF kernel of
  length scale ``l`` the time is exactly ``l``);
- :func:`rate_maps` and :func:`decode_positions` -- mean rates per position bin on a ring,
  and the bin whose map correlates best with a population vector;
- :func:`ring_displacement` and :func:`integration_gain` -- the signed distance travelled
  round the ring, and how much of the true motion a decoded position follows once the
  sensory input is gone (1: integrates it, 0: stays where it was);
- :func:`sort_by_field_peak` and :func:`circulant_correlation` -- order units by where
  they fire and measure how much of a weight matrix is a ring (a circulant).

Times are in ms unless a name says otherwise; positions in m.

Example
-------
>>> import numpy as np
>>> from bioplastic.analysis.theta import circulant_correlation
>>> ring = np.array([[np.cos(2 * np.pi * (j - i) / 8) for j in range(8)] for i in range(8)])
>>> round(circulant_correlation(ring), 6)
1.0
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from bioplastic._checks import BadInput, check_positive, check_size
from bioplastic.data.synthetic import ring_distance


def smoothed_loss(loss, dt_ms: float, tau_s: float) -> np.ndarray:
    """``y[t] = y[t-1] + (dt / tau) (loss[t] - y[t-1])``, starting at ``y[0] = loss[0]``.

    Parameters
    ----------
    loss : array (n_steps,)
        Per-step loss.
    dt_ms : float
        Time between samples of ``loss`` (ms, > 0).
    tau_s : float
        Smoothing time constant (s, > 0); ``dt / tau`` is capped at 1 (no smoothing).

    Returns
    -------
    ndarray (n_steps,)
        The smoothed loss, float64.

    Example
    -------
    >>> smoothed_loss([1.0, 0.0, 0.0], dt_ms=500.0, tau_s=1.0).tolist()
    [1.0, 0.5, 0.25]
    """
    check_positive(dt_ms, "dt_ms", "ms")
    check_positive(tau_s, "tau_s", "s")
    loss = np.asarray(loss, np.float64)
    alpha = min(dt_ms / (1000.0 * tau_s), 1.0)
    smoothed, _ = lfilter([alpha], [1.0, alpha - 1.0], loss, zi=[(1.0 - alpha) * loss[0]])
    return smoothed


def autocorrelation(activity, max_lag: int) -> np.ndarray:
    """Population autocorrelation ``sum_i <x_i(t) x_i(t + k)> / sum_i <x_i^2>`` for ``k = 0..max_lag``.

    ``activity`` is (n_steps, n_units); each unit's mean is removed first.

    Example
    -------
    >>> x = np.sin(np.arange(4000) * 2 * np.pi / 40)[:, None]
    >>> round(float(autocorrelation(x, 20)[20]), 2)
    -1.0
    """
    activity = np.asarray(activity, np.float64)
    if activity.ndim != 2 or activity.shape[0] <= max_lag:
        raise BadInput("activity",
                       f"shape {activity.shape}",
                       f"(n_steps, n_units) with n_steps > max_lag ({max_lag})")
    centred = activity - activity.mean(0)
    n = len(centred)
    power = np.sum(centred * centred) / n
    if power == 0:
        raise BadInput("activity", "constant activity", "activity that varies (no autocorrelation otherwise)")
    return np.array([np.sum(centred[: n - k] * centred[k:]) / (n - k) for k in range(max_lag + 1)]) / power


def autocorrelation_time(curve, dt_ms: float) -> float:
    """The lag (ms) where ``curve`` first falls to ``exp(-1/2)``, interpolated linearly; ``nan`` if it never does.

    For an RBF kernel ``exp(-lag^2 / (2 l^2))`` this is ``l``.

    Example
    -------
    >>> lags = np.arange(100) * 10.0
    >>> round(autocorrelation_time(np.exp(-lags**2 / (2 * 300.0**2)), 10.0))
    300
    """
    curve = np.asarray(curve, np.float64)
    level = np.exp(-0.5)
    below = np.flatnonzero(curve <= level)
    if len(below) == 0 or below[0] == 0:
        return float("nan")
    k = below[0]
    fraction = (curve[k - 1] - level) / (curve[k - 1] - curve[k])
    return float((k - 1 + fraction) * dt_ms)


def rate_maps(rates, positions_m, length_m: float, bins: int) -> np.ndarray:
    """Mean rate of each unit in each of ``bins`` equal bins of the ring: shape (bins, n_units).

    Parameters
    ----------
    rates : array (n_steps, n_units)
        Activity of each unit at each step.
    positions_m : array (n_steps,)
        Position at each step (m); taken modulo ``length_m``.
    length_m : float
        Ring circumference (m, > 0).
    bins : int
        Number of equal position bins; every bin must be visited at least once (else ``BadInput``).

    Example
    -------
    >>> rate_maps(np.array([[1.0], [3.0], [5.0]]), np.array([0.1, 0.2, 0.7]), 1.0, 2)[:, 0].tolist()
    [2.0, 5.0]
    """
    bins = check_size(bins, "bins")
    rates = np.asarray(rates, np.float64)
    index = _bin_index(positions_m, length_m, bins)
    counts = np.bincount(index, minlength=bins)
    if (counts == 0).any():
        raise BadInput("positions_m",
                       f"no sample in {int((counts == 0).sum())} of {bins} bins",
                       "a path that visits the whole ring (record longer or use fewer bins)")
    sums = np.zeros((bins, rates.shape[1]))
    np.add.at(sums, index, rates)
    return sums / counts[:, None]


def decode_positions(maps, rates, length_m: float) -> np.ndarray:
    """Per row of ``rates``, the centre (m) of the bin whose map (from :func:`rate_maps`) correlates best.

    Correlation ignores the scale and offset of the population vector, so activity that
    keeps the pattern but not the gain of the maps is still read correctly.

    Parameters
    ----------
    maps : array (bins, n_units)
        Rate maps, e.g. from :func:`rate_maps`; row ``k`` is bin ``k``.
    rates : array (n_steps, n_units) or (n_units,)
        Population vectors to decode.
    length_m : float
        Ring circumference (m).

    Returns
    -------
    ndarray (n_steps,)
        Decoded positions (m): ``(k + 0.5) length_m / bins`` for the best bin ``k``; one entry for a 1-d ``rates``.

    Example
    -------
    >>> maps = np.eye(4)                                 # unit i fires in bin i
    >>> decode_positions(maps, np.array([[0.0, 0.0, 2.0, 0.0]]), 1.0).tolist()
    [0.625]
    """
    maps, rates = _standardized(maps), _standardized(np.atleast_2d(rates))
    best = np.argmax(rates @ maps.T, axis=1)
    return (best + 0.5) * length_m / len(maps)


def decoding_error(decoded_m, true_m, length_m: float) -> np.ndarray:
    """The distance round the ring between decoded and true positions (m).

    Parameters
    ----------
    decoded_m, true_m : arrays of one shape (or broadcastable)
        Decoded and true positions (m).
    length_m : float
        Ring circumference (m).

    Returns
    -------
    ndarray
        The shorter way round the ring (m), in ``[0, length_m / 2]``, with the broadcast shape.

    Example
    -------
    >>> [round(float(e), 2) for e in decoding_error(np.array([0.95, 0.5]), np.array([0.05, 0.2]), 1.0)]
    [0.1, 0.3]
    """
    return np.asarray(ring_distance(np.asarray(decoded_m), np.asarray(true_m), length_m))


def ring_displacement(positions_m, length_m: float) -> np.ndarray:
    """The signed distance (m) travelled round a ring since the first sample, along the last axis.

    Positions are unwrapped step by step (``np.unwrap`` with period ``length_m``): a step
    longer than half the ring is taken the other way round, so the samples must be close
    enough that the path moves less than half the ring between two of them.

    Parameters
    ----------
    positions_m : array (..., n_steps)
        Positions on the ring (m, any value, taken modulo ``length_m``), e.g. one row per episode.
    length_m : float
        Ring circumference (m, > 0).

    Returns
    -------
    ndarray (..., n_steps)
        ``unwrapped[..., t] - unwrapped[..., 0]`` (m, float64); column 0 is 0.

    Example
    -------
    >>> ring_displacement(np.mod(0.9 + 0.05 * np.arange(5), 1.0), 1.0).round(6).tolist()    # crosses 0
    [0.0, 0.05, 0.1, 0.15, 0.2]
    """
    check_positive(length_m, "length_m", "m")
    unwrapped = np.unwrap(np.asarray(positions_m, np.float64), period=length_m, axis=-1)
    return unwrapped - unwrapped[..., :1]


def integration_gain(decoded_m, true_m, length_m: float, per_episode: bool = False):
    """Least-squares slope, through the origin, of the decoded displacement on the true displacement (m per m).

    Both paths start at the moment the input is removed (column 0) and are unwrapped round
    the ring step by step (:func:`ring_displacement`), so a path may cross the ring many
    times. With the displacements ``D[e, t] = decoded[e, t] - decoded[e, 0]`` and
    ``X[e, t] = true[e, t] - true[e, 0]``,

        gain = sum_{e,t} D X / sum_{e,t} X^2,

    pooled over every step of every episode ``e`` (episodes that move further weigh more),
    or one slope per episode (``per_episode``: the sums over ``t`` only). 1: the decoded
    position follows the motion (the network integrates it); 0: it stays where it was at
    removal; 0.5: it moves half as far; negative or large and erratic: it drifts or jumps
    regardless of the motion.

    Parameters
    ----------
    decoded_m, true_m : arrays (n_steps,) or (episodes, n_steps), one shape
        Decoded and true positions (m, any value, taken round the ring) from the input's
        removal on, one row per episode; steps should be short enough that the true path
        moves less than half the ring per step.
    length_m : float
        Ring circumference (m, > 0).
    per_episode : bool
        Return one gain per row instead of the pooled one.

    Returns
    -------
    float, or ndarray (episodes,) with ``per_episode``
        The gain (dimensionless); ``nan`` where the true path does not move.

    Example
    -------
    A 4-s path at 0.3 m/s round a 1-m ring (it wraps), read every 25 ms; a decoder that
    moves half as far from where it was at removal, and one that stays there:

    >>> true = np.mod(0.9 + 0.3 * np.arange(161) * 0.025, 1.0)
    >>> half = np.mod(0.2 + 0.5 * 0.3 * np.arange(161) * 0.025, 1.0)
    >>> round(integration_gain(half, true, 1.0), 6), round(integration_gain(np.full(161, 0.2), true, 1.0), 6)
    (0.5, 0.0)
    >>> integration_gain(np.stack([true, half]), np.stack([true, true]), 1.0, per_episode=True).round(6).tolist()
    [1.0, 0.5]
    """
    decoded_m, true_m = np.asarray(decoded_m, np.float64), np.asarray(true_m, np.float64)
    if decoded_m.shape != true_m.shape or decoded_m.ndim not in (1, 2) or decoded_m.shape[-1] < 2:
        raise BadInput("decoded_m, true_m", f"shapes {decoded_m.shape} and {true_m.shape}",
                       "one shape, (n_steps,) or (episodes, n_steps), with n_steps >= 2")
    moved, followed = (ring_displacement(np.atleast_2d(x), length_m) for x in (true_m, decoded_m))
    if not per_episode:
        power = np.sum(moved * moved)
        return float(np.sum(followed * moved) / power) if power > 0 else float("nan")
    power = np.sum(moved * moved, axis=-1)
    return np.divide(np.sum(followed * moved, axis=-1), power, out=np.full(len(power), np.nan), where=power > 0)


def sort_by_field_peak(maps, min_peak: float) -> np.ndarray:
    """Indices of the units whose map reaches ``min_peak``, ordered by where on the ring it peaks.

    Example
    -------
    >>> maps = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])   # bins x units
    >>> sort_by_field_peak(maps, min_peak=0.5).tolist()
    [1, 0]
    """
    maps = np.asarray(maps)
    active = np.flatnonzero(maps.max(0) >= min_peak)
    return active[np.argsort(np.argmax(maps[:, active], axis=0), kind="stable")]


def circulant_profile(weights) -> np.ndarray:
    """``profile[k]``: the mean of ``W[i, (i + k) mod n]`` over rows, the best circulant fit's first row.

    Example
    -------
    >>> circulant_profile(np.roll(np.eye(4), 1, axis=1)).tolist()      # every unit drives its successor
    [0.0, 1.0, 0.0, 0.0]
    """
    weights = _square(weights)
    n = len(weights)
    return np.array([np.mean(weights[np.arange(n), (np.arange(n) + k) % n]) for k in range(n)])


def circulant_correlation(weights) -> float:
    """Pearson correlation of ``W`` with its circulant fit ``C[i, j] = profile[(j - i) mod n]``.

    1 for a ring (each unit connected to the others by a function of their offset only,
    whatever the shape or shift of that function), near 0 for weights without ring
    structure. ``W`` should be sorted by the units' place on the ring.

    Example
    -------
    >>> round(circulant_correlation(np.roll(np.eye(5), 2, axis=1)), 6)
    1.0
    """
    weights = _square(weights)
    n = len(weights)
    profile = circulant_profile(weights)
    circulant = profile[(np.arange(n)[None, :] - np.arange(n)[:, None]) % n]
    if np.std(circulant) == 0 or np.std(weights) == 0:
        return 0.0
    return float(np.corrcoef(weights.ravel(), circulant.ravel())[0, 1])


def _square(weights) -> np.ndarray:
    weights = np.asarray(weights, np.float64)
    if weights.ndim != 2 or weights.shape[0] != weights.shape[1] or len(weights) < 2:
        raise BadInput("weights", f"shape {weights.shape}", "a square matrix of at least 2 units")
    return weights


def _bin_index(positions_m, length_m: float, bins: int) -> np.ndarray:
    check_positive(length_m, "length_m", "m")
    return (np.floor(np.mod(np.asarray(positions_m, np.float64), length_m) / length_m * bins).astype(int)) % bins


def _standardized(x) -> np.ndarray:
    x = np.asarray(x, np.float64)
    x = x - x.mean(axis=1, keepdims=True)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
