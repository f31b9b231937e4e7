"""Cross-key checks of a protocol, raised as :class:`~bioplastic.protocol.errors.ProtocolError` at key paths of one file.

Every kind's build step uses a :class:`Checker`; :func:`load_dataset` gives a kind its dataset
from the cache, or an error naming the command that fetches it.

Example
-------
>>> Checker("p.toml").member("exc", "inputs.a.target", ("exc", "inh"), "populations") is None
True
"""

from __future__ import annotations

import difflib

from bioplastic._checks import BadInput
from bioplastic.protocol.errors import ProtocolError, relocate


class Checker:
    """Raise protocol errors at key paths of one file.

    Example
    -------
    >>> Checker("p.toml").fail("simulation.dt_ms", "-0.1", "a number > 0")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: p.toml: simulation.dt_ms: got -0.1; allowed: a number > 0
    """

    def __init__(self, file: str):
        self.file = file

    def fail(self, path: str, got: str, allowed: str):
        """Raise a :class:`ProtocolError` in this file.

        Parameters
        ----------
        path : str
            Dotted key path of the problem, e.g. ``simulation.duration_ms``.
        got : str
            What was found, already formatted (``repr`` of a value, or words).
        allowed : str
            What would be accepted.
        """
        raise ProtocolError(self.file, path, got, allowed)

    def registered(self, registry, name: str, path: str):
        """The entry of ``registry`` called ``name``; an unknown name is a :class:`ProtocolError` at ``path``.

        Parameters
        ----------
        registry : Registry
            Registry to look in (e.g. ``NEURONS``).
        name : str
            Name written in the protocol.
        path : str
            Key path of the name, for the error.
        """
        try:
            return registry.get(name, where=path)
        except BadInput as error:
            raise relocate(error, self.file, path) from None

    def call(self, path: str, function, *args, **kwargs):
        """Call library code; its BadInput is re-raised at ``path``."""
        try:
            return function(*args, **kwargs)
        except BadInput as error:
            raise relocate(error, self.file, path) from None

    def known(self, key: str, path: str, keys, what: str, units: dict | None = None):
        """``key`` must be one of ``keys``; else an unknown-key error with the closest match.

        Parameters
        ----------
        key : str
            Key written in the protocol.
        path : str
            Key path of ``key``, for the error.
        keys : sequence of str
            The accepted keys, listed in the error.
        what : str
            What a key should be, after "an unknown key, not" (e.g. ``"an option of neuron type 'lif'"``).
        units : dict, optional
            The unit of each key, listed beside it (``V_th (mV)``) where key names carry none.
        """
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            listed = [f"{name} ({units[name]})" if units and name in units else name for name in keys]
            self.fail(path, f"an unknown key, not {what}", f"{', '.join(listed)}{hint}")

    def member(self, value: str, path: str, names, what: str):
        """``value`` must be one of ``names``; else a :class:`ProtocolError` listing them, with the closest match.

        Parameters
        ----------
        value : str
            Name written in the protocol.
        path : str
            Key path of ``value``, for the error.
        names : sequence of str
            The accepted names (may be empty: "(none defined)").
        what : str
            Plural noun for the names, after "one of the" (e.g. ``"populations"``).
        """
        if value not in names:
            close = difflib.get_close_matches(str(value), names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.fail(path, repr(value), f"one of the {what}: {', '.join(names) or '(none defined)'}{hint}")


def load_dataset(check, name: str, path: str, data_dir):
    """A dataset from the cache; absent or corrupt, an error at ``path`` with the fetch command.

    Parameters
    ----------
    check : Checker
        Raises the protocol errors of one file.
    name : str
        A dataset of :data:`bioplastic.data.registry.DATASETS`.
    path : str
        The key path ``name`` was written at (e.g. ``dataset.name``).
    data_dir : str or pathlib.Path or None
        The dataset cache (``None``: the default cache).

    Example
    -------
    >>> import tempfile
    >>> load_dataset(Checker("p.toml"), "mnsit", "dataset.name", None)
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: p.toml: dataset.name: got 'mnsit'; allowed: one of the datasets (bioplastic data list): mnist, fashion_mnist, cifar10, cifar100 (did you mean 'mnist'?)
    >>> load_dataset(Checker("p.toml"), "mnist", "dataset.name", tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: p.toml: dataset.name: got 'mnist', which is not in the data cache (not fetched: ...); allowed: a fetched dataset: run `bioplastic data fetch mnist --data-dir ...` first
    """
    from bioplastic.data.dataset import DatasetCorrupt, DatasetMissing
    from bioplastic.data.registry import DATASETS, dataset_status, load

    check.member(name, path, tuple(DATASETS), "datasets (bioplastic data list)")
    try:
        return load(name, data_dir)
    except (DatasetMissing, DatasetCorrupt):
        status = dataset_status(name, data_dir)
        check.fail(path, f"{name!r}, which is not in the data cache ({status['reason']})",
                   f"a fetched dataset: run `{status['fetch_command']}` first")
    except BadInput as error:
        raise relocate(error, check.file, path) from None


def examples_used(check, path: str, asked, available: int, dataset: str, split: str) -> int:
    """How many examples of a split a protocol uses: all of them, or ``asked``, never more than there are.

    Parameters
    ----------
    check : Checker
        Raises the protocol errors of one file.
    path : str
        The key path of ``asked`` (e.g. ``training.train_examples``).
    asked : int or None
        What the protocol asks for; None takes every example.
    available : int
        Examples in the split.
    dataset, split : str
        Named in the error (``'mnist'``, ``"training"``).

    Example
    -------
    >>> examples_used(Checker("t.toml"), "training.train_examples", None, 60000, "mnist", "training")
    60000
    >>> examples_used(Checker("t.toml"), "training.train_examples", 100000, 60000, "mnist", "training")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: t.toml: training.train_examples: got 100000; allowed: at most the 60000 training examples of 'mnist'
    """
    if asked is not None and asked > available:
        check.fail(path, repr(asked), f"at most the {available} {split} examples of {dataset!r}")
    return asked or available


def plots_without_sources(check, plots: dict) -> None:
    """Plots of a kind that draws its own results: a ``recording``, ``recordings`` or ``projection`` is refused.

    Parameters
    ----------
    check : Checker
        Raises the protocol errors of one file.
    plots : dict
        The protocol's ``[plots]``: name -> :class:`~bioplastic.protocol.schema.PlotSpec`.

    Example
    -------
    >>> from bioplastic.protocol.schema import PlotSpec
    >>> plots_without_sources(Checker("t.toml"), {"curve": PlotSpec(type="learning_curve", recording="v")})
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: t.toml: plots.curve.recording: got 'v'; allowed: no recording: a learning_curve plot draws the run's own results
    """
    for name, plot in plots.items():
        for key in ("recording", "recordings", "projection"):
            if getattr(plot, key) is not None:
                check.fail(f"plots.{name}.{key}", repr(getattr(plot, key)),
                           f"no {key}: a {plot.type} plot draws the run's own results")


def plots_of_kind(check, plots: dict, registry, own, kind: str) -> None:
    """The plots of a kind that draws its own results: each a registered type of ``own``, none with a recording.

    Parameters
    ----------
    check : Checker
        Raises the protocol errors of one file.
    plots : dict
        The protocol's ``[plots]``: name -> :class:`~bioplastic.protocol.schema.PlotSpec`.
    registry : Registry
        Every plot type (``bioplastic.protocol.components.PLOTS``), for an unknown one's error.
    own : sequence of str
        The plot types of this kind.
    kind : str
        The kind's table, for the error.

    Example
    -------
    >>> from bioplastic.protocol.components import PLOTS
    >>> from bioplastic.protocol.schema import PlotSpec
    >>> plots_of_kind(Checker("t.toml"), {"spikes": PlotSpec(type="raster")}, PLOTS, ["learning_curve"], "training")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: t.toml: plots.spikes.type: got 'raster'; allowed: one of learning_curve (the plots of a training protocol)
    """
    for name, plot in plots.items():
        check.registered(registry, plot.type, f"plots.{name}.type")
        if plot.type not in own:
            check.fail(f"plots.{name}.type", repr(plot.type), f"one of {', '.join(own)} (the plots of a {kind} protocol)")
    plots_without_sources(check, plots)
