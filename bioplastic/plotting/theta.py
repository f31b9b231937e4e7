"""Figures of theta-gated wake-sleep learning: losses, autocorrelations, decoding, ring weights, path integration.

- :func:`loss_curves` -- the smoothed ``|r_B - r_A|`` of each layer against training time;
- :func:`autocorrelations` -- generated activity's autocorrelation beside the latents';
- :func:`decoded_path` -- decoded and true position, the removal of sensory input marked;
- :func:`ring_weights` -- a weight matrix sorted by place-field peak, and its mean
  profile against the offset between units;
- :func:`error_curves` -- decoding error against time, one curve per model.

Example
-------
>>> import numpy as np
>>> from bioplastic.plotting.theta import error_curves
>>> ax = error_curves({"trained": np.zeros((3, 40)), "untrained": np.ones((3, 40))}, dt_ms=25.0, removal_s=0.5)
>>> [line.get_label() for line in ax.lines][:2]
['Trained', 'Untrained']
"""

from __future__ import annotations

import numpy as np

from bioplastic._checks import BadInput
from bioplastic.analysis.theta import circulant_profile
from bioplastic.plotting.names import readable_name
from bioplastic.plotting.style import STYLE, add_legend, label_axes, new_axes


def loss_curves(losses: dict, dt_ms: float, ax=None):
    """Draw each layer's smoothed loss (name -> per-step values) against training time (min), log scale.

    Parameters
    ----------
    losses : dict of str -> array (n_steps,)
        Smoothed loss of each layer (e.g. from :func:`~bioplastic.analysis.theta.smoothed_loss`); the key, in words
        (:func:`~bioplastic.plotting.names.readable_name`: ``hpc`` -> HPC), is the label.
    dt_ms : float
        Time between values (ms); value ``n`` is drawn at ``n dt_ms``.
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new styled figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Example
    -------
    >>> ax = loss_curves({"hpc": np.linspace(1.0, 0.1, 2400), "ec": np.full(2400, 0.05)}, dt_ms=25.0)
    >>> [line.get_label() for line in ax.lines], ax.get_yscale(), round(float(ax.lines[0].get_xdata()[-1]), 2)
    (['HPC', 'EC'], 'log', 1.0)
    """
    _, ax = new_axes(ax)
    for name, values in losses.items():
        values = np.asarray(values)
        ax.plot(np.arange(len(values)) * dt_ms / 60000.0, values, label=readable_name(name),
                linewidth=STYLE["lines.linewidth"])
    ax.set_yscale("log")
    label_axes(ax, "training time (min)", "mismatch |r_B - r_A| (unitless, smoothed)")
    add_legend(ax)
    return ax


def autocorrelations(generated, latents, dt_ms: float, ax=None):
    """Draw the autocorrelation of generated activity and of the latents against lag (s); ``dt_ms``: lag step (ms).

    A dotted horizontal line marks ``exp(-1/2)``, the level read by
    :func:`~bioplastic.analysis.theta.autocorrelation_time`.

    Parameters
    ----------
    generated, latents : array (n_lags,)
        Autocorrelation curves, entry ``k`` at lag ``k dt_ms`` (e.g. from
        :func:`~bioplastic.analysis.theta.autocorrelation`); drawn solid and dashed.
    dt_ms : float
        Lag step (ms).
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new styled figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Example
    -------
    >>> ax = autocorrelations(np.exp(-np.arange(41) / 20), np.exp(-np.arange(41) / 40), dt_ms=25.0)
    >>> [line.get_label() for line in ax.lines][:2], float(ax.lines[0].get_xdata()[-1])
    (['generated', 'latents'], 1.0)
    """
    _, ax = new_axes(ax)
    for label, curve, style in (("generated", generated, "-"), ("latents", latents, "--")):
        curve = np.asarray(curve)
        ax.plot(np.arange(len(curve)) * dt_ms / 1000.0, curve, style, label=label, linewidth=STYLE["lines.linewidth"])
    ax.axhline(np.exp(-0.5), color="0.6", linestyle=":", linewidth=1.0)
    label_axes(ax, "lag (s)", "autocorrelation (unitless)")
    add_legend(ax)
    return ax


def decoded_path(decoded_m, true_m, dt_ms: float, removal_s=None, ax=None):
    """Draw true (grey dots) and decoded (dots) positions (m) against time (s); a dotted line at the removal.

    Parameters
    ----------
    decoded_m, true_m : array (n_steps,)
        Decoded and true positions (m), one per step; equal 1-D shapes.
    dt_ms : float
        Time between positions (ms); position ``n`` is drawn at ``n dt_ms``.
    removal_s : float or None
        When the sensory input was removed (s), marked by a dotted vertical line; None draws no line.
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new styled figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    BadInput
        ``decoded_m`` and ``true_m`` differ in shape or are not 1-D.

    Example
    -------
    >>> ax = decoded_path(np.linspace(0, 1, 80), np.linspace(0, 1, 80), dt_ms=25.0, removal_s=1.0)
    >>> [line.get_label() for line in ax.lines]
    ['true', 'decoded', 'input removed']
    """
    decoded_m, true_m = np.asarray(decoded_m), np.asarray(true_m)
    if decoded_m.shape != true_m.shape or decoded_m.ndim != 1:
        raise BadInput("decoded_m, true_m", f"shapes {decoded_m.shape} and {true_m.shape}", "equal 1-D")
    _, ax = new_axes(ax)
    time_s = np.arange(len(true_m)) * dt_ms / 1000.0
    ax.plot(time_s, true_m, ".", markersize=2, color="0.3", label="true")
    ax.plot(time_s, decoded_m, ".", markersize=2, label="decoded")
    if removal_s is not None:
        ax.axvline(removal_s, color="0.4", linestyle=":", linewidth=1.0, label="input removed")
    label_axes(ax, "time (s)", "position (m)")
    add_legend(ax)
    return ax


def ring_weights(weights, ax=None, profile_ax=None, title=None):
    """Draw a sorted square weight matrix; on ``profile_ax``, its mean profile against the offset ``j - i``.

    Parameters
    ----------
    weights : array (n, n)
        Weights ``W[i, j]`` from unit ``j`` to unit ``i`` (dimensionless: rate units), units sorted by their
        place on the ring; drawn with a symmetric colour scale and a colour bar.
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new styled figure when None.
    profile_ax : matplotlib.axes.Axes or None
        Axes for the profile (:func:`~bioplastic.analysis.theta.circulant_profile`) at offsets
        ``-n // 2 .. n - n // 2 - 1`` (units); None draws no profile.
    title : str or None
        Title of ``ax`` and label of the profile line.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes of the matrix.

    Example
    -------
    >>> import matplotlib.pyplot as plt
    >>> fig, (ax, profile_ax) = plt.subplots(1, 2)
    >>> _ = ring_weights(np.eye(6), ax=ax, profile_ax=profile_ax)
    >>> profile_ax.lines[0].get_ydata().tolist()                 # the profile centred on offset 0
    [0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    """
    weights = np.asarray(weights)
    _, ax = new_axes(ax)
    limit = float(np.abs(weights).max()) or 1.0
    image = ax.imshow(weights, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, shrink=0.8).set_label("weight (unitless)", fontsize=STYLE["axes.labelsize"])
    label_axes(ax, "presynaptic unit (index, sorted)", "postsynaptic unit (index, sorted)")
    if title:
        ax.set_title(title, fontsize="small")
    if profile_ax is not None:
        profile = circulant_profile(weights)
        n = len(profile)
        offsets = np.arange(n) - n // 2
        profile_ax.plot(offsets, np.roll(profile, n // 2), linewidth=STYLE["lines.linewidth"], label=title)
        label_axes(profile_ax, "offset j - i (unit indices)", "mean weight (unitless)")
    return ax


def error_curves(errors: dict, dt_ms: float, removal_s=None, ax=None):
    """Draw each model's decoding error (name -> (episodes, steps)), mean over episodes, against time (s).

    See the module example.

    Parameters
    ----------
    errors : dict of str -> array (n_episodes, n_steps) or (n_steps,)
        Decoding error (m) of each model per episode and step; the key, in words, is the label.
    dt_ms : float
        Time between steps (ms); step ``n`` is drawn at ``n dt_ms``.
    removal_s : float or None
        When the sensory input was removed (s), marked by a dotted vertical line; None draws no line.
    ax : matplotlib.axes.Axes or None
        Axes to draw on; a new styled figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Example
    -------
    >>> ax = error_curves({"model": np.array([[0.1, 0.2, 0.3, 0.4], [0.3, 0.2, 0.1, 0.0]])}, dt_ms=250.0)
    >>> len(ax.lines), ax.lines[0].get_xdata().tolist(), np.round(ax.lines[0].get_ydata(), 2).tolist()
    (1, [0.0, 0.25, 0.5, 0.75], [0.2, 0.2, 0.2, 0.2])
    """
    _, ax = new_axes(ax)
    for name, values in errors.items():
        values = np.atleast_2d(np.asarray(values))
        ax.plot(np.arange(values.shape[1]) * dt_ms / 1000.0, values.mean(axis=0), label=readable_name(name),
                linewidth=STYLE["lines.linewidth"])
    if removal_s is not None:
        ax.axvline(removal_s, color="0.4", linestyle=":", linewidth=1.0, label="input removed")
    label_axes(ax, "time (s)", "decoding error (m)")
    add_legend(ax)
    return ax
