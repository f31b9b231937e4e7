"""What every exporter checks first: the file it is asked to write, and the finished run it reads.

:func:`output_path` refuses a file of the wrong suffix, an existing file (unless asked to
replace it) and a file in a folder that does not exist; :func:`finished_run` reads a run
folder's ``protocol.toml`` and ``manifest.json`` and refuses anything but a finished
(``status`` ``completed``) run of the protocol kinds asked for. Both raise :class:`~bioplastic._checks.BadInput` before anything is written.

Example
-------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> output_path(folder / "net.nir", False, "--nir", ".nir") == folder / "net.nir"
True
>>> finished_run(folder, ("simulation",), "a run of a simulation protocol")         # doctest: +ELLIPSIS
Traceback (most recent call last):
...
bioplastic._checks.BadInput: ...: got a folder without protocol.toml and manifest.json; allowed: a run folder ...
"""

from __future__ import annotations

import json
import pathlib
import tomllib

from bioplastic._checks import BadInput
from bioplastic.experiments import kind_of, load_protocol

FINISHED = "completed"


def output_path(path, overwrite: bool, option: str, suffix: str) -> pathlib.Path:
    """``path`` as a Path, after checking it ends ``suffix`` and may be written.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write.
    overwrite : bool
        Whether an existing file may be replaced.
    option, suffix : str
        The command-line option named in errors (``"--nwb"``) and the suffix the file needs (``".nwb"``).

    Example
    -------
    >>> output_path("/tmp/out.h5", False, "--nwb", ".nwb")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: --nwb /tmp/out.h5: got a file name ending '.h5'; allowed: a file name ending .nwb
    """
    path = pathlib.Path(path)
    if path.suffix != suffix:
        raise BadInput(f"{option} {path}", f"a file name ending {path.suffix!r}" if path.suffix else
                       "a file name without a suffix", f"a file name ending {suffix}")
    if path.exists() and not overwrite:
        raise BadInput(f"{option} {path}", "an existing file",
                       "a new file, or overwrite=True (--overwrite) to replace it")
    if not path.parent.is_dir():
        raise BadInput(f"{option} {path}", f"a file in {path.parent}, which is not a folder",
                       "a file in an existing folder")
    return path


def finished_run(run_dir, kinds, other_kinds: str):
    """``(run folder, protocol.toml text, manifest, validated protocol, kind's table)`` of a finished run.

    Parameters
    ----------
    run_dir : str or pathlib.Path
        A folder written by ``bioplastic run``.
    kinds : tuple of str
        The protocol kinds accepted, by their tables (``"simulation"``, ``"continual"``, ...).
    other_kinds : str
        What the error for a run of another kind allows, with the reason.

    Example
    -------
    >>> finished_run("/no/such/run", ("continual",), "a run of a continual protocol")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: /no/such/run: got no folder; allowed: a run folder made by bioplastic run
    """
    run_dir = pathlib.Path(run_dir)
    allowed = "a run folder made by bioplastic run"
    if not run_dir.is_dir():
        raise BadInput(str(run_dir), "no folder", allowed)
    protocol_file, manifest_file = run_dir / "protocol.toml", run_dir / "manifest.json"
    if not (protocol_file.is_file() and manifest_file.is_file()):
        raise BadInput(str(run_dir), "a folder without protocol.toml and manifest.json", allowed)
    try:
        protocol_text = protocol_file.read_text()
        manifest = json.loads(manifest_file.read_text())
        kind = kind_of(tomllib.loads(protocol_text))
    except (OSError, ValueError) as error:          # unreadable, not UTF-8, not TOML or not JSON
        raise BadInput(str(run_dir), f"a run folder whose protocol.toml or manifest.json cannot be read "
                       f"({type(error).__name__})", f"{allowed}, as it wrote them") from None
    status = manifest.get("status")
    if status != FINISHED:
        raise BadInput(str(run_dir), f"a run whose manifest.json says status {status!r}",
                       f"a finished run (status {FINISHED!r}); resume a stopped one with bioplastic run PROTOCOL "
                       f"--resume {run_dir}")
    if kind.table not in kinds:
        raise BadInput(str(run_dir), f"a run of a {kind.table} protocol", other_kinds)
    protocol, _ = load_protocol(protocol_file)
    return run_dir, protocol_text, manifest, protocol, kind.table
