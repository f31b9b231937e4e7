"""Fashion-MNIST (Zalando's clothing images) from Debian's ``dataset-fashion-mnist`` package.

Source
------
The package (bookworm: ``dataset-fashion-mnist_0.0~git20200523.55506a9-1_all.deb``)
installs four gzip-compressed IDX files in ``/usr/share/datasets/fashion-mnist``:
``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``. The .deb is an ``ar``
archive of ``debian-binary``, ``control.tar.xz`` and ``data.tar.xz``; the files sit in
``data.tar.xz`` under ``./usr/share/datasets/fashion-mnist/``. When the package is not
installed, :func:`fetch_fashion_mnist` runs ``apt-get download dataset-fashion-mnist``
in ``<cache>/downloads`` and reads the files out of the .deb (no root, no install;
see :mod:`bioplastic.data.deb`).

Checksums (sha256, hard-coded below)
------------------------------------
Debian recompressed the .gz files, so their bytes differ from upstream's; what is
checked is the decompressed IDX files (``gunzip -c FILE.gz | sha256sum``), computed
once from the .deb. They equal :func:`~bioplastic.data.cache.array_sha256` of the
parsed arrays, and for the label files they were also checked against upstream's own
files (whose gzip MD5s match those published in the Fashion-MNIST README). The class
counts -- 6000 per class in train, 1000 in test -- are an independent check
(``tests/test_data.py``).

Example
-------
>>> from bioplastic.data.fashion_mnist import CLASS_NAMES, SPEC
>>> CLASS_NAMES[9], SPEC.arrays["test_images"].shape
('Ankle boot', (10000, 28, 28))
"""

from __future__ import annotations

import gzip
import os
import pathlib
import shutil
import subprocess
import sys

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
from bioplastic.data.deb import read_deb_files
from bioplastic.data.idx import parse_idx

PACKAGE = "dataset-fashion-mnist"
PACKAGE_DIR = "/usr/share/datasets/fashion-mnist"  # where the package puts the files (inside the .deb too)
SYSTEM_DIR = pathlib.Path(PACKAGE_DIR)  # where to look for an installed copy
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

# sha256 of each decompressed IDX file == array_sha256 of the parsed array.
SPEC = DatasetSpec(
    name="fashion_mnist",
    arrays={
        "train_images": ArraySpec((60000, 28, 28), "uint8", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        "train_labels": ArraySpec((60000,), "uint8", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        "test_images": ArraySpec((10000, 28, 28), "uint8", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        "test_labels": ArraySpec((10000,), "uint8", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    },
    class_names=CLASS_NAMES,
    source=f"Debian package {PACKAGE} ({SYSTEM_DIR})",
)


def arrays_from_gz_files(compressed: dict[str, bytes], where: str) -> dict[str, np.ndarray]:
    """The four verified arrays from the .gz file contents ``{array name: bytes}``.

    Each file is decompressed and its sha256 checked before it is parsed.

    Parameters
    ----------
    compressed : dict
        The bytes of each .gz file, keyed by the names in :data:`FILES` (``"train_images"`` ...).
    where : str
        Where the files came from, for error messages.

    Returns
    -------
    dict
        ``train_images`` (60000, 28, 28), ``train_labels`` (60000,), ``test_images`` (10000, 28, 28),
        ``test_labels`` (10000,), all uint8.

    Raises
    ------
    FetchFailed
        When a file does not decompress or fails its checksum.

    Example
    -------
    >>> arrays_from_gz_files({key: gzip.compress(b"x") for key in FILES}, "toy")
    Traceback (most recent call last):
    ...
    bioplastic.data.dataset.FetchFailed: toy/train-images-idx3-ubyte.gz: got decompressed sha256 ...; allowed: c59f...
    """
    arrays = {}
    for key, file_name in FILES.items():
        try:
            raw = gzip.decompress(compressed[key])
        except (OSError, EOFError) as error:
            raise FetchFailed(f"{where}/{file_name}", f"an unreadable gzip stream ({error})", "a valid .gz file") from None
        expected = SPEC.arrays[key].sha256
        if sha256_bytes(raw) != expected:
            raise FetchFailed(f"{where}/{file_name}", f"decompressed sha256 {sha256_bytes(raw)}", expected)
        arrays[key] = parse_idx(raw, f"{where}/{file_name}")
    try:
        check_arrays(SPEC, arrays, where)
    except BadInput as error:
        raise FetchFailed(error.where, error.got, error.allowed) from None
    return arrays


def arrays_from_directory(directory) -> dict[str, np.ndarray]:
    """The verified arrays from the four .gz files in ``directory`` (e.g. the installed package).

    Returns the dict of :func:`arrays_from_gz_files`; raises
    :class:`~bioplastic.data.dataset.FetchFailed` when a file is missing or fails its checksum.

    Example
    -------
    >>> import tempfile
    >>> arrays_from_directory(tempfile.mkdtemp())                 # an empty directory
    Traceback (most recent call last):
    ...
    bioplastic.data.dataset.FetchFailed: ...: got an unreadable file (...); allowed: the four Fashion-MNIST .gz files
    """
    directory = pathlib.Path(directory)
    try:
        compressed = {key: (directory / name).read_bytes() for key, name in FILES.items()}
    except OSError as error:
        raise FetchFailed(directory, f"an unreadable file ({error})", "the four Fashion-MNIST .gz files") from None
    return arrays_from_gz_files(compressed, str(directory))


def arrays_from_deb(deb_path) -> dict[str, np.ndarray]:
    """The verified arrays read out of the ``dataset-fashion-mnist`` .deb at ``deb_path``.

    Returns the dict of :func:`arrays_from_gz_files`; raises
    :class:`~bioplastic.data.dataset.FetchFailed` when the file is not that package or fails its checksums.

    Example
    -------
    >>> import tempfile
    >>> deb = pathlib.Path(tempfile.mkdtemp()) / "dataset-fashion-mnist_0_all.deb"
    >>> _ = deb.write_bytes(b"not a deb")
    >>> arrays_from_deb(deb)
    Traceback (most recent call last):
    ...
    bioplastic.data.dataset.FetchFailed: ...: got an unreadable package (...); allowed: the Debian package ...
    """
    paths = {key: f"{PACKAGE_DIR}/{name}" for key, name in FILES.items()}
    try:
        contents = read_deb_files(deb_path, paths.values())
    except (BadInput, OSError, EOFError, ValueError) as error:  # tarfile / lzma errors are OSError or ValueError
        raise FetchFailed(deb_path, f"an unreadable package ({error})", f"the Debian package {PACKAGE}") from None
    return arrays_from_gz_files({key: contents[path] for key, path in paths.items()}, f"{deb_path}:{PACKAGE_DIR}")


def _local_debs(root: pathlib.Path) -> list[pathlib.Path]:
    return sorted((root / "downloads").glob(f"{PACKAGE}_*.deb"), reverse=True)


def _from_local_source(root: pathlib.Path):
    """Arrays from the installed package or a .deb in ``<root>/downloads``; ``None`` when neither verifies."""
    candidates = []
    if all((SYSTEM_DIR / name).is_file() for name in FILES.values()):
        candidates.append((arrays_from_directory, SYSTEM_DIR))
    candidates += [(arrays_from_deb, deb) for deb in _local_debs(root)]
    for build, path in candidates:
        try:
            return build(path)
        except FetchFailed:
            continue
    return None


def fetch_fashion_mnist(cache_dir=None) -> pathlib.Path:
    """Obtain (if needed), verify and cache Fashion-MNIST; return the path of the cached .npz.

    Steps: a cached copy that verifies is kept; else the installed package
    (``/usr/share/datasets/fashion-mnist``) or a .deb already in ``<cache>/downloads``
    is used if it verifies (an invalid .deb is deleted); else ``apt-get download
    dataset-fashion-mnist`` runs in ``<cache>/downloads``. The arrays are checked
    against the hard-coded checksums and written atomically with their manifest.

    Parameters
    ----------
    cache_dir : path or None
        The cache directory (see :func:`~bioplastic.data.cache.data_dir`).

    Returns
    -------
    pathlib.Path
        ``<cache>/fashion_mnist.npz``.

    Raises
    ------
    FetchFailed
        When apt-get is missing or fails (the message has its last lines; ``apt-get
        update`` fixes "Unable to locate package"), or the package fails its checksums.

    Example
    -------
    The path it returns (the fetch itself downloads about 30 MB once, so it is not run here):

    >>> cache_paths(SPEC.name, "/tmp/cache")[0]
    PosixPath('/tmp/cache/fashion_mnist.npz')
    >>> fetch_fashion_mnist("/tmp/cache")  # doctest: +SKIP
    PosixPath('/tmp/cache/fashion_mnist.npz')
    """
    npz_path, _ = cache_paths(SPEC.name, cache_dir)
    if cache_status(SPEC, cache_dir)[0]:
        return npz_path
    root = data_dir(cache_dir)
    arrays = _from_local_source(root)
    if arrays is None:
        downloads = downloads_dir(cache_dir)
        downloads.mkdir(parents=True, exist_ok=True)
        for stale in _local_debs(root):  # present but failed verification above
            stale.unlink()
        apt_get = shutil.which("apt-get")
        if apt_get is None:
            raise FetchFailed("dataset 'fashion_mnist'",
                              "no apt-get on this machine",
                              f"a Debian-based system, or the package {PACKAGE} installed, or its .deb placed in {downloads}")
        done = subprocess.run([apt_get, "download", PACKAGE], cwd=downloads, capture_output=True, text=True)
        if done.returncode != 0 and os.geteuid() == 0:
            # A fresh machine may have no package lists yet: refresh them once (root only) and retry.
            print("apt-get download failed; running apt-get update once and retrying", file=sys.stderr, flush=True)
            subprocess.run([apt_get, "update", "-qq"], capture_output=True, text=True)
            done = subprocess.run([apt_get, "download", PACKAGE], cwd=downloads, capture_output=True, text=True)
        debs = _local_debs(root)
        if done.returncode != 0 or not debs:
            tail = (done.stderr or done.stdout).strip()[-800:]
            raise FetchFailed("dataset 'fashion_mnist'",
                              f"exit status {done.returncode} from `apt-get download {PACKAGE}`: {tail}",
                              f"a reachable Debian archive (run `apt-get update` first if the package cannot be located), or the .deb placed in {downloads}")
        arrays = arrays_from_deb(debs[0])
    return write_cache(SPEC, cache_dir, arrays)


def load_fashion_mnist(cache_dir=None) -> Dataset:
    """Fashion-MNIST from the cache, verified; never downloads.

    A missing cache is built from a local source (installed package or downloaded .deb)
    when one verifies, else raises :class:`~bioplastic.data.dataset.DatasetMissing`
    (the message names ``bioplastic data fetch fashion_mnist``); a corrupted cache is
    rebuilt the same way, else raises :class:`~bioplastic.data.dataset.DatasetCorrupt`.

    Returns
    -------
    Dataset
        ``train_images`` (60000, 28, 28) uint8, ``train_labels`` (60000,) uint8,
        ``test_images`` (10000, 28, 28), ``test_labels`` (10000,); :data:`CLASS_NAMES`.

    Example
    -------
    An empty cache on a machine without the package (``SYSTEM_DIR`` pointed elsewhere):

    >>> import tempfile
    >>> from unittest import mock
    >>> with mock.patch("bioplastic.data.fashion_mnist.SYSTEM_DIR", pathlib.Path("/nonexistent")):
    ...     load_fashion_mnist(tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    bioplastic.data.dataset.DatasetMissing: dataset 'fashion_mnist': got no cached copy at ...
    """
    return load_cached(SPEC, cache_dir, build_local=_from_local_source)
