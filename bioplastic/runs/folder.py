"""Run folders: where a run's results live, written so that no finished work is lost.

A run folder holds::

    protocol.toml      the resolved protocol (model file merged, overrides applied)
    manifest.json      versions, seed, times, host, git commit, status
    metrics.json       a flat object of named scalars, units in the names
    recordings.npz     the recorded arrays, one per recording
    *.png              figures
    checkpoint.npz     the state after the last finished unit of work (while running)

Folders are never reused: :func:`new_run_folder` picks a fresh name. Every file is
written atomically (to a temporary name in the same folder, then renamed), so a crash
leaves either the old file or the new one, never half of one.

Example
-------
>>> import tempfile, json, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> a, b = new_run_folder(root, "demo"), new_run_folder(root, "demo")
>>> a != b
True
>>> write_json(a / "metrics.json", {"mean_rate_hz": 20.1})
>>> json.loads((a / "metrics.json").read_text())
{'mean_rate_hz': 20.1}
"""

from __future__ import annotations

import datetime
import io
import json
import os
import pathlib
import platform
import socket
import subprocess
import tempfile

import numpy as np
import tomli_w

from bioplastic._checks import BadInput


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: pathlib.Path, data: bytes) -> None:
    path = pathlib.Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o666 & ~_umask())       # as any file the user writes (mkstemp makes it 0600)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_text(path, text: str) -> None:
    """Write ``text`` atomically.

    Example
    -------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> write_text(path, "done"); path.read_text()
    'done'
    """
    _atomic_write(path, text.encode())


def write_json(path, value) -> None:
    """Write ``value`` as indented JSON, atomically.

    Example
    -------
    >>> import json, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "metrics.json"
    >>> write_json(path, {"rate_hz": 20.5}); json.loads(path.read_text())
    {'rate_hz': 20.5}
    """
    write_text(path, json.dumps(value, indent=2, sort_keys=False) + "\n")


def write_npz(path, arrays: dict) -> None:
    """Write a dict of arrays as an ``.npz`` file, atomically.

    Example
    -------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.npz"
    >>> write_npz(path, {"w": np.eye(2)}); read_npz(path)["w"].tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    buffer = io.BytesIO()
    np.savez(buffer, **{name: np.asarray(value) for name, value in arrays.items()})
    _atomic_write(path, buffer.getvalue())


def read_npz(path) -> dict:
    """All arrays of an ``.npz`` file, loaded.

    Example
    -------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.npz"
    >>> write_npz(path, {"x": np.arange(3)}); sorted(read_npz(path))
    ['x']
    """
    with np.load(path) as data:
        return {name: data[name] for name in data.files}


def read_toml_table(path) -> dict:
    """A TOML file's table (for reading back a run folder's protocol).

    Example
    -------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "protocol.toml"
    >>> write_text(path, 'name = "x"'); read_toml_table(path)
    {'name': 'x'}
    """
    import tomllib

    return tomllib.loads(pathlib.Path(path).read_text())


def now() -> str:
    """Local time, ISO 8601 with offset.

    Example
    -------
    >>> len(now()) == 25 and now()[10] == "T"        # e.g. 2026-11-23T22:17:45+00:00
    True
    """
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def new_run_folder(out_dir, name: str) -> pathlib.Path:
    """Create and return a new folder ``out_dir/NAME-YYYYmmdd-HHMMSS[-k]``; never an existing one.

    Example
    -------
    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> first, second = new_run_folder(out, "demo"), new_run_folder(out, "demo")
    >>> first != second and first.name.startswith("demo-")
    True
    >>> _ = (first / "notes.txt").write_text("a file")
    >>> new_run_folder(first / "notes.txt" / "runs", "demo")          # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: --out .../notes.txt/runs: got a path below a file; allowed: a folder this user may write in (it is created if missing)
    """
    out_dir = pathlib.Path(out_dir)
    stem = f"{name}-{datetime.datetime.now():%Y%m%d-%H%M%S}"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, 10_000):
            folder = out_dir / (stem if attempt == 1 else f"{stem}-{attempt}")
            try:
                folder.mkdir()
                return folder
            except FileExistsError:
                continue
    except OSError as error:
        raise BadInput(f"--out {out_dir}", _os_problem(error, out_dir), "a folder this user may write in "
                       "(it is created if missing)") from None
    raise BadInput(f"--out {out_dir}", f"9,999 run folders named {stem}[-k]", "a folder with a free run folder name")


def _os_problem(error: OSError, out_dir: pathlib.Path) -> str:
    """What an ``OSError`` of creating a folder under ``out_dir`` means, in words."""
    if isinstance(error, FileExistsError) or out_dir.is_file():
        return "a file, not a folder"
    if isinstance(error, NotADirectoryError):
        return "a path below a file"
    if isinstance(error, PermissionError):
        return "a folder this user may not write in"
    return f"a folder that cannot be created ({error.strerror or type(error).__name__})"


def git_commit(directory) -> str | None:
    """The commit checked out in ``directory``'s repository, or None outside one.

    Example
    -------
    >>> import tempfile
    >>> git_commit(tempfile.mkdtemp()) is None
    True
    """
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def versions() -> dict:
    """Versions of the packages a result depends on.

    Example
    -------
    >>> {"bioplastic", "jax", "numpy"} <= set(versions())
    True
    """
    from importlib import metadata

    found = {"python": platform.python_version()}
    for package in ("bioplastic", "jax", "jaxlib", "brainpy", "numpy"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def manifest(protocol_file, seed: int, command: list[str], started: str) -> dict:
    """The manifest of a run that starts now.

    Parameters
    ----------
    protocol_file : str or pathlib.Path
        The protocol file; the git commit is read from its folder's repository.
    seed : int
        The protocol's seed.
    command : list of str
        The command line.
    started : str
        Start time, as from :func:`now`.

    Returns
    -------
    dict
        The arguments, plus ``finished`` (None), ``status`` ("running"), ``host``, ``platform``, ``git_commit``
        and ``versions``.

    Example
    -------
    >>> sorted(manifest("p.toml", 3, ["bioplastic", "run", "p.toml"], now()))[:4]
    ['command', 'finished', 'git_commit', 'host']
    """
    return {
        "protocol_file": str(protocol_file),
        "seed": seed,
        "command": command,
        "started": started,
        "finished": None,
        "status": "running",
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "git_commit": git_commit(pathlib.Path(protocol_file).resolve().parent),
        "versions": versions(),
    }


def to_toml(table: dict) -> str:
    """Serialise a protocol table (tables, lists, strings, numbers, booleans) as TOML (with ``tomli_w``).

    Keys that are not bare words (``"pyramidé"``) are quoted, so the file reads back as it was.

    Example
    -------
    >>> print(to_toml({"name": "x", "simulation": {"dt_ms": 0.1}, "metrics": ["mean_rate_hz"]}))
    name = "x"
    metrics = [
        "mean_rate_hz",
    ]
    <BLANKLINE>
    [simulation]
    dt_ms = 0.1
    <BLANKLINE>
    >>> import tomllib
    >>> tomllib.loads(to_toml({"model": {"populations": {"pyramidé": {"size": 3}}}}))
    {'model': {'populations': {'pyramidé': {'size': 3}}}}
    """
    return tomli_w.dumps(table)


def open_run_folder(path, name: str, seed: int, resolved: dict, out_dir, resume, command) -> tuple[pathlib.Path, dict]:
    """A new run folder with the resolved protocol and a manifest, or (``resume``) the stopped one and its manifest.

    Parameters
    ----------
    path : str or pathlib.Path
        The protocol file, recorded in the manifest (with the git commit of its folder).
    name : str
        The protocol's name; it starts the folder's name.
    seed : int
        The protocol's seed, for the manifest.
    resolved : dict
        The protocol table with its model file and overrides; written to ``protocol.toml``.
        A resume with a different one is a :class:`~bioplastic._checks.BadInput`.
    out_dir : str or pathlib.Path
        Where the new folder ``NAME-YYYYmmdd-HHMMSS`` is created (ignored with ``resume``).
    resume : str or pathlib.Path or None
        A run folder to reopen; None makes a new one.
    command : list of str or None
        The command line, for a new manifest.

    Returns
    -------
    tuple
        ``(run folder, manifest dict)``; on resume the stored manifest.

    Raises
    ------
    BadInput
        ``out_dir`` cannot hold a new folder (a file, below a file, not writable), or ``resume``
        is not a readable run folder, or its protocol differs from ``resolved``.

    Example
    -------
    >>> import tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> run_dir, manifest = open_run_folder("p.toml", "demo", 0, {"name": "demo"}, out, None, ["bioplastic"])
    >>> sorted(p.name for p in run_dir.iterdir()), manifest["status"]
    (['manifest.json', 'protocol.toml'], 'running')
    >>> open_run_folder("p.toml", "demo", 0, {"name": "demo"}, None, run_dir, None) == (run_dir, manifest)
    True
    >>> open_run_folder("p.toml", "demo", 0, {"name": "other"}, None, run_dir, None)    # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: --resume ...: got a protocol (with its --set overrides) that differs from the one of that run; allowed: the same protocol and overrides
    >>> _ = (run_dir / "protocol.toml").write_text("name = ")                        # a corrupted copy
    >>> open_run_folder("p.toml", "demo", 0, {"name": "demo"}, None, run_dir, None)    # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: --resume ...: got a run folder whose protocol.toml or manifest.json cannot be read (TOMLDecodeError); allowed: a run folder as bioplastic run wrote it; start afresh without --resume
    """
    if resume is None:
        run_dir = new_run_folder(out_dir, name)
        write_text(run_dir / "protocol.toml", to_toml(resolved))
        started = manifest(path, seed, command or [], now())
        write_json(run_dir / "manifest.json", started)
        return run_dir, started
    run_dir = pathlib.Path(resume)
    try:
        stored = read_toml_table(run_dir / "protocol.toml")
        reopened = json.loads((run_dir / "manifest.json").read_text())
    except (FileNotFoundError, NotADirectoryError):
        raise BadInput(f"--resume {run_dir}", "a folder that is not a run folder" if run_dir.is_dir() else
                       "no folder", "a folder made by bioplastic run") from None
    except (OSError, ValueError) as error:          # unreadable, not UTF-8, not TOML or not JSON
        raise BadInput(f"--resume {run_dir}", f"a run folder whose protocol.toml or manifest.json cannot be read "
                       f"({type(error).__name__})", "a run folder as bioplastic run wrote it; start afresh "
                       "without --resume") from None
    if stored != json.loads(json.dumps(resolved)):
        raise BadInput(f"--resume {run_dir}", "a protocol (with its --set overrides) that differs from the one of "
                       "that run", "the same protocol and overrides")
    return run_dir, reopened
