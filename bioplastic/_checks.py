"""Argument checks run at the boundary, on concrete values, before anything compiles.

Every check raises :class:`BadInput` with three fields -- where, what it got, what is
allowed -- and the message ``"<where>: got <value>; allowed: <what is allowed>"`` so that a user sees which argument was
wrong, what it held and what would be accepted -- never a traceback from inside XLA.
Checks skip values that are JAX tracers (inside ``jit`` the value is not known); the
public constructors call them on concrete inputs.

Example
-------
>>> from bioplastic._checks import check_dt
>>> check_dt(0.1)
0.1
>>> check_dt(-1.0)
Traceback (most recent call last):
...
bioplastic._checks.BadInput: dt_ms: got -1.0; allowed: a finite number > 0 (milliseconds)
"""

from __future__ import annotations

import math
import sys

import numpy as np


class BadInput(ValueError):
    """A user-supplied value is wrong: where it was, what it held, and what is allowed.

    The three parts are kept as fields, so a program that handles the error (a protocol
    loader that reports it at a key path, a sweep that collects failures) reads them
    instead of parsing the message, which is ``"<where>: got <got>; allowed: <allowed>"``.

    Parameters
    ----------
    where : str
        The argument or key path, e.g. ``"LIF.params.tau_ms"``.
    got : str
        What was found, already formatted (``repr`` of a value, or words).
    allowed : str
        What would be accepted.

    Example
    -------
    >>> error = BadInput("tau_ms", "0.0", "a finite number > 0 (ms)")
    >>> str(error), error.where, error.got
    ('tau_ms: got 0.0; allowed: a finite number > 0 (ms)', 'tau_ms', '0.0')
    >>> import pickle
    >>> str(pickle.loads(pickle.dumps(error))) == str(error)                # crosses process boundaries
    True
    """

    def __init__(self, where: str, got: str, allowed: str):
        super().__init__(where, got, allowed)
        self.where, self.got, self.allowed = str(where), str(got), str(allowed)

    def __str__(self) -> str:
        return f"{self.where}: got {self.got}; allowed: {self.allowed}"


def _describe(value) -> str:
    array = np.asarray(value)
    if array.ndim == 0:
        return repr(array.item())
    return f"array of shape {array.shape}"


def _is_tracer(value) -> bool:
    jax = sys.modules.get("jax")          # no value is a tracer before jax is imported (the CLI checks without it)
    return jax is not None and any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(value))


def check_dt(dt, where: str = "dt_ms") -> float:
    """Return ``dt`` as a float after checking it is a finite number > 0 (ms).

    Example
    -------
    >>> check_dt(0.1)
    0.1
    """
    try:
        value = float(dt)
    except (TypeError, ValueError):
        raise BadInput(where, f"{dt!r}", "a finite number > 0 (milliseconds)") from None
    if not math.isfinite(value) or value <= 0:
        raise BadInput(where, f"{value!r}", "a finite number > 0 (milliseconds)")
    return value


def check_whole_steps(value, dt_ms: float, where: str, unit_ms: float = 1.0, unit: str = "ms") -> int:
    """The whole number of steps of ``dt_ms`` (ms) in a time; a time between two steps is refused, not rounded.

    Parameters
    ----------
    value : float
        The time, in ``unit``.
    dt_ms : float
        The step (ms).
    where : str
        Named in the error.
    unit_ms, unit : float, str
        Milliseconds in one unit of ``value``, and the unit's name (``60000.0, "min"``).

    Example
    -------
    >>> check_whole_steps(1.5, 0.1, "delay_ms"), check_whole_steps(0.5, 25.0, "minutes", 60_000.0, "min")
    (15, 1200)
    >>> check_whole_steps(0.15, 0.1, "delay_ms")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: delay_ms: got 0.15; allowed: a whole number of steps of dt_ms = 0.1 (nearest: 0.1 or 0.2 ms)
    """
    steps = round(value * unit_ms / dt_ms)
    if not math.isclose(steps * dt_ms, value * unit_ms, rel_tol=1e-6, abs_tol=1e-9 * dt_ms):
        lower = math.floor(value * unit_ms / dt_ms)
        raise BadInput(where, repr(value), f"a whole number of steps of dt_ms = {dt_ms:g} (nearest: "
                       f"{lower * dt_ms / unit_ms:.6g} or {(lower + 1) * dt_ms / unit_ms:.6g} {unit})")
    return int(steps)


def check_size(n, where: str) -> int:
    """Return ``n`` as an int after checking it is a whole number >= 1.

    Example
    -------
    >>> check_size(3, "n_neurons")
    3
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise BadInput(where, f"{n!r}", "a whole number >= 1")
    return int(n)


def check_shape(shape, where: str = "shape") -> tuple[int, ...]:
    """Return a population shape (an int or a tuple of ints, each >= 1) as a tuple.

    Example
    -------
    >>> check_shape(4), check_shape((2, 3))
    ((4,), (2, 3))
    """
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not dims:
        raise BadInput(where, "()", "a whole number >= 1 or a tuple of them")
    for dim in dims:
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
            raise BadInput(where, f"{shape!r}", "a whole number >= 1 or a tuple of them")
    return tuple(int(d) for d in dims)


def check_finite(value, where: str):
    """Check every element of ``value`` is finite (no NaN, no inf); return it unchanged.

    Example
    -------
    >>> check_finite([1.0, 2.0], "weights")
    [1.0, 2.0]
    """
    if _is_tracer(value):
        return value
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)):
        raise BadInput(where, f"{_describe(value)} containing NaN or inf", "finite numbers")
    return value


def _check_lower_bound(value, where: str, unit: str, strict: bool):
    if _is_tracer(value):
        return value
    check_finite(value, where)
    array = np.asarray(value, dtype=float)
    bad = array <= 0 if strict else array < 0
    if np.any(bad):
        first = array if array.ndim == 0 else array[bad][0]
        unit_text = f" ({unit})" if unit else ""
        bound = "> 0" if strict else ">= 0"
        raise BadInput(where, f"{float(first)!r}", f"a finite number {bound}{unit_text}")
    return value


def check_positive(value, where: str, unit: str = ""):
    """Check every element of ``value`` is finite and > 0; return it unchanged.

    Parameters
    ----------
    value : number or array
        Checked elementwise; a JAX tracer passes unchecked.
    where : str
        Argument name that starts the :class:`BadInput` message.
    unit : str
        Unit shown in brackets after the bound in the message (``""``: none).

    Example
    -------
    >>> check_positive(20.0, "tau_ms", "ms")
    20.0
    """
    return _check_lower_bound(value, where, unit, strict=True)


def check_nonnegative(value, where: str, unit: str = ""):
    """Check every element of ``value`` is finite and >= 0; return it unchanged.

    Parameters
    ----------
    value : number or array
        Checked elementwise; a JAX tracer passes unchecked.
    where : str
        Argument name that starts the :class:`BadInput` message.
    unit : str
        Unit shown in brackets after the bound in the message (``""``: none).

    Example
    -------
    >>> check_nonnegative(0.0, "noise_sigma")
    0.0
    """
    return _check_lower_bound(value, where, unit, strict=False)


def check_choice(value, where: str, allowed) -> str:
    """Check ``value`` is one of ``allowed``; name the closest match when it is not.

    Parameters
    ----------
    value : object
        Compared with ``in`` against ``allowed``.
    where : str
        Argument name that starts the :class:`BadInput` message.
    allowed : iterable
        The accepted values, listed in the message.

    Returns
    -------
    object
        ``value`` unchanged.

    Example
    -------
    >>> check_choice("hard", "LIF.reset", ("hard", "subtract"))
    'hard'
    """
    allowed = tuple(allowed)
    if value in allowed:
        return value
    import difflib

    close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise BadInput(where, f"{value!r}", f"{', '.join(map(repr, allowed))}{hint}")


def check_broadcastable(value, shape: tuple[int, ...], where: str):
    """Check ``value`` broadcasts to a population ``shape``; return it unchanged.

    Parameters
    ----------
    value : number or array
        Its shape must broadcast to exactly ``shape`` (not to a larger shape); a JAX tracer passes unchecked.
    shape : tuple of int
        Population shape.
    where : str
        Argument name that starts the :class:`BadInput` message.

    Example
    -------
    >>> check_broadcastable(1.0, (3,), "tau_ms")
    1.0
    """
    if _is_tracer(value):
        return value
    value_shape = np.shape(value)
    try:
        np.broadcast_shapes(value_shape, shape)
    except ValueError:
        raise BadInput(where, f"shape {value_shape}", f"a shape that broadcasts to {shape}") from None
    if np.broadcast_shapes(value_shape, shape) != tuple(shape):
        raise BadInput(where, f"shape {value_shape}", f"a shape that broadcasts to {shape}")
    return value
