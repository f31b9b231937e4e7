"""The one checkpoint format: a pytree saved by its tree paths, atomically, with a version.

``checkpoint.npz`` holds every leaf of the tree under its path (``jax.tree_util.keystr``,
e.g. ``['state']['populations']['exc'].v``), plus ``__format__`` (``bioplastic-checkpoint/1``)
and ``__units_done__`` (how many units of work -- chunks, epochs, tasks, stages -- it
follows). :func:`load` rebuilds the tree on the structure of a ``like`` tree: each leaf
takes the dtype of ``like``'s leaf and the saved shape (states that grow -- recordings,
learning curves, HLOP subspaces -- grow between checkpoints). A missing, unreadable,
foreign or incomplete file is a :class:`~bioplastic._checks.BadInput` that names it.

Example
-------
>>> import pathlib, tempfile
>>> import numpy as np
>>> path = pathlib.Path(tempfile.mkdtemp()) / FILE
>>> save(path, {"w": np.eye(2), "curve": np.array([0.5, 0.7])}, units_done=2)
>>> tree, done = load(path, like={"w": np.zeros((2, 2)), "curve": np.zeros(0)})
>>> tree["curve"].tolist(), done
([0.5, 0.7], 2)
"""

from __future__ import annotations

import pathlib
import zipfile

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput
from bioplastic.runs.folder import read_npz, write_npz

FILE = "checkpoint.npz"
FORMAT = "bioplastic-checkpoint/1"
_START_AGAIN = "a checkpoint written by this version of bioplastic; start afresh without --resume"


def save(path, tree, units_done: int) -> None:
    """Write ``tree`` (any pytree of arrays and numbers) and ``units_done`` to ``path``, atomically.

    Example
    -------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / FILE
    >>> save(path, (np.zeros(3), {"step": 4}), units_done=1)
    >>> sorted(read_npz(path))
    ['[0]', "[1]['step']", '__format__', '__units_done__']
    """
    arrays = {"__format__": np.asarray(FORMAT), "__units_done__": np.asarray(units_done)}
    for key_path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        arrays[jax.tree_util.keystr(key_path)] = np.asarray(leaf)
    write_npz(path, arrays)


def load(path, like):
    """The tree saved at ``path``, on the structure of ``like``, and its ``units_done``.

    Parameters
    ----------
    path : path
        The checkpoint file.
    like : pytree
        A tree of the saved structure (e.g. the state a new run starts from); its leaves
        give the dtypes (a JAX array stays a JAX array, a Python number a number).

    Raises
    ------
    BadInput
        The file is missing, not a checkpoint, of another format, or lacks a leaf of ``like``
        (the ``--resume`` folder is not what a stopped run left: the command line exits with 2).

    Example
    -------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / FILE
    >>> save(path, {"w": jnp.ones(2)}, units_done=3)
    >>> load(path, {"w": jnp.zeros(2), "b": jnp.zeros(1)})          # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: .../checkpoint.npz: got a checkpoint without ['b']; allowed: a checkpoint ...
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise BadInput(f"--resume {path.parent}", f"a run folder without {path.name}",
                       "a stopped run's folder (a completed run has no checkpoint)")
    try:
        data = read_npz(path)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise BadInput(str(path), f"a file that is not a readable checkpoint ({type(error).__name__})",
                       _START_AGAIN) from None
    found = str(data.get("__format__", "no format"))
    if found != FORMAT:
        raise BadInput(str(path), f"checkpoint format {found!r}", _START_AGAIN)
    leaves = []
    for key_path, leaf in jax.tree_util.tree_flatten_with_path(like)[0]:
        key = jax.tree_util.keystr(key_path)
        if key not in data:
            raise BadInput(str(path), f"a checkpoint without {key}", _START_AGAIN)
        leaves.append(_like(data[key], leaf))
    return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(like), leaves), int(data["__units_done__"])


def _like(saved: np.ndarray, leaf):
    if isinstance(leaf, jax.Array):
        return jnp.asarray(saved, dtype=leaf.dtype)
    if isinstance(leaf, np.ndarray) or isinstance(leaf, np.generic):
        return np.asarray(saved, dtype=leaf.dtype)
    return type(leaf)(saved.item()) if saved.ndim == 0 else saved
