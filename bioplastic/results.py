"""Run folders: where a run's results live, written so that no finished work is lost.

A run folder holds::

    protocol.toml      the resolved protocol (model file merged, overrides applied)
    manifest.json      versions, seed, times, host, git commit, status
    metrics.json       a flat object of named scalars, units in the names
    recordings.npz     the recorded arrays, one per recording
    *.png              figures
    checkpoint.npz     state and recordings at the last chunk boundary (while running)

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


def _atomic_write(path: pathlib.Path, data: bytes) -> None:
    path = pathlib.Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
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
    """
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-{datetime.datetime.now():%Y%m%d-%H%M%S}"
    for attempt in range(1, 10_000):
        folder = out_dir / (stem if attempt == 1 else f"{stem}-{attempt}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise RuntimeError(f"no free run folder name under {out_dir}")


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
    """Serialise a protocol table (tables, lists, strings, numbers, booleans) as TOML.

    Example
    -------
    >>> print(to_toml({"name": "x", "simulation": {"dt_ms": 0.1}, "metrics": ["mean_rate_hz"]}))
    name = "x"
    metrics = ["mean_rate_hz"]
    <BLANKLINE>
    [simulation]
    dt_ms = 0.1
    <BLANKLINE>
    """
    lines: list[str] = []
    _emit_table(table, [], lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _emit_table(table: dict, path: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    if path and (scalars or not tables):
        lines.append("")
        lines.append("[" + ".".join(_key(part) for part in path) + "]")
    for key, value in scalars.items():
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables.items():
        _emit_table(value, path + [key], lines)
