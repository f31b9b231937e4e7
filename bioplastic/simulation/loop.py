"""The time loop: one ``jax.lax.scan`` over steps, inside ``jax.jit``; inputs and chosen recordings.

:func:`simulate` advances any pure ``step(params, state, drive, dt) -> (state, output)``
-- the signature of every neuron model's ``step``, and of a network's -- for ``n_steps``
steps. Python never loops over time: the whole run is one compiled program, and
``params`` enter it as arguments (not constants), so ``jax.grad`` reaches them and a new
parameter value does not recompile.

Inputs (the ``drive`` argument: one input of :mod:`bioplastic.simulation.inputs`, or any
pytree of them, e.g. a dict per population) are evaluated inside the loop at step ``n``.

Recordings are chosen, not total: a :class:`Probe` names a state variable (a dotted path
into the state pytree, e.g. ``"v"`` or ``"exc.v"``, or ``"output"`` for the step's
output), optionally a set of neurons (indices on the last axis), and how a window of
``stride`` steps is reduced: ``"sample"`` keeps the last step of each window,
``"sum"`` adds them up (spike counts), ``"mean"`` averages them (rates). Only the
probes' values are kept, ``n_steps // stride`` rows each; each probe has its own stride.

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.neurons.lif import LIF
>>> from bioplastic.simulation import Constant, Probe, simulate
>>> model = LIF()
>>> params = model.params(tau_ref_ms=2.0)
>>> state = model.init(params, 2, jax.random.PRNGKey(0))
>>> final, rec = simulate(model.step, state, 1000, params=params, dt=0.1,
...                       drive=Constant(jnp.array([5.0, 20.0])),
...                       probes={"v": Probe("v", stride=10), "n": Probe("output", reduce="sum", stride=1000)})
>>> rec["v"].shape, rec["n"].tolist()
((100, 2), [[0.0, 6.0]])
"""


from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, check_choice, check_dt, check_size
from bioplastic.simulation.inputs import INPUT_TYPES


def _is_input(node) -> bool:
    return isinstance(node, INPUT_TYPES)


# --------------------------------------------------------------------------- recordings


@dataclasses.dataclass(frozen=True)
class Probe:
    """What to record: a state path (or ``"output"``), which neurons, stride and reduction.

    Parameters
    ----------
    variable : str
        Dotted path into the state (``"v"``, ``"exc.v"``) or ``"output"``.
    neurons : tuple of int or None
        Indices on the last axis to keep; ``None`` keeps all.
    stride : int
        Window length in steps; one row is recorded per window.
    reduce : {"sample", "sum", "mean", "events"}
        Last value of the window, or its sum, or its mean; or ``"events"``: every step's
        nonzero values (spikes) as events, the step and the position among the kept
        neurons of each, in step order (``stride`` 1). The call keeps a byte per neuron
        and step while it runs and returns the events alone, so what a chunked run keeps
        grows with the number of spikes, not of steps.
    capacity : int or None
        With ``"events"``: the most events one :func:`simulate` call keeps. More are
        counted but not stored, so the caller sees the overflow (the count exceeds the
        capacity) and can run again with room for all.

    Example
    -------
    Spike counts of neurons 0 and 3 in windows of 100 steps (10 ms at ``dt = 0.1`` ms):

    >>> probe = Probe("output", neurons=[0, 3], stride=100, reduce="sum")
    >>> probe.neurons, probe.stride, probe.reduce
    ((0, 3), 100, 'sum')
    >>> Probe("output", reduce="events")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: Probe('output').capacity: got None; allowed: a whole number >= 1
    """

    variable: str
    neurons: tuple[int, ...] | None = None
    stride: int = 1
    reduce: str = "sample"
    capacity: int | None = None

    def __post_init__(self):
        check_size(self.stride, f"Probe({self.variable!r}).stride")
        check_choice(self.reduce, f"Probe({self.variable!r}).reduce", ("sample", "sum", "mean", "events"))
        if self.reduce == "events":
            check_size(self.capacity, f"Probe({self.variable!r}).capacity")
            if self.stride != 1:
                raise BadInput(f"Probe({self.variable!r}).stride", self.stride, "1 for events (every step is seen)")
        elif self.capacity is not None:
            raise BadInput(f"Probe({self.variable!r}).capacity", self.capacity, "None unless reduce='events'")
        if self.neurons is not None:
            object.__setattr__(self, "neurons", tuple(int(i) for i in np.atleast_1d(self.neurons)))


class Events(NamedTuple):
    """What an ``"events"`` probe returns from one :func:`simulate` call.

    ``steps[:count]`` (int32, global step index: ``start_step`` + step within the call)
    and ``neurons[:count]`` (int32, position among the probe's neurons) of every nonzero
    value, in step order and, within a step, in neuron order (the entries past ``count``
    mean nothing). When ``count`` exceeds ``len(steps)`` (the probe's capacity) only the
    first ``len(steps)`` events were kept.

    Example
    -------
    >>> def fire(params, x, drive, dt):
    ...     return x + 1, (x % jnp.array([2, 3]) == 0).astype(jnp.float32)
    >>> _, rec = simulate(fire, jnp.zeros(2), 6, probes={"s": Probe("output", reduce="events", capacity=8)})
    >>> events = rec["s"]
    >>> int(events.count), events.steps[:5].tolist(), events.neurons[:5].tolist()
    (5, [0, 0, 2, 3, 4], [0, 1, 0, 1, 0])
    """

    steps: jax.Array
    neurons: jax.Array
    count: jax.Array


def _fields(node) -> list[str]:
    if isinstance(node, dict):
        return list(node)
    if hasattr(node, "_fields"):
        return list(node._fields)
    if dataclasses.is_dataclass(node):
        return [f.name for f in dataclasses.fields(node)]
    return []


def _lookup(state, output, path: str):
    if path == "output":
        return output
    node = state
    for part in path.split("."):
        names = _fields(node)
        if part not in names:
            raise BadInput("probe variable",
                           f"{path!r}",
                           f"'output' or a path into the state, here one of {', '.join(names) or '(no fields)'} at {part!r}")
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


def _observe(probe: Probe, state, output):
    value = jnp.asarray(_lookup(state, output, probe.variable))
    if probe.neurons is not None:
        first, count = probe.neurons[0], len(probe.neurons)
        if probe.neurons == tuple(range(first, first + count)):
            value = value[..., first:first + count]          # a range: a slice, cheaper than a gather every step
        else:
            value = value[..., jnp.asarray(probe.neurons)]
    if probe.reduce == "events":
        return value != 0
    return value.astype(jnp.result_type(value.dtype, jnp.float32))


# --------------------------------------------------------------------------- the loop


def simulate(
    step: Callable[[Any, Any, Any, float], tuple[Any, Any]],
    state,
    n_steps: int,
    *,
    params=None,
    drive=None,
    probes: dict[str, Probe] | None = None,
    dt: float = 0.1,
    start_step: int = 0,
    check: bool = True,
    batched: bool = False,
):
    """Run ``step`` for ``n_steps`` steps in one compiled ``lax.scan``.

    Parameters
    ----------
    step : callable
        ``step(params, state, drive_n, dt) -> (state, output)``; pure and traceable, and
        hashable (a model's bound ``step`` or a module-level function), since it is a
        static argument of the compiled loop.
    state : pytree
        Initial state.
    n_steps : int
        Number of steps.
    params : pytree, optional
        Passed to every ``step`` call as a traced argument.
    drive : input or pytree of inputs, optional
        Evaluated at every step and passed to ``step`` (``None`` passes ``None``).
    probes : dict of name -> Probe, optional
        Recordings, each with its own ``stride``.
    dt : float
        Step (ms), given to ``step`` and to inputs that depend on it (Poisson).
    start_step : int
        Index of the first step, as seen by the inputs: a run split into chunks passes
        the chunk's offset so that inputs continue where the previous chunk stopped.
    check : bool
        Check the inputs, the probes and one abstract step (shapes, structure) before
        running. The step check traces ``step`` once in Python, which costs tens of ms
        for a network; it is remembered for the same step, shapes and probes (as ``jit``
        remembers a compilation), and a run split into chunks checks its first chunk and
        passes ``False`` for the others, whose step, structure and drive are the same.
    batched : bool
        ``params``, ``state`` and ``drive`` hold a batch of independent runs (seeds) along
        a leading axis of every leaf: they run as one compiled, vectorised (``jax.vmap``)
        loop, and the final state and every recording keep that axis (an ``"events"``
        probe: one buffer and count per run). The checks look at the first run.

    Returns
    -------
    (final_state, recordings)
        ``recordings[name]`` has shape ``(n_steps // probe.stride, ...)``; steps after a
        probe's last full window still run but are not recorded by it. An ``"events"``
        probe gives :class:`Events`.

    Example
    -------
    A perfect integrator ``x += dt * drive`` (ms times the drive's unit), sampled every 5 steps:

    >>> from bioplastic.simulation import Constant
    >>> def integrate(params, x, drive, dt):
    ...     x = x + dt * drive
    ...     return x, x
    >>> final, rec = simulate(integrate, jnp.zeros(2), 10, drive=Constant(jnp.array([1.0, 2.0])), dt=0.5,
    ...                       probes={"x": Probe("output", stride=5)})
    >>> rec["x"].tolist(), final.tolist()
    ([[2.5, 5.0], [5.0, 10.0]], [5.0, 10.0])

    Two runs at once, each with its own drive (a leading axis of 2):

    >>> final, rec = simulate(integrate, jnp.zeros((2, 1)), 10, drive=Constant(jnp.array([[1.0], [3.0]])), dt=0.5,
    ...                       probes={"x": Probe("output", stride=5)}, batched=True)
    >>> rec["x"].shape, final.ravel().tolist()
    ((2, 2, 1), [5.0, 15.0])
    """
    n_steps = check_size(n_steps, "n_steps")
    dt = check_dt(dt)
    probes = dict(probes or {})
    for name, probe in probes.items():
        if probe.stride > n_steps:
            raise BadInput(f"probes[{name!r}].stride", probe.stride, f"at most n_steps = {n_steps}")
    one = (lambda tree: jax.tree_util.tree_map(lambda leaf: leaf[0], tree)) if batched else (lambda tree: tree)
    for path, leaf in _input_leaves(one(drive)):
        leaf.check(int(start_step) + n_steps, f"drive{path}")
    if check:
        _check_step(step, one(params), one(state), one(drive), dt, probes)
    return (_run_batched if batched else _run)(*_run_arguments(step, params, state, n_steps, drive, probes, dt, start_step))


@dataclasses.dataclass(frozen=True)
class _StaticStep:
    """A step function as a static argument of the compiled loop, equal by value where it can be.

    Python compares bound methods by the identity of their object, so the ``step`` of
    an equal but new network (the same protocol built again: the next run of a sweep, a
    test, a notebook cell) would miss the compilation cache. A bound method of a hashable
    object (a frozen dataclass: every model and network) is keyed by that object's value
    instead; anything else by identity.

    Example
    -------
    >>> from bioplastic.neurons.lif import LIF
    >>> _StaticStep.of(LIF().step) == _StaticStep.of(LIF().step), LIF().step == LIF().step
    (True, False)
    """

    owner: Any
    function: Callable

    @classmethod
    def of(cls, step: Callable) -> "_StaticStep":
        if not inspect.ismethod(step):
            return cls(None, step)
        try:
            hash(step.__self__)
        except TypeError:
            return cls(None, step)
        return cls(step.__self__, step.__func__)

    def __call__(self, *arguments):
        if self.owner is None:
            return self.function(*arguments)
        return self.function(self.owner, *arguments)


def lower_simulation(step, state, n_steps: int, *, params=None, drive=None, probes=None, dt: float = 0.1):
    """The program :func:`simulate` would compile, lowered and not yet compiled (``jax.stages.Lowered``).

    For measuring compilation on its own (``.compile()``) or reading the program
    (``.as_text()``); the arguments are those of :func:`simulate`.

    Example
    -------
    >>> from bioplastic.simulation import Constant
    >>> from bioplastic.neurons.lif import LIF
    >>> model = LIF()
    >>> params = model.params()
    >>> lowered = lower_simulation(model.step, model.init(params, 3, None), 100, params=params, drive=Constant(20.0))
    >>> compiled = lowered.compile()
    >>> "while" in lowered.as_text()
    True
    """
    return _run.lower(*_run_arguments(step, params, state, n_steps, drive, dict(probes or {}), dt, 0))


def _run_arguments(step, params, state, n_steps, drive, probes: dict, dt, start_step) -> tuple:
    """The arguments of the compiled loop :func:`_run`; its window is the gcd of the probes' strides above 1."""
    strides = [probe.stride for probe in probes.values() if probe.stride > 1]      # stride 1: a row per step
    window = math.gcd(*strides) if strides else n_steps
    return (_StaticStep.of(step), params, state, n_steps, drive, tuple(probes.items()), window, dt,
            jnp.asarray(start_step, jnp.int32))


_PASSED_CHECKS: dict = {}      # signatures of steps whose check passed, oldest first
_PASSED_CHECKS_KEPT = 256


def _check_step(step, params, state, drive, dt, probes) -> None:
    """Trace one step and look up every probe's variable, unless this signature passed before.

    The signature is what the check depends on: the step (by value, :class:`_StaticStep`),
    the structure, shapes and dtypes of ``params``, ``state`` and ``drive``, ``dt`` and the
    probed variables.
    """
    leaves, structure = jax.tree_util.tree_flatten((params, state, drive))
    shapes = tuple((np.shape(leaf), getattr(leaf, "dtype", type(leaf))) for leaf in leaves)
    signature = (_StaticStep.of(step), structure, shapes, dt, tuple(probe.variable for probe in probes.values()))
    try:
        if signature in _PASSED_CHECKS:
            return
    except TypeError:                         # something unhashable in the signature: check every time
        signature = None
    _, first_output = _trace_one_step(step, params, state, drive, dt)
    for probe in probes.values():
        _lookup(state, first_output, probe.variable)
    if signature is not None:
        _PASSED_CHECKS[signature] = None
        if len(_PASSED_CHECKS) > _PASSED_CHECKS_KEPT:
            del _PASSED_CHECKS[next(iter(_PASSED_CHECKS))]


def _trace_one_step(step, params, state, drive, dt):
    """Trace one step abstractly (no compilation) to catch shape and structure errors early."""
    try:
        new_state, output = jax.eval_shape(
            lambda p, s: step(p, s, drive_at(drive, jnp.asarray(0), dt), dt), params, state
        )
    except (TypeError, ValueError) as error:
        drive_shapes = jax.eval_shape(lambda: drive_at(drive, jnp.asarray(0), dt))
        got = sorted({leaf.shape for leaf in jax.tree_util.tree_leaves(drive_shapes)})
        allowed = sorted({np.shape(leaf) for leaf in jax.tree_util.tree_leaves(state)})
        raise BadInput("drive",
                       f"shapes {got} (one step failed: {error})",
                       f"shapes that broadcast to the state's {allowed}") from None
    old = jax.tree_util.tree_flatten_with_path(state)[0]
    new = jax.tree_util.tree_leaves(new_state)
    if len(old) != len(new):
        raise BadInput("step", "a step that changes the structure of the state", "the same structure in and out")
    for (path, before), after in zip(old, new):
        if np.shape(before) != after.shape:
            raise BadInput("drive",
                           f"a drive that turns state{jax.tree_util.keystr(path)} of shape {np.shape(before)} into shape {after.shape}",
                           f"a drive whose shape broadcasts to {np.shape(before)}")
    return new_state, output


def _input_leaves(drive):
    leaves = jax.tree_util.tree_flatten_with_path(drive, is_leaf=_is_input)[0]
    return [(jax.tree_util.keystr(path), leaf) for path, leaf in leaves if _is_input(leaf)]


def drive_at(drive, n, dt):
    """The value of every input in ``drive`` at step ``n``.

    Parameters
    ----------
    drive : input or pytree
        One input or any pytree of inputs and plain values (kept as they are).
    n : int or int array
        Global step index (may be traced).
    dt : float
        Step (ms).

    Returns
    -------
    pytree
        ``drive`` with every input replaced by its value at step ``n``.

    Example
    -------
    >>> from bioplastic.simulation import Step
    >>> drive = {"exc": Step(2.0, start_step=1, stop_step=3), "inh": 0.5}
    >>> values = drive_at(drive, jnp.asarray(1), 0.1)
    >>> float(values["exc"]), values["inh"]
    (2.0, 0.5)
    """
    return jax.tree_util.tree_map(lambda leaf: leaf.at(n, dt) if _is_input(leaf) else leaf, drive, is_leaf=_is_input)


@functools.partial(jax.jit, static_argnames=("step", "n_steps", "probes", "window", "dt"))
def _run(step, params, state, n_steps, drive, probes, window, dt, start_step):
    """Scan over windows of ``window`` steps (the gcd of the strides above 1), each an inner scan.

    A probe of stride 1 is an output of the inner scan: a row per step, nothing carried.
    For the others the inner scan reduces each probe over its window; a probe whose
    stride is the window comes out of the outer scan as one row per window, and for the
    rest the outer carry adds windows up until the probe's own stride is complete and
    then writes one row of its record. An ``"events"`` probe is recorded as a 0/1 row per
    step and turned into events once the loop is done (:func:`_events_of`).
    """
    every_step = tuple(probe.stride == 1 for _, probe in probes)
    windowed = tuple(item for item, every in zip(probes, every_step) if not every)
    shapes = probe_shapes(step, params, state, drive, windowed, dt)
    direct = tuple(probe.stride == window for _, probe in windowed)

    def one_step(carry, n):
        state, sums = carry
        state, output = step(params, state, drive_at(drive, n, dt), dt)
        sums = tuple(
            total + _observe(probe, state, output) if probe.reduce in ("sum", "mean") else _observe(probe, state, output)
            for total, (_, probe) in zip(sums, windowed)
        )
        rows = tuple(_observe(probe, state, output) for (_, probe), every in zip(probes, every_step) if every)
        return (state, sums), rows

    def zeros():
        return tuple(jnp.zeros(shape.shape, shape.dtype) for shape in shapes)

    def one_window(carry, w):
        state, totals, records = carry
        (state, sums), steps = jax.lax.scan(one_step, (state, zeros()), start_step + w * window + jnp.arange(window))
        new_totals, new_records, rows = [], [], []
        for total, part, record, (_, probe), is_direct in zip(totals, sums, records, windowed, direct):
            total = total + part if probe.reduce in ("sum", "mean") and not is_direct else part
            value = total / probe.stride if probe.reduce == "mean" else total
            if is_direct:                           # the window is the whole stride: nothing to carry
                rows.append(value)
                new_records.append(record)
                new_totals.append(jnp.zeros_like(total))
                continue
            rows.append(None)
            windows_per_row = probe.stride // window
            row_done = (w + 1) % windows_per_row == 0
            row = jnp.minimum((w + 1) // windows_per_row - 1, record.shape[0] - 1)
            write = row_done & ((w + 1) // windows_per_row <= record.shape[0])
            new_records.append(record.at[row].set(jnp.where(write, value, record[row])))
            new_totals.append(jnp.where(row_done, jnp.zeros_like(total), total))
        return (state, tuple(new_totals), tuple(new_records)), (tuple(rows), steps)

    records = tuple(
        jnp.zeros((0 if is_direct else n_steps // probe.stride,) + shape.shape, shape.dtype)
        for shape, (_, probe), is_direct in zip(shapes, windowed, direct)
    )
    n_windows = n_steps // window
    (state, _, records), (rows, steps) = jax.lax.scan(one_window, (state, zeros(), records), jnp.arange(n_windows))
    records = iter(row if is_direct else record for row, record, is_direct in zip(rows, records, direct))
    steps = [rows.reshape((n_windows * window,) + rows.shape[2:]) for rows in steps]
    tail = n_steps - n_windows * window
    if tail:
        (state, _), tail_steps = jax.lax.scan(one_step, (state, zeros()), start_step + n_windows * window + jnp.arange(tail))
        steps = [jnp.concatenate([rows, more]) for rows, more in zip(steps, tail_steps)]
    steps = iter(steps)
    recordings = {}
    for (name, probe), every in zip(probes, every_step):
        record = next(steps) if every else next(records)
        recordings[name] = _events_of(record, probe, start_step) if probe.reduce == "events" else record
    return state, recordings


@functools.partial(jax.jit, static_argnames=("step", "n_steps", "probes", "window", "dt"))
def _run_batched(step, params, state, n_steps, drive, probes, window, dt, start_step):
    """:func:`_run` vectorised over the leading axis of ``params``, ``state`` and ``drive``."""
    def one_run(params, state, drive):
        return _run(step, params, state, n_steps, drive, probes, window, dt, start_step)

    return jax.vmap(one_run)(params, state, drive)


def _events_of(fired, probe: Probe, start_step) -> Events:
    """The events of a loop's 0/1 rows ``fired`` (steps, *neurons): the first ``probe.capacity``, and the count.

    Inside the loop each step only stores its row of booleans (a byte per neuron), the
    cheapest record there is; once the loop is done, event ``j`` is where the running
    count of spikes over the flattened rows first reaches ``j + 1`` (a binary search per
    event: a fifth of the time ``jnp.nonzero`` takes to scatter every entry).
    """
    fired = fired.reshape(fired.shape[0], -1)
    if fired.size >= 2**31:
        raise BadInput(f"Probe({probe.variable!r})", f"{fired.shape[0]} steps of {fired.shape[1]} neurons in one call",
                       "fewer than 2^31 neuron-steps per call for events (split the run into chunks)")
    running = jnp.cumsum(fired.reshape(-1), dtype=jnp.int32)
    flat = jnp.searchsorted(running, jnp.arange(1, probe.capacity + 1, dtype=jnp.int32), side="left",
                            method="scan_unrolled")
    # Keeps XLA from fusing the search into the division below: with jax 0.11 that fusion took
    # 28 s to compile (0.7 s with the barrier); the values are unchanged.
    flat = jax.lax.optimization_barrier(flat)
    flat = jnp.minimum(flat, fired.size - 1)            # past the last spike: any index, not counted
    steps, neurons = flat // fired.shape[1], flat % fired.shape[1]
    return Events((start_step + steps).astype(jnp.int32), neurons.astype(jnp.int32), running[-1])


def probe_shapes(step, params, state, drive, probes, dt) -> tuple:
    """The shape and dtype of one recorded row of each probe, without running anything.

    Parameters
    ----------
    step, params, state, drive, dt
        As for :func:`simulate`.
    probes : sequence of (name, Probe)
        The probes, in order.

    Returns
    -------
    tuple of jax.ShapeDtypeStruct
        One per probe.

    Example
    -------
    >>> from bioplastic.simulation import Constant
    >>> from bioplastic.neurons import LIF
    >>> model = LIF()
    >>> params = model.params()
    >>> shapes = probe_shapes(model.step, params, model.init(params, 3, jax.random.PRNGKey(0)), Constant(20.0),
    ...                       [("v", Probe("v", neurons=(0, 2)))], 0.1)
    >>> shapes[0].shape, shapes[0].dtype
    ((2,), dtype('float32'))
    """
    _, output = jax.eval_shape(lambda p, s: step(p, s, drive_at(drive, jnp.asarray(0), dt), dt), params, state)
    return tuple(jax.eval_shape(lambda s, o: _observe(probe, s, o), state, output) for _, probe in probes)


def run_seeds(run: Callable[[jax.Array], Any], seeds) -> Any:
    """``jax.vmap`` a whole simulation over seeds: ``run(key)`` for each ``PRNGKey(seed)``.

    Every leaf of the result gains a leading axis of ``len(seeds)``. Because the runs are
    vectorised, not looped, they share one compiled program.

    Example
    -------
    >>> out = run_seeds(lambda key: jax.random.normal(key, (3,)).sum(), [0, 1])
    >>> out.shape
    (2,)
    """
    seeds = np.atleast_1d(np.asarray(seeds))
    if seeds.size == 0 or not np.issubdtype(seeds.dtype, np.integer):
        raise BadInput("seeds", f"{seeds.tolist()!r}", "a non-empty list of integers")
    keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(seeds))
    return jax.vmap(run)(keys)
