"""The one shared look of bioplastic figures: sizes, fonts, spines and population colours.

:data:`STYLE` holds the look as matplotlib rcParams. The plotting functions never change
matplotlib's process-wide ``rcParams`` and never touch ``pyplot``: :func:`new_axes`
builds a :class:`matplotlib.figure.Figure` directly and styles its Axes explicitly from
:data:`STYLE`, and the drawing functions pass line widths, marker sizes and font sizes
as arguments. So they are safe in scripts, notebooks and worker threads, whatever
backend is active. For other figures in a script, :func:`bioplastic_style` applies the
same rcParams for the duration of a ``with`` block.

Colours: :data:`COLORS` gives one colour per population kind -- excitatory (red,
positive weights in the ``"RdBu_r"`` weight maps are red too), inhibitory (blue) and
other; :func:`population_color` picks the colour for a population name.

Example
-------
>>> from bioplastic.plotting.style import new_axes, population_color, COLORS
>>> fig, ax = new_axes(figsize=(3.0, 2.0))
>>> fig.get_size_inches().tolist()
[3.0, 2.0]
>>> ax.spines["top"].get_visible()
False
>>> population_color("E") == COLORS["excitatory"]
True
"""

from __future__ import annotations

import contextlib
import math
import re

import matplotlib
from matplotlib.figure import Figure

from bioplastic._checks import BadInput
from bioplastic.plotting._arrays import check_axes

#: rcParams of the shared look (sizes in inches, points and dots per inch).
STYLE: dict = {
    "figure.figsize": (6.0, 3.5),
    "figure.dpi": 100.0,
    "savefig.dpi": 150.0,
    "font.size": 9.0,
    "axes.labelsize": 9.0,
    "axes.titlesize": 10.0,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "legend.fontsize": 8.0,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.0,
    "lines.markersize": 2.0,
}

#: One colour per population kind.
COLORS: dict = {
    "excitatory": "#c0392b",
    "inhibitory": "#2c6fbb",
    "other": "#3d3d3d",
}

#: Colours for populations that are neither excitatory nor inhibitory, in turn.
OTHER_COLORS: tuple = (COLORS["other"], "#2a9d8f", "#e09f3e", "#8e6cbf", "#8c8c8c")

_EXCITATORY = re.compile(r"(exc|e$|e[\W_\d])")
_INHIBITORY = re.compile(r"(inh|i$|i[\W_\d])")


@contextlib.contextmanager
def bioplastic_style():
    """Apply :data:`STYLE` to matplotlib's rcParams inside a ``with`` block.

    The previous rcParams come back when the block ends (also on an exception).
    rcParams are process-wide, so do not enter this from several threads at once; the
    plotting functions themselves do not need it.

    Example
    -------
    >>> import matplotlib
    >>> from bioplastic.plotting.style import bioplastic_style
    >>> with bioplastic_style():
    ...     matplotlib.rcParams["axes.spines.top"]
    False
    """
    with matplotlib.rc_context(STYLE):
        yield


def population_kind(name) -> str:
    """Classify a population name as ``"excitatory"``, ``"inhibitory"`` or ``"other"``.

    ``"E"``, ``"E1"``, ``"e_pop"``, ``"exc"``, ``"excitatory"`` are excitatory;
    ``"I"``, ``"I2"``, ``"inh"``, ``"inhibitory"`` inhibitory (case ignored); anything
    else (``"input"``, ``"hidden"``) is other.

    Example
    -------
    >>> from bioplastic.plotting.style import population_kind
    >>> [population_kind(n) for n in ("E", "inh_fast", "input")]
    ['excitatory', 'inhibitory', 'other']
    """
    text = str(name).strip().lower()
    if _EXCITATORY.match(text):
        return "excitatory"
    if _INHIBITORY.match(text):
        return "inhibitory"
    return "other"


def population_color(name, index: int = 0) -> str:
    """Colour of a population: by kind, or the ``index``-th of :data:`OTHER_COLORS` for "other".

    Parameters
    ----------
    name : str
        Population name (see :func:`population_kind`).
    index : int
        Position of the population among the "other" populations of one figure, so
        that two of them get different colours.

    Example
    -------
    >>> from bioplastic.plotting.style import population_color, OTHER_COLORS
    >>> population_color("hidden", 1) == OTHER_COLORS[1]
    True
    """
    kind = population_kind(name)
    if kind != "other":
        return COLORS[kind]
    return OTHER_COLORS[int(index) % len(OTHER_COLORS)]


def style_axes(ax) -> None:
    """Give an Axes the shared look (spines, tick label sizes) without touching rcParams.

    Example
    -------
    >>> ax = Figure().add_subplot()
    >>> style_axes(ax)
    >>> ax.spines["top"].get_visible(), ax.spines["right"].get_visible(), ax.spines["left"].get_visible()
    (False, False, True)
    """
    ax.spines["top"].set_visible(STYLE["axes.spines.top"])
    ax.spines["right"].set_visible(STYLE["axes.spines.right"])
    ax.tick_params(axis="x", labelsize=STYLE["xtick.labelsize"])
    ax.tick_params(axis="y", labelsize=STYLE["ytick.labelsize"])


def label_axes(ax, xlabel: str | None = None, ylabel: str | None = None) -> None:
    """Set axis labels in the shared font size (``None`` leaves a label as it is).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes to label.
    xlabel, ylabel : str or None
        Text of the x- and y-axis labels, with the unit in brackets by convention (e.g. ``"time (ms)"``).

    Example
    -------
    >>> ax = Figure().add_subplot()
    >>> label_axes(ax, "time (ms)", None)
    >>> ax.get_xlabel(), ax.get_ylabel(), ax.xaxis.label.get_fontsize()
    ('time (ms)', '', 9.0)
    """
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=STYLE["axes.labelsize"])
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=STYLE["axes.labelsize"])


def add_legend(ax, **kwargs):
    """Draw the Axes' legend in the shared style; keyword arguments go to ``Axes.legend``.

    Returns the :class:`matplotlib.legend.Legend`.

    Example
    -------
    >>> ax = Figure().add_subplot()
    >>> _ = ax.plot([0.0, 1.0], label="v (mV)")
    >>> legend = add_legend(ax, loc="upper left")
    >>> [text.get_text() for text in legend.get_texts()], legend.get_frame_on()
    (['v (mV)'], False)
    """
    options = {"fontsize": STYLE["legend.fontsize"], "frameon": STYLE["legend.frameon"]}
    options.update(kwargs)
    return ax.legend(**options)


def new_axes(ax=None, figsize=None):
    """Return ``(figure, ax)``: the given Axes and its figure, or a new styled figure.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axes to draw on. When given it is returned unchanged with its figure.
    figsize : (float, float) or None
        Width and height in inches of a new figure; ``STYLE["figure.figsize"]`` when None.
        Ignored when ``ax`` is given.

    Returns
    -------
    (matplotlib.figure.Figure, matplotlib.axes.Axes)
        A new figure is a plain :class:`~matplotlib.figure.Figure` with constrained
        layout -- not registered with ``pyplot``, so nothing global holds on to it and
        it is freed with its last reference. Save it with
        :func:`bioplastic.plotting.save_figure`.

    Raises
    ------
    BadInput
        ``ax`` is not an Axes, or ``figsize`` is not two finite numbers > 0.

    Example
    -------
    >>> from bioplastic.plotting.style import new_axes
    >>> fig, ax = new_axes()
    >>> new_axes(ax) == (fig, ax)
    True
    """
    check_axes(ax)
    if ax is not None:
        return ax.figure, ax
    size = STYLE["figure.figsize"] if figsize is None else _check_figsize(figsize)
    fig = Figure(figsize=size, dpi=STYLE["figure.dpi"], layout="constrained")
    ax = fig.add_subplot()
    style_axes(ax)
    return fig, ax


def _check_figsize(figsize) -> tuple[float, float]:
    allowed = "(width, height) in inches, two finite numbers > 0"
    try:
        width, height = (float(x) for x in figsize)
    except (TypeError, ValueError):
        raise BadInput("figsize", f"{figsize!r}", allowed) from None
    if not all(math.isfinite(x) and x > 0 for x in (width, height)):
        raise BadInput("figsize", f"{figsize!r}", allowed)
    return width, height
