"""The protocols shipped in ``protocols/``, found by name, and suggestions for a mistyped one.

``bioplastic run quickstart`` runs ``protocols/quickstart.toml``: a protocol argument that
is not an existing file but is the name of a shipped protocol (with or without
``.toml``) means that protocol. A path that is neither gets a did-you-mean among the
shipped protocols and the TOML files next to where the user pointed.

Example
-------
>>> find_protocol("quickstart").name
'quickstart.toml'
>>> find_protocol("quikstart")
Traceback (most recent call last):
...
bioplastic.protocol.errors.ProtocolError: quikstart: (file): got a path that does not exist; allowed: an existing TOML file or the name of a shipped protocol (bioplastic list shows them); did you mean 'quickstart'?
"""

from __future__ import annotations

import difflib
import pathlib

from bioplastic.protocol.errors import ProtocolError

PROTOCOLS_DIR = pathlib.Path(__file__).resolve().parent.parent.parent / "protocols"


def shipped_protocols() -> dict[str, pathlib.Path]:
    """The shipped protocols by name (the file's stem), sorted.

    Example
    -------
    >>> protocols = shipped_protocols()
    >>> protocols["lif_single"].name, "quickstart" in protocols
    ('lif_single.toml', True)
    """
    return {path.stem: path for path in sorted(PROTOCOLS_DIR.glob("*.toml"))}


def find_protocol(text: str) -> pathlib.Path:
    """The protocol file that ``text`` names: an existing path, else a shipped protocol's name.

    Parameters
    ----------
    text : str
        A path to a TOML file, or the name of a shipped protocol (``quickstart`` or
        ``quickstart.toml``).

    Returns
    -------
    pathlib.Path
        ``text`` itself when it exists (a folder too: reading it gives the error), else
        the shipped protocol's file.

    Raises
    ------
    ProtocolError
        Neither: the message suggests the closest shipped names and the closest ``.toml``
        files in the folder ``text`` points into.

    Example
    -------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "my_network.toml").write_text('name = "x"')
    >>> find_protocol(str(folder / "my_network.toml")) == folder / "my_network.toml"
    True
    >>> find_protocol("lif_single.toml") == PROTOCOLS_DIR / "lif_single.toml"
    True
    >>> find_protocol(str(folder / "my_netwrk.toml"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: ...my_netwrk.toml: (file): got a path that does not exist; allowed: ...; did you mean '.../my_network.toml'?
    >>> find_protocol("nothing_like_it")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: nothing_like_it: (file): got a path that does not exist; allowed: an existing TOML file or the name of a shipped protocol (bioplastic list shows them)
    """
    path = pathlib.Path(text)
    if path.exists():
        return path
    shipped = shipped_protocols()
    if path.parent == pathlib.Path(".") and path.name.removesuffix(".toml") in shipped:
        return shipped[path.name.removesuffix(".toml")]
    allowed = "an existing TOML file or the name of a shipped protocol (bioplastic list shows them)"
    suggestions = _closest(path, shipped)
    if suggestions:
        allowed += "; did you mean " + " or ".join(repr(name) for name in suggestions) + "?"
    raise ProtocolError(text, "(file)", "a path that does not exist", allowed)


def _closest(path: pathlib.Path, shipped: dict[str, pathlib.Path]) -> list[str]:
    """Up to three names close to ``path``: nearby ``.toml`` files first, then shipped protocols."""
    nearby = {}
    if path.parent.is_dir():
        nearby = {candidate.name: str(candidate) for candidate in path.parent.glob("*.toml")}
    near = [nearby[name] for name in difflib.get_close_matches(path.name, nearby, n=3, cutoff=0.75)]
    if path.parent == pathlib.Path("."):
        near += difflib.get_close_matches(path.name.removesuffix(".toml"), shipped, n=3, cutoff=0.75)
    return list(dict.fromkeys(near))[:3]
