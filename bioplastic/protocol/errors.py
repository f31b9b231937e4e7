"""Protocol errors: the file, the key path, what was found and what is allowed.

Every problem found in a protocol -- invalid TOML, an unknown key, a wrong type, a
reference to a population that does not exist -- is raised as a :class:`ProtocolError`
whose message reads::

    protocols/x.toml: model.populations.exc.params.tau_ms: got 0.0; allowed: a finite number > 0 (ms)

The command line prints that message and exits with code 2, without a traceback.

Example
-------
>>> from bioplastic.protocol.errors import ProtocolError
>>> str(ProtocolError("p.toml", "simulation.dt_ms", "-0.1", "a number > 0"))
'p.toml: simulation.dt_ms: got -0.1; allowed: a number > 0'
"""

from __future__ import annotations

from bioplastic._checks import BadInput


class ProtocolError(BadInput):
    """A protocol problem located by file and key path.

    A :class:`~bioplastic._checks.BadInput` (so a ``ValueError``) whose ``where`` is
    ``"<file>: <path>"``; the message is ``"<file>: <path>: got <got>; allowed: <allowed>"``
    and the four parts are kept as attributes for programs that handle the error.

    Parameters
    ----------
    file : str
        The protocol (or model) file, as the user named it.
    path : str
        Dotted key path inside it, e.g. ``model.populations.exc.size``; ``(file)`` or
        ``line L, column C`` for problems of the file itself.
    got : str
        What was found, already formatted (``repr`` of a value, or words).
    allowed : str
        What would be accepted.

    Example
    -------
    >>> error = ProtocolError("p.toml", "model.populations.exc.size", "0", "a whole number >= 1")
    >>> error.path, error.got, isinstance(error, ValueError)
    ('model.populations.exc.size', '0', True)
    >>> raise error
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: p.toml: model.populations.exc.size: got 0; allowed: a whole number >= 1
    """

    def __init__(self, file: str, path: str, got: str, allowed: str):
        super().__init__(f"{file}: {path}", got, allowed)
        self.args = (file, path, got, allowed)
        self.file, self.path = str(file), path


def relocate(error: BadInput, file: str, path: str) -> ProtocolError:
    """A library ``BadInput`` as a ``ProtocolError`` at a protocol key path (to raise).

    Parameters
    ----------
    error : BadInput
        The library error; its ``where`` is replaced by ``file`` and ``path``.
    file : str
        The protocol file, as the user named it.
    path : str
        Dotted key path the error is reported at.

    Returns
    -------
    ProtocolError
        Returned, not raised (callers ``raise relocate(...) from None``), with the error's ``got`` and ``allowed``.

    Example
    -------
    >>> error = relocate(BadInput("LIF.params.tau_ms", "0.0", "> 0"), "p.toml", "model.x.tau_ms")
    >>> str(error)
    'p.toml: model.x.tau_ms: got 0.0; allowed: > 0'
    """
    return ProtocolError(file, path, error.got, error.allowed)
