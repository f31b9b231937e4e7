"""Reading a protocol: TOML, the model file it names, ``--set`` overrides, schema validation.

:func:`resolve` returns the *resolved* raw table (model file merged in, overrides
applied), which is what a run folder stores; :func:`validate` checks it against the schema
of its kind (:func:`bioplastic.experiments.load_protocol` picks the kind). Every problem is a :class:`~bioplastic.protocol.errors.ProtocolError`
naming the file, the key path, what was found and what is allowed.

Example
-------
>>> import pathlib, tempfile
>>> from bioplastic.experiments.simulation.schema import SimulationProtocol
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "p.toml").write_text('''
... name = "demo"
... [simulation]
... dt_ms = 0.1
... duration_ms = 10.0
... [model.populations.cells]
... neuron = "lif"
... size = 3
... ''')
>>> resolved = resolve(folder / "p.toml", overrides=["simulation.duration_ms=20"])
>>> protocol = validate(resolved, SimulationProtocol, str(folder / "p.toml"))
>>> protocol.simulation.duration_ms, resolved["simulation"]["duration_ms"]
(20.0, 20)
"""

from __future__ import annotations

import copy
import math
import difflib
import pathlib
import re
import tomllib
import types
import typing

from pydantic import BaseModel, ValidationError

from bioplastic.protocol.errors import ProtocolError
from bioplastic.protocol.schema import FLOAT32_MAX

MODEL_FILE_KEYS = ("populations", "projections")
_UNIT_IN_VALUE = re.compile(r"^\s*[-+]?[0-9.]+(e[-+]?[0-9]+)?\s*[A-Za-z/%]+\s*$")


def read_toml(path: pathlib.Path, shown_as: str) -> dict:
    """Parse a TOML file; a syntax error names the line and column.

    Parameters
    ----------
    path : pathlib.Path
        The file to read.
    shown_as : str
        How the file is named in error messages (the path as the user wrote it).

    Returns
    -------
    dict
        The parsed table, unvalidated.

    Example
    -------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "ok.toml").write_text('''
    ... name = "x"
    ... seed = 3
    ... ''')
    >>> read_toml(folder / "ok.toml", "ok.toml")
    {'name': 'x', 'seed': 3}
    >>> _ = (folder / "bad.toml").write_text('''
    ... name = "x"
    ... [simulation
    ... ''')
    >>> read_toml(folder / "bad.toml", "bad.toml")          # line 1 is the empty first line
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: bad.toml: line 3, column 12: got invalid TOML (Expected ']' at the end of a table declaration); allowed: TOML syntax (https://toml.io)
    >>> read_toml(folder / "missing.toml", "missing.toml")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: missing.toml: (file): got a path that does not exist; allowed: an existing TOML file
    >>> _ = (folder / "latin1.toml").write_bytes('name = "caf\xe9"'.encode("latin-1"))
    >>> read_toml(folder / "latin1.toml", "latin1.toml")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: latin1.toml: (file): got a file that is not UTF-8 text (byte 11); allowed: a TOML text file (UTF-8)
    >>> read_toml(folder, "a-folder")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: a-folder: (file): got a directory; allowed: a TOML file
    """
    if path.is_dir():
        raise ProtocolError(shown_as, "(file)", "a directory", "a TOML file")
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ProtocolError(shown_as, "(file)", "a path that does not exist", "an existing TOML file") from None
    except UnicodeDecodeError as error:
        raise ProtocolError(shown_as, "(file)", f"a file that is not UTF-8 text (byte {error.start})",
                            "a TOML text file (UTF-8)") from None
    except OSError as error:
        raise ProtocolError(shown_as, "(file)", f"a file that cannot be read ({error.strerror})",
                            "a readable TOML file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        where = message[message.rfind("(") + 1 : -1].removeprefix("at ") if message.endswith(")") else "(file)"
        reason = message[: message.rfind("(")].strip() if message.endswith(")") else message
        raise ProtocolError(shown_as, where, f"invalid TOML ({reason})", "TOML syntax (https://toml.io)") from None


def _merge(base: dict, top: dict) -> dict:
    """Deep merge: tables merge key by key, ``top`` wins everywhere else."""
    merged = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _apply_override(raw: dict, assignment: str, shown_as: str) -> None:
    if "=" not in assignment:
        raise ProtocolError(shown_as, "--set", repr(assignment), "key.path=value (a TOML value, e.g. simulation.dt_ms=0.05)")
    path, text = (part.strip() for part in assignment.split("=", 1))
    if not all(path.split(".")):
        raise ProtocolError(shown_as, "--set", repr(assignment), "key.path=value with a key before each dot and the '=' "
                            "(e.g. simulation.dt_ms=0.05)")
    try:
        value = tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        value = text  # a bare word: a string
    keys = path.split(".")
    node = raw
    for depth, key in enumerate(keys[:-1]):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ProtocolError(shown_as, ".".join(keys[: depth + 1]), f"a {type(child).__name__} value", "a table to set keys in")
        node = child
    node[keys[-1]] = value


def resolve(path, overrides=()) -> dict:
    """The raw protocol table with its model file merged in and ``overrides`` applied.

    The model file (``model.file``, relative to the protocol) may hold only
    ``populations`` and ``projections``; the protocol's inline ``[model]`` tables are merged
    over it key by key (inline wins) and ``file`` is dropped. Each override is
    ``"key.path=value"`` with a TOML value; a bare word is taken as a string.

    Example
    -------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "cells.toml").write_text('''
    ... [populations.exc]
    ... neuron = "lif"
    ... size = 4
    ... [populations.inh]
    ... neuron = "lif"
    ... size = 1
    ... ''')
    >>> _ = (folder / "p.toml").write_text('''
    ... name = "x"
    ... [model]
    ... file = "cells.toml"
    ... [model.populations.inh]
    ... size = 2
    ... ''')
    >>> raw = resolve(folder / "p.toml", overrides=["seed=7", "model.populations.exc.neuron=izhikevich"])
    >>> raw["model"]
    {'populations': {'exc': {'neuron': 'izhikevich', 'size': 4}, 'inh': {'neuron': 'lif', 'size': 2}}}
    >>> raw["seed"]
    7
    >>> resolve(folder / "p.toml", overrides=["seed"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: ...p.toml: --set: got 'seed'; allowed: key.path=value (a TOML value, e.g. simulation.dt_ms=0.05)
    """
    path = pathlib.Path(path)
    shown_as = str(path)
    raw = read_toml(path, shown_as)
    model = raw.get("model")
    if isinstance(model, dict) and isinstance(model.get("file"), str):
        model_path = (path.parent / model["file"]).resolve()
        if not model["file"].strip() or not model_path.is_file():
            found = "a directory" if model["file"].strip() and model_path.is_dir() else "no file"
            raise ProtocolError(shown_as, "model.file", f"{model['file']!r}, where there is {found} ({model_path})",
                                "the path of a model file, relative to the protocol's folder")
        model_raw = read_toml(model_path, str(model_path))
        for key in model_raw:
            if key not in MODEL_FILE_KEYS:
                raise ProtocolError(str(model_path), key, "an unknown key", _allowed_text(MODEL_FILE_KEYS, key))
        inline = {key: value for key, value in model.items() if key != "file"}
        raw["model"] = _merge(model_raw, inline)
    for assignment in overrides:
        _apply_override(raw, assignment, shown_as)
    return raw


def validate(raw: dict, root, file: str):
    """``raw`` validated against the schema ``root``; the first violation is a :class:`ProtocolError` in ``file``.

    Parameters
    ----------
    raw : dict
        The resolved protocol table (:func:`resolve`).
    root : type
        The pydantic schema of the protocol's kind.
    file : str
        The file named in errors.

    Example
    -------
    >>> from bioplastic.protocol.schema import PlotSpec
    >>> validate({"type": "raster", "recordng": "spikes"}, PlotSpec, "p.toml")
    Traceback (most recent call last):
    ...
    bioplastic.protocol.errors.ProtocolError: p.toml: recordng: got an unknown key; allowed: type, recording, recordings, projection, title (did you mean 'recording'?)
    """
    for path, number in _floats(raw):
        if math.isfinite(number) and abs(number) > FLOAT32_MAX:    # inf and nan: the schema's "finite" message
            raise ProtocolError(file, _dotted(path), repr(number),
                                f"a number within float32's range, at most {FLOAT32_MAX:.4g} in size")
    try:
        return root.model_validate(raw)
    except ValidationError as error:
        raise schema_error(error, raw, file, root) from None


def _floats(table, path=()):
    """``(key path, number)`` of every float in a TOML table, at any depth."""
    items = table.items() if isinstance(table, dict) else enumerate(table) if isinstance(table, list) else ()
    for key, value in items:
        if isinstance(value, float):
            yield [*path, key], value
        else:
            yield from _floats(value, (*path, key))


# ----------------------------------------------------------------- error messages


def _model_class(annotation):
    """The BaseModel a field annotation holds, possibly inside Optional / list / dict."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_class(argument)
        if found is not None:
            return found
    return None


def _is_container(annotation, kind) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_container(argument, kind) for argument in typing.get_args(annotation))
    return origin is kind


def _allowed_keys(path: list, root) -> tuple[str, ...]:
    """Keys allowed in the table at ``path`` (a list of keys into a ``root`` protocol)."""
    model, expect_name = root, False
    for key in path:
        if expect_name or isinstance(key, int):
            expect_name = False
            continue
        field = model.model_fields[key]
        expect_name = _is_container(field.annotation, dict) or _is_container(field.annotation, list)
        model = _model_class(field.annotation)
        if model is None:
            return ()
    if expect_name:
        return ()
    return tuple(model.model_fields)


def _allowed_text(allowed, key) -> str:
    close = difflib.get_close_matches(str(key), allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{', '.join(allowed) or 'no keys here'}{hint}"


def _clean_location(location, raw) -> list:
    """Drop pydantic's union tags (not keys of the data) from an error location."""
    path, node = [], raw
    for index, item in enumerate(location):
        if isinstance(node, dict) and item in node:
            path.append(item)
            node = node[item]
        elif isinstance(node, list) and isinstance(item, int) and item < len(node):
            path.append(item)
            node = node[item]
        elif index == len(location) - 1 and isinstance(node, dict) and isinstance(item, str):
            path.append(item)  # a missing key
    return path


def _dotted(path) -> str:
    text = ""
    for item in path:
        text += f"[{item}]" if isinstance(item, int) else (f".{item}" if text else str(item))
    return text or "(top level)"


def _describe(value) -> str:
    """A value as the protocol wrote it: TOML's ``true``/``false``, a number or string as is, or what a table/list is."""
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if not isinstance(value, (dict, list)) else f"a {'table' if isinstance(value, dict) else 'list'}"


def _expected(path, root) -> str:
    """The field description, for messages about missing keys."""
    model, expect_name, field = root, False, None
    for key in path:
        if expect_name or isinstance(key, int):
            expect_name = False
            continue
        if model is None or key not in model.model_fields:
            return "a value"
        field = model.model_fields[key]
        expect_name = _is_container(field.annotation, dict) or _is_container(field.annotation, list)
        model = _model_class(field.annotation)
    if field is None:
        return "a value"
    if model is not None and not expect_name:
        return f"a table with keys {', '.join(model.model_fields)}"
    return field.description or "a value"


def schema_error(error: ValidationError, raw: dict, file: str, root) -> ProtocolError:
    """The first schema violation of a protocol (of schema ``root``), as a ProtocolError.

    An unknown key lists the keys allowed in its table with the closest one; a missing key
    names what it should hold (the field's description); any other error keeps pydantic's
    reason, with a hint when a number was written with its unit.

    Parameters
    ----------
    error : pydantic.ValidationError
        What ``root.model_validate(raw)`` raised.
    raw : dict
        The table that was validated (to tell keys from pydantic's union tags).
    file : str
        The file named in the message.
    root : type
        The schema validated against (a protocol kind's root schema).

    Example
    -------
    >>> from pydantic import ValidationError
    >>> from bioplastic.experiments.simulation.schema import SimulationProtocol
    >>> def message(raw):
    ...     try:
    ...         SimulationProtocol.model_validate(raw)
    ...     except ValidationError as error:
    ...         return str(schema_error(error, raw, "p.toml", SimulationProtocol))
    >>> message({"name": "x", "sead": 1, "simulation": {"dt_ms": 0.1, "duration_ms": 1.0}, "model": {}})
    "p.toml: sead: got an unknown key; allowed: name, description, seed, simulation, model, inputs, dataset, signals, learning, recordings, metrics, plots (did you mean 'seed'?)"
    >>> message({"name": "x", "simulation": {"dt_ms": 0.1}, "model": {}})
    'p.toml: simulation.duration_ms: got nothing (the key is required); allowed: simulated time (ms)'
    >>> message({"name": "x", "simulation": {"dt_ms": "0.1 ms", "duration_ms": 1.0}, "model": {}})
    "p.toml: simulation.dt_ms: got '0.1 ms'; allowed: a valid number (units go in the key name, never in the value: e.g. dt_ms = 0.1)"
    >>> message({"name": "x", "simulation": {"dt_ms": 0.1, "duration_ms": 1.0}, "model": {}, "learning": {"phases": []}})
    'p.toml: learning.phases: got a list of 0; allowed: a list of at least 1 item'
    """
    first = error.errors()[0]
    path = _clean_location(first["loc"], raw)
    kind, value = first["type"], first.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(path[:-1], root)
        return ProtocolError(file, _dotted(path), "an unknown key", _allowed_text(allowed, path[-1]))
    if kind == "missing":
        return ProtocolError(file, _dotted(path), "nothing (the key is required)", _expected(path, root))
    allowed = first["msg"].removeprefix("Input should be ").removeprefix("Value error, ")
    if isinstance(value, str) and _UNIT_IN_VALUE.match(value) and kind in ("float_type", "int_type"):
        allowed += " (units go in the key name, never in the value: e.g. dt_ms = 0.1)"
    if kind == "model_type" or kind == "dict_type":
        allowed = _expected(path, root)
    if kind == "too_short" and isinstance(value, list):
        least = first["ctx"]["min_length"]
        return ProtocolError(file, _dotted(path), f"a list of {len(value)}", f"a list of at least {least} item{'s' * (least > 1)}")
    return ProtocolError(file, _dotted(path), _describe(value), allowed)
