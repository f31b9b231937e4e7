"""What a protocol kind supplies to the engine: its table, schema, build step, units of work, plots.

Example
-------
>>> from bioplastic.experiments import KINDS
>>> kind = KINDS["training"]
>>> kind.table, kind.schema.__name__, "learning_curve" in kind.plots
('training', 'TrainingProtocol', True)
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

from bioplastic.runs import Work


@dataclasses.dataclass(frozen=True)
class Kind:
    """One protocol kind: a protocol with a ``[table]`` is of this kind.

    Parameters
    ----------
    table : str
        The table that marks a protocol of this kind (``"training"``); for the default
        kind, the table every protocol without another kind's table must have.
    schema : type
        The pydantic root schema of such a protocol.
    build : callable
        ``build(protocol, file, data_dir) -> experiment``: every check ``run`` would make
        (so ``validate`` and ``run`` share one path), then the built experiment.
    estimate : callable
        ``estimate(protocol) -> Estimate``: the memory and steps of the run, from the
        validated protocol alone (nothing allocated); checked against the limits before ``build``.
    work : callable
        ``work(experiment) -> Work``: the run's units of work.
    summary : callable
        ``summary(experiment) -> str``: what ``bioplastic validate`` prints after "valid".
    plots : tuple of str
        The plot types its ``[plots]`` may use.
    description : str
        One line for ``bioplastic list``.
    default : bool
        The kind of a protocol without another kind's table (the simulation).
    registries : tuple of (str, Registry)
        Named choices of its own that ``bioplastic list`` shows (e.g. training rules).
    choices : tuple of (str, type, str)
        ``(key path, schema model, field)`` of its ``Literal`` choices that ``bioplastic list`` shows.
    batch : callable, optional
        ``batch(protocols, file, data_dir, run_dirs) -> Work``: the protocols of several
        seeds run at once as one vectorised program, each seed's results in its run folder
        (``--batch-seeds``); None when the kind cannot.

    Example
    -------
    >>> from bioplastic.experiments import KINDS
    >>> [name for name, kind in KINDS.items() if kind.default]
    ['simulation']
    """

    table: str
    schema: type
    build: Callable
    estimate: Callable
    work: Callable[..., Work]
    summary: Callable[..., str]
    plots: tuple
    description: str
    default: bool = False
    registries: tuple = ()
    choices: tuple = ()
    batch: Optional[Callable] = None
