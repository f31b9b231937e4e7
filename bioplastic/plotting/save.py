"""Save a figure atomically: the file at ``path`` is either the old one or the whole new one.

The figure is written to a temporary file in the destination folder (same file system)
and then moved over ``path`` with :func:`os.replace`, so a reader -- or a crash half-way
through -- never sees a truncated image. Parent folders are created as needed; on any
error the temporary file is removed and ``path`` is left as it was.

Example
-------
>>> import os, tempfile
>>> from bioplastic.plotting import new_axes, save_figure
>>> fig, ax = new_axes(figsize=(2.0, 1.5))
>>> with tempfile.TemporaryDirectory() as folder:
...     path = save_figure(fig, os.path.join(folder, "out", "fig.png"))
...     path.read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n", os.listdir(path.parent)
(True, ['fig.png'])
"""

from __future__ import annotations

import os
import pathlib
import secrets

from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure

from bioplastic._checks import BadInput
from bioplastic.plotting._arrays import as_positive
from bioplastic.plotting.style import STYLE


def save_figure(fig, path, dpi=None):
    """Write ``fig`` to ``path`` atomically and return the path.

    Parameters
    ----------
    fig : matplotlib.figure.Figure or matplotlib.axes.Axes
        The figure, or an Axes of it (its whole figure is saved).
    path : str or os.PathLike
        Destination file; its suffix picks the format (``.png``, also ``.pdf``,
        ``.svg`` and the other formats matplotlib writes). Missing parent folders are
        created; an existing file is replaced.
    dpi : float, optional
        Resolution in dots per inch; ``STYLE["savefig.dpi"]`` when None.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    BadInput
        ``fig`` is not a Figure or Axes, ``path`` has no suffix or one matplotlib
        cannot write, ``dpi`` not > 0.

    Example
    -------
    >>> from bioplastic.plotting import new_axes, save_figure
    >>> fig, ax = new_axes()
    >>> save_figure(fig, "figure")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: path: got 'figure'; allowed: a file name ending in one of ..., .png, ...
    """
    if isinstance(fig, Axes):
        fig = fig.figure
    if isinstance(fig, SubFigure):
        fig = fig.get_figure(root=True)
    if not isinstance(fig, Figure):
        raise BadInput("fig", f"{fig!r}", "a matplotlib Figure or Axes")
    try:
        target = pathlib.Path(path)
    except TypeError:
        raise BadInput("path", f"{path!r}", "a file path (str or os.PathLike)") from None
    formats = sorted(fig.canvas.get_supported_filetypes())
    fmt = target.suffix[1:].lower()
    if fmt not in formats:
        allowed = ", ".join(f".{name}" for name in formats)
        raise BadInput("path", f"{str(path)!r}", f"a file name ending in one of {allowed}")
    dpi = STYLE["savefig.dpi"] if dpi is None else as_positive(dpi, "dpi", "dots per inch")

    target.parent.mkdir(parents=True, exist_ok=True)
    temporary, handle = _open_temporary(target)
    try:
        with os.fdopen(handle, "wb") as stream:
            fig.savefig(stream, format=fmt, dpi=dpi)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    return target


def _open_temporary(target: pathlib.Path) -> tuple[pathlib.Path, int]:
    """Create a new hidden file beside ``target``; permissions follow the umask like any new file."""
    while True:
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
