"""Weight matrices as images: presynaptic neurons on the y axis, postsynaptic on the x axis.

``weights[i, j]`` is the weight from presynaptic neuron ``i`` to postsynaptic neuron
``j`` (the ``(n_pre, n_post)`` layout of
:meth:`bioplastic.synapses.Connectivity.to_dense`); row ``i`` is drawn at height ``i``,
counted from the top as matrices are written. With ``symmetric=True`` the colour scale
runs from ``-m`` to ``m``, ``m = max |w|``, so zero sits in the middle of a diverging
colour map (white in ``"RdBu_r"``: excitatory red, inhibitory blue).

Example
-------
>>> import numpy as np
>>> from bioplastic.plotting import weight_matrix
>>> ax = weight_matrix(np.array([[0.5, -2.0, 0.0], [1.0, 0.0, 0.25]]))
>>> ax.images[0].get_clim()
(-2.0, 2.0)
>>> ax.get_xlabel(), ax.get_ylabel()
('postsynaptic neuron (index)', 'presynaptic neuron (index)')
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from bioplastic._checks import BadInput, check_finite
from bioplastic.plotting._arrays import as_numeric, describe
from bioplastic.plotting.style import STYLE, label_axes, new_axes


def weight_matrix(weights, ax=None, cmap="RdBu_r", symmetric=True, colorbar=True, label="weight (model units)"):
    """Draw a weight matrix as an image with a colour bar.

    Parameters
    ----------
    weights : array of shape (n_pre, n_post)
        Finite weights; ``weights[i, j]`` from presynaptic ``i`` to postsynaptic ``j``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.
    cmap : str or matplotlib colormap
        Colour map.
    symmetric : bool
        Colour limits ``(-m, m)`` with ``m = max |w|`` (``(-1, 1)`` for an all-zero
        matrix); otherwise ``(min w, max w)``.
    colorbar : bool
        Add a colour bar beside the Axes, labelled ``label``.
    label : str
        Colour bar label, with the weights' unit in parentheses (``"weight (mV)"``); the
        default says only that the weights are in the model's own unit.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; the matrix is its last ``AxesImage`` (``ax.images[-1]``).

    Raises
    ------
    BadInput
        ``weights`` not a non-empty 2-D array of finite numbers.

    Example
    -------
    >>> import numpy as np
    >>> from bioplastic.plotting import weight_matrix
    >>> ax = weight_matrix(np.arange(6.0).reshape(2, 3), symmetric=False)
    >>> ax.images[0].get_clim(), len(ax.figure.axes)
    ((0.0, 5.0), 2)
    """
    array = _as_matrix(weights)
    if symmetric:
        largest = float(np.max(np.abs(array)))
        vmax = largest if largest > 0 else 1.0
        vmin = -vmax
    else:
        vmin, vmax = float(array.min()), float(array.max())
    fig, ax = new_axes(ax)
    image = ax.imshow(array, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest", aspect="auto")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    label_axes(ax, "postsynaptic neuron (index)", "presynaptic neuron (index)")
    if colorbar:
        bar = fig.colorbar(image, ax=ax)
        bar.set_label(label, fontsize=STYLE["axes.labelsize"])
        bar.ax.tick_params(labelsize=STYLE["ytick.labelsize"])
    return ax


def _as_matrix(weights) -> np.ndarray:
    allowed = "a 2-D (n_pre, n_post) array with at least one row and one column"
    array = as_numeric(weights, "weights", allowed)
    if array.ndim != 2 or array.size == 0:
        raise BadInput("weights", describe(weights, array), allowed)
    check_finite(array, "weights")
    return array.astype(np.float64)
