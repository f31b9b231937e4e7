"""What a run will cost before anything is allocated: a size estimate, the limits it must fit, the check.

Every kind estimates, from its validated protocol alone (nothing built, nothing
allocated), the memory its run needs -- state, connectivity, recordings, datasets --
split by the key path that sets each part, and the number of steps it will take. Before
the build step, :func:`check_size` refuses an estimate beyond the memory available or
beyond the step limit with one :class:`~bioplastic.protocol.errors.ProtocolError` at the
key path responsible; ``bioplastic validate`` prints the estimate. ``--max-memory-gb``
and ``--max-steps`` (or :class:`Limits` in Python) move the limits deliberately.

The estimates are upper-bound rules of thumb (float32 arrays, the copies the build makes),
meant to be right within a small factor, not to the byte.

Example
-------
>>> estimate = Estimate({"model.populations.exc.size": 3_200 * 64, "recordings.v": 4_000_000}, 10_000,
...                     "simulation.duration_ms", "time steps")
>>> estimate.describe()
'about 4.2 MB of memory, 10,000 time steps'
>>> check_size("p.toml", estimate, Limits(max_memory_gb=1.0, max_steps=1_000))
Traceback (most recent call last):
...
bioplastic.protocol.errors.ProtocolError: p.toml: simulation.duration_ms: got 10,000 time steps; allowed: at most 1,000 (--max-steps raises the limit)
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Optional

from bioplastic.protocol.errors import ProtocolError

DEFAULT_MAX_STEPS = 10**9
FLOAT32 = 4                              # bytes
BYTES_PER_NEURON = 32 * FLOAT32          # state, parameters, output and synaptic input of one spiking neuron
BYTES_PER_DRAWN_SYNAPSE = 48             # a target index and a weight, and the pair indices (int64) while drawn


def format_bytes(n_bytes: float) -> str:
    """A byte count in decimal units, three significant figures.

    Example
    -------
    >>> format_bytes(512), format_bytes(4_200_000), format_bytes(3.2e13), format_bytes(9.6e23)
    ('512 B', '4.2 MB', '32 TB', '9.6e+23 bytes')
    >>> format_bytes(10**400)                    # beyond any float
    'about 10^400 bytes'
    """
    if n_bytes >= 1e18:
        return f"{n_bytes:.3g} bytes" if n_bytes < 1e300 else f"about 10^{len(str(int(n_bytes))) - 1} bytes"
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.3g} {unit}"
    return f"{int(n_bytes)} B"


def available_memory() -> Optional[int]:
    """Bytes of memory available to a new run now (``MemAvailable``; else the physical memory; else None).

    Example
    -------
    >>> available_memory() is None or available_memory() > 0
    True
    """
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


@dataclasses.dataclass(frozen=True)
class Limits:
    """The most a run may ask for.

    Parameters
    ----------
    max_memory_gb : float, optional
        Memory (GB, 10^9 bytes); default: what the machine has available when the check runs.
    max_steps : int
        Steps of the run (time steps, optimizer steps: each kind says which); default 10^9.

    Example
    -------
    >>> Limits().max_steps, Limits(max_memory_gb=2.0).memory_bytes()
    (1000000000, 2000000000)
    """

    max_memory_gb: Optional[float] = None
    max_steps: int = DEFAULT_MAX_STEPS

    def memory_bytes(self) -> Optional[int]:
        """The memory limit in bytes (None: unknown, no limit)."""
        if self.max_memory_gb is not None:
            return int(self.max_memory_gb * 1e9)
        return available_memory()


@dataclasses.dataclass(frozen=True)
class Estimate:
    """What a run will need: bytes of memory per key path, and its steps.

    Parameters
    ----------
    memory : dict
        Key path that sets a part of the run's memory -> its bytes (about).
    steps : int
        Steps the run takes.
    steps_at : str
        The key path that sets the number of steps (named when there are too many).
    step : str
        What one step is, plural (``"time steps"``, ``"optimizer steps"``).

    Example
    -------
    >>> estimate = Estimate({"a": 10, "b": 30}, 5, "x", "steps")
    >>> estimate.total, estimate.largest
    (40, 'b')
    """

    memory: dict
    steps: int
    steps_at: str
    step: str

    @property
    def total(self) -> int:
        """Bytes of memory in all."""
        return int(sum(self.memory.values()))

    @property
    def largest(self) -> str:
        """The key path of the largest part."""
        return max(self.memory, key=self.memory.get)

    def describe(self) -> str:
        """One line: the memory and the steps."""
        return f"about {format_bytes(self.total)} of memory, {self.steps:,} {self.step}"


def check_size(file: str, estimate: Estimate, limits: Limits) -> None:
    """Refuse a run beyond ``limits``: a :class:`ProtocolError` at the key path that sets the excess.

    Example
    -------
    >>> big = Estimate({"model.populations.exc.size": 4 * 10**13, "recordings.v": 10**6}, 10, "simulation.duration_ms",
    ...                "time steps")
    >>> check_size("p.toml", big, Limits(max_memory_gb=16.0))
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: p.toml: model.populations.exc.size: got a run that needs about 40 TB of memory (40 TB of it for this key); allowed: at most 16 GB (--max-memory-gb sets the limit; default: the memory available)
    """
    if estimate.steps > limits.max_steps:
        raise ProtocolError(file, estimate.steps_at, f"{estimate.steps:,} {estimate.step}",
                            f"at most {limits.max_steps:,} (--max-steps raises the limit)")
    available = limits.memory_bytes()
    if available is not None and estimate.total > available:
        largest = estimate.largest
        raise ProtocolError(file, largest, f"a run that needs about {format_bytes(estimate.total)} of memory "
                            f"({format_bytes(estimate.memory[largest])} of it for this key)",
                            f"at most {format_bytes(available)} (--max-memory-gb sets the limit; default: the memory "
                            "available)")


def ceil_div(a: int, b: int) -> int:
    """``ceil(a / b)`` for whole numbers, exactly.

    Example
    -------
    >>> ceil_div(10, 3), ceil_div(9, 3)
    (4, 3)
    """
    return -(-a // b)


def dataset_bytes(name: str) -> int:
    """Bytes of a dataset's arrays as stored (uint8), from its registered spec; 0 for an unknown name.

    Example
    -------
    >>> dataset_bytes("mnist")                    # 70,000 images of 28 x 28 plus their labels
    54950000
    """
    from bioplastic.data.registry import DATASETS

    entry = DATASETS.get(name)
    if entry is None or entry.spec is None:
        return 0
    return sum(math.prod(array.shape) for array in entry.spec.arrays.values())


def dataset_examples(name: str) -> tuple:
    """``(training examples, test examples, pixels per example)`` of a registered dataset; zeros if unknown.

    Example
    -------
    >>> dataset_examples("fashion_mnist")
    (60000, 10000, 784)
    """
    from bioplastic.data.registry import DATASETS

    entry = DATASETS.get(name)
    if entry is None or entry.spec is None:
        return 0, 0, 0
    train, test = entry.spec.arrays["train_images"].shape, entry.spec.arrays["test_images"].shape
    return train[0], test[0], math.prod(train[1:])
