"""Any ``brainpy.state`` neuron model as a bioplastic population.

``BrainPyNeuron(cls)`` wraps a ``brainpy.state`` neuron class (``LIF``, ``LIFRef``,
``AdExIF``, ``HH``, ``Izhikevich``, ``FitzHughNagumo``, the NEST-style ``iaf_psc_alpha``
..., or a user's own subclass of ``brainpy.state.Neuron``) behind the bioplastic neuron
interface (:mod:`bioplastic.neurons.base`): ``params`` and ``state`` are pytrees of plain
arrays, and ``step`` is a pure function that runs inside ``jax.jit``, ``jax.lax.scan``,
``jax.vmap`` and ``jax.grad``.

How one step works
------------------
brainpy.state models are stateful objects (brainstate modules holding ``HiddenState``
objects whose values carry brainunit units). ``step`` builds a fresh module from
``params`` (so parameters may be traced values), lets ``brainstate.nn.init_all_states``
create its states, overwrites them with the values in ``state``, runs one
``module.update(input)`` inside ``brainstate.environ.context(dt=dt, t=t)`` and reads the
states back. The module is then dropped. brainstate's global random state
(``brainstate.random.DEFAULT``) is pointed at the key carried in ``state.rng`` for the
update and restored afterwards, so nothing leaks between calls and a run depends only on
the key given to ``init``. ``init`` and ``step`` are compiled internally with
``jax.jit``, with the model and ``dt`` as static arguments, so plain Python calls are fast
too (one compilation per model, shape and ``dt``).

Units
-----
Numbers cross the interface as plain floats, in bioplastic units:

- voltages in mV, times in ms, voltage rates in mV/ms and rates in 1/ms, whatever units
  the brainpy model uses internally;
- any other quantity in the unit of the brainpy default for that argument (for ``LIF``,
  ``R`` in ohm; for ``HH``, conductances in mS and ``C`` in uF, i.e. per cm^2 of
  membrane). ``model.param_units`` and ``model.state_units`` list the units;
- the input to ``step`` is a float array in ``model.input_unit``. By default that is the
  unit of the default argument of the model's ``update(x=...)``: mA for the LIF family
  (with the default ``R = 1 ohm``, an input of 1 mA is exactly the bioplastic current
  R*I = 1 mV), uA (per cm^2) for ``HH``, mV/ms for ``Izhikevich``, pA for the NEST-style
  models, unitless for ``FitzHughNagumo``;
- ``dt`` is in ms. The output is the spike array, float 0.0 / 1.0: the value ``update``
  returns (``spike_method="update"``, the default) or the value of another method of the
  model called after the update (for example ``spike_method="get_spike"``).

What ``params`` holds
---------------------
A NamedTuple (``<Class>Params``) with one float array per numeric constructor argument
of the brainpy class (every argument whose default is a float or a brainunit quantity:
``tau``, ``V_th``, ``gNa``, ...), named as in brainpy. The module is rebuilt from them on
every step, so ``jax.grad`` and ``jax.vmap`` reach them, and each may be an array
broadcastable to the population shape. The other constructor arguments (initialisers,
``spk_fun``, ``spk_reset``, ``ref_var``, arguments whose default is ``None``) are static
choices given as ``kwargs`` when the model is made.

Some models turn their parameters into Python numbers while being built (the NEST-style
ones precompute propagators with NumPy), so they cannot take traced parameters. For them
use ``static_params=True``: numeric parameters then go in ``kwargs`` (numbers in
``param_units``, or brainunit quantities), ``params()`` is an empty NamedTuple, and the
module is built under ``jax.ensure_compile_time_eval()``. The model tells you when it needs
this.

What ``state`` holds
--------------------
A NamedTuple (``<Class>State``) with one field per brainstate ``State`` of the module
(``V``, ``w``, ``m``, ``h``, ``n``, ``last_spike_time``, ...; listed in
``model.state_variables``) as plain arrays in the units above, plus two bookkeeping
fields: ``i`` (int32, the number of steps taken; one copy per neuron so that the
population shape travels with the state) and ``rng`` (the raw ``uint32`` data of the key for
the model's random numbers; models that draw none carry it unchanged). As in brainpy's own
loops, the model sees the time ``t = i * dt`` (and ``i``) in brainstate's environment, so
refractory models agree with a brainpy run step for step; keep ``dt`` fixed during a run
(a new ``dt`` rescales the clock of models that read ``t``).

Limits
------
- Random numbers: draws from brainstate's global RNG (``brainstate.random.*``) and
  ``brainstate.random.RandomState`` members of the module follow the key given to
  ``init``. A model that keeps its own raw key in an ordinary state (``gif_psc_exp``'s
  ``rng_state``, seeded from its ``rng_key`` argument) keeps doing so; NumPy draws (the
  stochastic modes of a few NEST-style models) are fixed when JAX traces the step, so
  those modes are not supported.
- Each step rebuilds the module while JAX traces it: inside ``scan`` or ``jit`` that
  happens once; the internal ``jit`` makes later plain calls cheap.
- The state NamedTuple classes are made at run time, so a state pickles only after
  ``state._asdict()``.

Example
-------
Three LIF neurons with hard reset, driven by R*I = 2 mV against a 1 mV threshold: the
inter-spike interval is tau ln 2 = 6.93 ms, rounded up to whole 0.1 ms steps.

>>> import brainpy, jax, jax.numpy as jnp
>>> from bioplastic.neurons.brainpy_adapter import BrainPyNeuron
>>> model = BrainPyNeuron(brainpy.state.LIF, kwargs={"spk_reset": "hard"})
>>> model.param_units
{'R': 'ohm', 'tau': 'ms', 'V_th': 'mV', 'V_reset': 'mV', 'V_rest': 'mV'}
>>> model.input_unit
Unit("mA")
>>> params = model.params(tau=10.0)
>>> state = model.init(params, 3, jax.random.PRNGKey(0))
>>> model.state_variables
('V',)
>>> def body(state, _):
...     state, spikes = model.step(params, state, jnp.full(3, 2.0), 0.1)
...     return state, (state.V, spikes)
>>> state, (v, spikes) = jax.jit(lambda s: jax.lax.scan(body, s, None, length=1000))(state)
>>> spikes.shape, int(spikes[:, 0].sum()), int(state.i[0])
((1000, 3), 14, 1000)
>>> [round(float(x), 1) for x in jnp.diff(jnp.nonzero(spikes[:, 0])[0] * 0.1)[:3]]
[7.0, 7.0, 7.0]
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import difflib
import functools
import inspect
import keyword
import re
from collections.abc import Mapping
from typing import Any, final

import brainpy
import brainstate
import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np

from bioplastic._checks import BadInput, _is_tracer, check_broadcastable, check_dt, check_finite, check_shape
from bioplastic.neurons.base import NeuronModel

__all__ = ["BrainPyNeuron"]

_NOT_OPTIONS = ("self", "in_size", "name")
_BOOKKEEPING = ("i", "rng")
_EXAMPLES = "'LIF', 'LIFRef', 'AdExIF', 'HH', 'Izhikevich'"
# Quantities of these dimensions cross the interface in these units; others keep their own.
_PREFERRED_UNITS = (u.mV, u.ms, u.mV / u.ms, u.ms**-1)
_CONCRETE_ERRORS = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerBoolConversionError,
    jax.errors.TracerIntegerConversionError,
)


# --------------------------------------------------------------------------- units


def _bioplastic_unit(unit):
    """The unit a quantity in ``unit`` crosses the interface in (``None``: unitless)."""
    if unit is None or unit.is_unitless:
        return None
    for preferred in _PREFERRED_UNITS:
        if unit.dim == preferred.dim:
            return preferred
    return unit


def _describe_quantity(q) -> str:
    mantissa = np.asarray(q.mantissa)
    if mantissa.ndim == 0:
        return f"{mantissa.item()!r} {q.unit}"
    return f"array of shape {mantissa.shape} in {q.unit}"


def _unit_text(unit) -> str:
    return "1" if unit is None else str(unit)


def _is_quantity(x) -> bool:
    return isinstance(x, u.Quantity)


def _is_key(x) -> bool:
    return hasattr(x, "dtype") and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def _to_plain_leaf(x):
    if _is_quantity(x):
        unit = _bioplastic_unit(x.unit)
        x = x.mantissa if unit is None else x.to_decimal(unit)
    elif _is_key(x):
        return jax.random.key_data(x)
    x = jnp.asarray(x)
    # A strong dtype: a weakly typed init value would change the jit signature after one step.
    return jax.lax.convert_element_type(x, x.dtype)


def _to_plain(value):
    """A state value (a pytree of quantities / arrays) as plain arrays in bioplastic units."""
    return jax.tree.map(_to_plain_leaf, value, is_leaf=_is_quantity)


def _from_plain_leaf(x, template):
    if _is_quantity(template):
        unit = _bioplastic_unit(template.unit)
        mantissa = jnp.asarray(x, dtype=template.dtype)
        if unit is None:
            return u.Quantity(mantissa, unit=template.unit)
        return u.Quantity(mantissa, unit=unit).in_unit(template.unit)
    if _is_key(template):
        return jax.random.wrap_key_data(jnp.asarray(x, dtype=jnp.uint32), impl=jax.random.key_impl(template))
    return jnp.asarray(x, dtype=jnp.result_type(template))


def _from_plain(value, template):
    """Inverse of :func:`_to_plain`: ``value`` with the units and dtypes of ``template``."""
    leaves, treedef = jax.tree.flatten(template, is_leaf=_is_quantity)
    plain = treedef.flatten_up_to(value)
    return jax.tree.unflatten(treedef, [_from_plain_leaf(x, t) for x, t in zip(plain, leaves)])


# ---------------------------------------------------------------- class inspection


def _is_concrete_neuron(cls) -> bool:
    base = brainpy.state.Neuron
    return inspect.isclass(cls) and issubclass(cls, base) and cls.update is not base.update


@functools.lru_cache(maxsize=None)
def _neuron_classes() -> dict[str, type]:
    found = {}
    for name in dir(brainpy.state):
        obj = getattr(brainpy.state, name)
        if _is_concrete_neuron(obj):
            found[name] = obj
    return found


def _describe(obj) -> str:
    if inspect.isclass(obj):
        return f"{obj.__module__}.{obj.__qualname__}"
    return repr(obj)


def _did_you_mean(name, allowed) -> str:
    close = difflib.get_close_matches(str(name), list(allowed), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _is_numeric_default(value) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, float):
        return True
    if isinstance(value, (u.Quantity, np.ndarray, jax.Array)):
        return bool(jnp.issubdtype(value.dtype, jnp.floating))
    return False


@functools.lru_cache(maxsize=None)
def _constructor_spec(cls):
    """``(numeric, options, takes_any)`` read from ``cls.__init__``.

    ``numeric`` maps each numeric argument to ``(default as a float NumPy array in
    bioplastic units, its bioplastic unit or None)``; ``options`` names the other keyword
    arguments; ``takes_any`` says whether the constructor has ``**kwargs``.
    """
    numeric, options, takes_any = {}, [], False
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if p.kind is p.VAR_KEYWORD:
            takes_any = True
        elif name in _NOT_OPTIONS or p.kind is p.VAR_POSITIONAL:
            continue
        elif p.default is not p.empty and _is_numeric_default(p.default):
            unit = _bioplastic_unit(p.default.unit) if _is_quantity(p.default) else None
            if _is_quantity(p.default):
                default = p.default.mantissa if unit is None else p.default.to_decimal(unit)
            else:
                default = p.default
            numeric[name] = (np.asarray(default, dtype=float), unit)
        else:
            options.append(name)
    return numeric, tuple(options), takes_any


@functools.lru_cache(maxsize=None)
def _struct(typename: str, fields: tuple[str, ...]):
    """One NamedTuple class per (name, fields), so pytree structures compare equal."""
    cls = collections.namedtuple(typename, fields)  # field names come from _field_name
    cls.__module__ = __name__
    return cls


@dataclasses.dataclass(frozen=True)
class _Frozen:
    """A hashable snapshot of an array or quantity given in ``kwargs``."""

    data: tuple
    shape: tuple
    dtype: str
    unit: Any

    @classmethod
    def of(cls, value):
        unit = value.unit if _is_quantity(value) else None
        array = np.asarray(value.mantissa if unit is not None else value)
        return cls(tuple(array.ravel().tolist()), array.shape, str(array.dtype), unit)

    def thaw(self):
        array = np.asarray(self.data, dtype=self.dtype).reshape(self.shape)
        return array if self.unit is None else u.Quantity(array, unit=self.unit)

    def __repr__(self):
        return repr(self.thaw())


# -------------------------------------------------------------- brainstate sandbox


@contextlib.contextmanager
def _brainstate_sandbox(placeholder_dt: bool = True, **environ):
    """Run brainstate code purely: global states restored on exit, ``environ`` set.

    A ``StateTraceStack`` records every pre-existing brainstate ``State`` the body reads
    or writes (the global RNG ``brainstate.random.DEFAULT`` in particular) with its value
    before the first access; being inside one also lets the body write a JAX tracer into
    such a state (brainstate refuses that under a bare ``jax.jit``). On exit the recorded
    values are put back. With ``placeholder_dt``, a model that reads dt while being built
    gets 0.1 ms if none is set.
    """
    with contextlib.ExitStack() as stack:
        if placeholder_dt and "dt" not in environ and brainstate.environ.get("dt", default=None) is None:
            environ["dt"] = 0.1 * u.ms  # placeholder for models that read dt while being built
        stack.enter_context(brainstate.environ.context(**environ))
        trace = stack.enter_context(brainstate.StateTraceStack(name="bioplastic.BrainPyNeuron"))
        try:
            yield brainstate.random.DEFAULT
        finally:
            trace.recovery_original_values()


def _eager_if(static: bool):
    """For ``static_params`` models: compute constants eagerly while building/initialising,
    so the model may turn them into Python numbers (NumPy propagators). Not used around
    ``update``: there it would also run ``jax.debug.callback`` checks eagerly."""
    return jax.ensure_compile_time_eval() if static else contextlib.nullcontext()


def _field_name(path, taken) -> str:
    """A NamedTuple field name for a brainstate state path (``('_rng_state',)`` -> ``rng_state``)."""
    name = re.sub(r"\W", "_", "_".join(map(str, path))).lstrip("_")
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        name = f"s_{name}"
    base, i = name, 1
    while name in taken or name in _BOOKKEEPING:
        name, i = f"{base}_{i}", i + 1
    return name


def _named_states(module):
    """``[(field name, State)]`` of a module, in brainstate's (deterministic) order."""
    named = []
    for path, st in brainstate.graph.states(module).items():
        named.append((_field_name(path, {n for n, _ in named}), st))
    return named


def _scratch_key():
    return jax.random.key(0)


# ---------------------------------------------------------------------- the model


@final
@dataclasses.dataclass(frozen=True)
class BrainPyNeuron(NeuronModel):
    """A ``brainpy.state`` neuron model as a bioplastic population (see the module docstring).

    Parameters
    ----------
    neuron_class : type or str
        A concrete subclass of ``brainpy.state.Neuron`` (``brainpy.state.LIF``), or the
        name of one in ``brainpy.state`` (``"LIF"``).
    kwargs : mapping or tuple of (name, value) pairs, optional
        Constructor arguments that are not numeric parameters (``spk_reset``, ``spk_fun``,
        ``V_initializer``, ``ref_var``, ...), plus the numeric ones when
        ``static_params``. Kept as a sorted tuple of pairs so the model stays hashable
        (arrays and quantities are kept as hashable snapshots).
    input_unit : brainunit unit or str, optional
        Unit of the float input given to :meth:`step`. Default: the unit of the default of
        ``neuron_class.update(x=...)`` (unitless when that has none).
    spike_method : str, optional
        ``"update"`` (default): the spikes are what ``update`` returns. Otherwise the name
        of a method of the model called with no arguments after the update.
    static_params : bool, optional
        Build the module from constants (numeric parameters in ``kwargs``, ``params()``
        empty), for models that cannot take traced parameters. Default ``False``.

    Attributes
    ----------
    state_variables : tuple of str
        The model's state names (``("V", "w")`` for ``AdExIF``).
    param_units, state_units : dict
        Unit of each numeric parameter / state variable as plain numbers carry it.

    Example
    -------
    One 0.1-ms step of two brainpy LIF neurons (tau 5 ms, R = 1 ohm), the second driven by
    2 mA, i.e. R*I = 2 mV, from V = 0 mV:

    >>> import jax, jax.numpy as jnp
    >>> model = BrainPyNeuron("LIF")
    >>> model.state_variables, model.state_units
    (('V',), {'V': 'mV'})
    >>> params = model.params(tau=5.0)
    >>> state = model.init(params, 2, jax.random.PRNGKey(0))
    >>> state, spikes = model.step(params, state, jnp.array([0.0, 2.0]), 0.1)
    >>> [round(float(v), 4) for v in state.V], state.i.tolist()       # 2 (1 - exp(-0.1 / 5)) mV
    ([0.0, 0.0396], [1, 1])
    """

    neuron_class: Any
    kwargs: Any = ()
    input_unit: Any = None
    spike_method: str = "update"
    static_params: bool = False

    def __post_init__(self):
        cls = self._resolve_class(self.neuron_class)
        object.__setattr__(self, "neuron_class", cls)
        if not isinstance(self.static_params, bool):
            raise BadInput("static_params", f"{self.static_params!r}", "True or False")
        object.__setattr__(self, "kwargs", self._resolve_kwargs(cls, self.kwargs, self.static_params))
        object.__setattr__(self, "input_unit", self._resolve_input_unit(cls, self.input_unit))
        if self.spike_method != "update" and not callable(getattr(cls, str(self.spike_method), None)):
            raise BadInput("spike_method",
                           f"{self.spike_method!r}",
                           f"'update' or the name of a method of {cls.__name__} that returns spikes, such as 'get_spike'")
        _template(self)  # build one neuron now, so a model that cannot work fails here

    # ---------------------------------------------------------- construction checks

    @staticmethod
    def _resolve_class(cls):
        if isinstance(cls, str):
            known = _neuron_classes()
            if cls not in known:
                raise BadInput("neuron_class",
                               f"{cls!r}",
                               f"the name of a brainpy.state neuron class such as {_EXAMPLES}{_did_you_mean(cls, known)}")
            return known[cls]
        if not _is_concrete_neuron(cls):
            raise BadInput("neuron_class",
                           _describe(cls),
                           "a concrete subclass of brainpy.state.Neuron (such as brainpy.state.LIF) or its name")
        return cls

    @staticmethod
    def _resolve_kwargs(cls, kwargs, static_params):
        if isinstance(kwargs, Mapping):
            items = list(kwargs.items())
        else:
            try:
                items = [(key, value) for key, value in kwargs]
            except (TypeError, ValueError):
                raise BadInput("kwargs", f"{kwargs!r}", "a mapping or a tuple of (name, value) pairs") from None
        numeric, options, takes_any = _constructor_spec(cls)
        allowed = options + tuple(numeric) if static_params else options
        frozen = []
        for key, value in items:
            if key in numeric and not static_params:
                raise BadInput("kwargs",
                               f"{key!r}, a numeric parameter",
                               f"{', '.join(map(repr, options))}; give numeric parameters to params(), e.g. params({key}=...)")
            if key not in allowed and not takes_any:
                listed = ", ".join(map(repr, allowed))
                raise BadInput("kwargs", f"{key!r}", f"{listed}{_did_you_mean(key, allowed)}")
            if isinstance(value, (u.Quantity, np.ndarray, jax.Array)):
                if _is_tracer(value):
                    raise BadInput("kwargs", f"a traced value for {key!r}", "concrete values")
                value = _Frozen.of(value)
            try:
                hash(value)
            except TypeError:
                raise BadInput("kwargs", f"{key}={value!r}, which is unhashable", "hashable values") from None
            frozen.append((key, value))
        return tuple(sorted(frozen, key=lambda kv: kv[0]))

    @staticmethod
    def _resolve_input_unit(cls, unit):
        x = inspect.signature(cls.update).parameters.get("x")
        expected = x.default.unit if x is not None and _is_quantity(x.default) else None
        if unit is None:
            return expected if expected is not None else u.get_unit(1.0)
        if isinstance(unit, str):
            unit = getattr(u, unit, unit)
        if _is_quantity(unit):
            unit = unit.unit
        if not isinstance(unit, u.Unit):
            raise BadInput("input_unit", f"{unit!r}", "a brainunit unit such as brainunit.mA")
        if expected is not None and unit.dim != expected.dim:
            raise BadInput("input_unit",
                           unit,
                           f"a unit with the dimension of {expected} (what {cls.__name__}.update expects)")
        if expected is None and not unit.is_unitless:
            raise BadInput("input_unit", unit, f"a unitless unit ({cls.__name__}.update takes plain numbers)")
        return unit

    # ----------------------------------------------------------------- introspection

    @property
    def param_units(self) -> dict[str, str]:
        """Unit of each numeric parameter (``'1'``: unitless).

        Example
        -------
        >>> BrainPyNeuron("LIF").param_units
        {'R': 'ohm', 'tau': 'ms', 'V_th': 'mV', 'V_reset': 'mV', 'V_rest': 'mV'}
        """
        return {name: _unit_text(unit) for name, (_, unit) in _constructor_spec(self.neuron_class)[0].items()}

    @property
    def state_variables(self) -> tuple[str, ...]:
        """The model's state names (without the bookkeeping ``i`` and ``rng``).

        Example
        -------
        >>> BrainPyNeuron("AdExIF").state_variables
        ('V', 'w')
        """
        return _template(self)[0]

    @property
    def state_units(self) -> dict[str, Any]:
        """Unit of each state variable as the state carries it (``'1'``: unitless).

        Example
        -------
        Hodgkin-Huxley gates are unitless probabilities:

        >>> BrainPyNeuron("HH").state_units
        {'V': 'mV', 'h': '1', 'm': '1', 'n': '1'}
        """
        names, units = _template(self)
        return dict(zip(names, units))

    def _param_names(self) -> tuple[str, ...]:
        return () if self.static_params else tuple(_constructor_spec(self.neuron_class)[0])

    def _params_struct(self):
        return _struct(f"{self.neuron_class.__name__}Params", self._param_names())

    def _state_struct(self):
        return _struct(f"{self.neuron_class.__name__}State", _template(self)[0] + _BOOKKEEPING)

    def _build(self, params, shape):
        """A fresh brainpy module of ``shape`` with the values in ``params`` (or ``kwargs``)."""
        numeric = _constructor_spec(self.neuron_class)[0]
        kwargs = {}
        for key, value in self.kwargs:
            value = value.thaw() if isinstance(value, _Frozen) else value
            if key in numeric and numeric[key][1] is not None and not _is_quantity(value):
                value = u.Quantity(value, unit=numeric[key][1])
            kwargs[key] = value
        for name in self._param_names():
            value, unit = getattr(params, name), numeric[name][1]
            kwargs[name] = value if unit is None else u.Quantity(value, unit=unit)
        return self.neuron_class(shape, **kwargs)

    # --------------------------------------------------------------------- interface

    def params(self, **values):
        """The parameter NamedTuple; fields not named keep the brainpy defaults.

        Each value is a number or array in ``param_units[name]``, or a brainunit quantity
        of the same dimension (converted). The brainpy model's own checks run here.

        Example
        -------
        A quantity is converted to the parameter's unit (10 ms here); a misspelt name
        is caught:

        >>> import brainunit as u
        >>> model = BrainPyNeuron("LIF")
        >>> float(model.params(tau=u.Quantity(0.01, unit=u.second)).tau)
        10.0
        >>> model.params(tua=5.0)
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: params: got 'tua'; allowed: 'R', 'tau', 'V_th', 'V_reset', 'V_rest' (did you mean 'tau'?)
        """
        numeric = _constructor_spec(self.neuron_class)[0]
        allowed = self._param_names()
        fields = {}
        for name, value in values.items():
            if name not in allowed:
                if self.static_params:
                    raise BadInput("params",
                                   f"{name!r}",
                                   "no values (static_params=True: give numeric parameters in kwargs)")
                listed = ", ".join(map(repr, allowed))
                raise BadInput("params", f"{name!r}", f"{listed}{_did_you_mean(name, allowed)}")
            unit = numeric[name][1]
            if _is_quantity(value):
                try:
                    value = value.to_decimal(unit) if unit is not None else value.to_decimal()
                except Exception:
                    raise BadInput(f"params.{name}",
                                   _describe_quantity(value),
                                   f"a number in {_unit_text(unit)} or a brainunit quantity of that dimension") from None
            check_finite(value, f"params.{name}")
            fields[name] = value
        dtype = brainstate.environ.dftype()
        params = self._params_struct()(
            **{name: jnp.asarray(fields.get(name, numeric[name][0]), dtype=dtype) for name in allowed}
        )
        if fields and not _is_tracer(params):
            leaves = jax.tree.leaves(params)
            shape = np.broadcast_shapes(*(np.shape(x) for x in leaves)) or (1,)
            try:
                with _brainstate_sandbox(), _eager_if(self.static_params):
                    self._build(params, shape)
            except (ValueError, TypeError) as error:
                raise BadInput("params",
                               f"values that {self.neuron_class.__name__} rejects",
                               f"values it accepts ({error})") from None
        return params

    def init(self, params, shape, key, dt=None):
        """Build the module for ``shape``, initialise its states from ``key``, return them as arrays.

        Parameters
        ----------
        params : NamedTuple
            From :meth:`params` (``()`` also accepted with ``static_params=True``); fields broadcast to ``shape``.
        shape : int or tuple of int
            Population shape.
        key : jax key
            A ``jax.random.PRNGKey`` / ``jax.random.key`` (or its raw uint32 data); seeds the initial states and,
            split, the model's random numbers during the run (``state.rng``).
        dt : float or None
            Step (ms), a Python number; needed only by models that read the time step while being built or
            initialised (the NEST-style ones); the initial state does not otherwise depend on it.

        Returns
        -------
        NamedTuple
            ``<Class>State``: the model's state variables plus ``i`` and ``rng`` (see the module docstring).

        Example
        -------
        The state holds the model's variables plus the step counter ``i`` and the key data:

        >>> import jax
        >>> model = BrainPyNeuron("LIF")
        >>> state = model.init(model.params(tau=5.0), 2, jax.random.PRNGKey(0))
        >>> state._fields, state.V.tolist(), state.i.tolist()
        (('V', 'i', 'rng'), [0.0, 0.0], [0, 0])
        """
        shape = check_shape(shape)
        params = self._check_params(params, shape)
        if dt is not None:
            if _is_tracer(dt):
                raise BadInput("dt", "a traced value", "a Python number > 0 (milliseconds) or None")
            dt = check_dt(dt, "dt")
        if not _is_tracer(key):
            try:
                jax.random.key_data(key) if _is_key(key) else jax.random.wrap_key_data(jnp.asarray(key, jnp.uint32))
            except Exception:
                raise BadInput("key",
                               f"{key!r}",
                               "a JAX random key (jax.random.PRNGKey(seed) or jax.random.key(seed))") from None
        return _init_jit(self, shape, params, key, dt)

    def step(self, params, state, input, dt):
        """Advance ``state`` by ``dt`` ms under the input current ``input`` (in ``input_unit``).

        Pure: usable in ``jax.jit``, ``jax.lax.scan``, ``jax.vmap`` and ``jax.grad``.

        Parameters
        ----------
        params : NamedTuple
            From :meth:`params` (``()`` also accepted with ``static_params=True``).
        state : NamedTuple
            The ``<Class>State`` from :meth:`init` or a previous step.
        input : array
            Input current in ``input_unit`` (mA for the LIF family by default), broadcastable to the population shape.
        dt : float
            Step (ms); keep it fixed during a run. Must be a Python number when ``static_params=True``.

        Returns
        -------
        (NamedTuple, array)
            The new state and the spikes, float 0.0 / 1.0 of the population shape.

        Example
        -------
        brainpy's LIF (``V_th = 1`` mV, soft reset by default) reports the spike in the step
        where ``V`` crosses threshold and subtracts ``V_th - V_reset`` at the start of the
        next step: 100 mA for 0.1 ms gives ``100 (1 - exp(-0.1 / 5)) = 1.9801`` mV, then
        ``(1.9801 - 1) exp(-0.1 / 5) = 0.9607`` mV:

        >>> import jax, jax.numpy as jnp
        >>> model = BrainPyNeuron("LIF")
        >>> params = model.params(tau=5.0)
        >>> state = model.init(params, 2, jax.random.PRNGKey(0))
        >>> state, spikes = model.step(params, state, jnp.array([0.0, 100.0]), 0.1)
        >>> round(float(state.V[1]), 4), spikes.tolist()
        (1.9801, [0.0, 1.0])
        >>> state, spikes = model.step(params, state, jnp.array([0.0, 0.0]), 0.1)
        >>> round(float(state.V[1]), 4), spikes.tolist(), state.i.tolist()
        (0.9607, [0.0, 0.0], [2, 2])
        """
        struct = self._state_struct()
        if type(state) is not struct:
            raise BadInput("state", type(state).__name__, f"the {struct.__name__} that init() returns")
        params = self._check_params(params, tuple(np.shape(state.i)))
        if not _is_tracer(input):
            check_broadcastable(input, tuple(np.shape(state.i)), "input")
        if _is_tracer(dt):
            if self.static_params:
                raise BadInput("dt", "a traced value", "a Python number > 0 (milliseconds) when static_params=True")
            return self._step_impl(params, state, input, dt)  # already inside a trace
        return _step_jit(self, params, state, input, check_dt(dt, "dt"))

    def _check_params(self, params, shape):
        struct = self._params_struct()
        if self.static_params and type(params) is tuple and params == ():
            return struct()
        if type(params) is not struct:
            raise BadInput("params", type(params).__name__, f"the {struct.__name__} that params() returns")
        for name, value in zip(params._fields, params):
            check_broadcastable(value, shape, f"params.{name}")
        return params

    # --------------------------------------------------------------- implementations

    def _init_impl(self, shape, params, key, dt):
        key = key if _is_key(key) else jax.random.wrap_key_data(jnp.asarray(key, dtype=jnp.uint32))
        init_key, run_key = jax.random.split(key)
        environ = {"t": 0.0 * u.ms, "i": 0}
        if dt is not None:
            environ["dt"] = dt * u.ms
        with _brainstate_sandbox(placeholder_dt=False, **environ) as rng:
            rng.value = init_key
            with _eager_if(self.static_params):
                module = self._build(params, shape)
                brainstate.nn.init_all_states(module)
            named = _named_states(module)
            for i, (_, st) in enumerate(named):  # the module's own brainstate RNGs: seed from key
                if isinstance(st, brainstate.random.RandomState):
                    st.value = jax.random.fold_in(init_key, i + 1)
            values = {name: _to_plain(st.value) for name, st in named}
        i = jnp.zeros(shape, dtype=jnp.int32)
        return self._state_struct()(**values, i=i, rng=jax.random.key_data(run_key))

    def _step_impl(self, params, state, input, dt):
        shape = tuple(jnp.shape(state.i))
        dtype = brainstate.environ.dftype()
        x = jnp.asarray(input, dtype=dtype)
        if not self.input_unit.is_unitless:
            x = u.Quantity(x, unit=self.input_unit)
        i = jnp.reshape(state.i, (-1,))[0]
        with _brainstate_sandbox(dt=dt * u.ms, t=i * dt * u.ms, i=i) as rng:
            # Build the module and its states; their values only supply structure and units
            # (a scratch key keeps random initialisers off the run's key).
            rng.value = _scratch_key()
            with _eager_if(self.static_params):
                module = self._build(params, shape)
                brainstate.nn.init_all_states(module)
            named = _named_states(module)
            for name, st in named:
                st.value = _from_plain(getattr(state, name), st.value)
            rng.value = jax.random.wrap_key_data(state.rng)
            out = module.update(x)
            if self.spike_method != "update":
                out = getattr(module, self.spike_method)()
            values = {name: _to_plain(st.value) for name, st in named}
            new_rng = jax.random.key_data(rng.value)
        spikes = jnp.broadcast_to(jnp.asarray(u.get_magnitude(out), dtype=dtype), shape)
        return self._state_struct()(**values, i=state.i + 1, rng=new_rng), spikes


# dt is static: some brainpy models turn it into a Python number while being built.
@functools.partial(jax.jit, static_argnums=(0, 1, 4))
def _init_jit(model, shape, params, key, dt):
    try:
        return model._init_impl(shape, params, key, dt)
    except KeyError as error:
        if dt is None and "'dt'" in str(error):
            raise BadInput("dt",
                           "None",
                           f"a finite number > 0 (milliseconds); {model.neuron_class.__name__} reads dt when it is initialised, so pass init(..., dt=...)") from None
        raise


@functools.partial(jax.jit, static_argnums=(0, 4))
def _step_jit(model, params, state, input, dt):
    return model._step_impl(params, state, input, dt)


@functools.lru_cache(maxsize=None)
def _template(model: BrainPyNeuron):
    """``(state names, their units)``, from building and initialising one neuron abstractly."""
    found = {}
    cls = model.neuron_class

    def probe(params):
        with _brainstate_sandbox(t=0.0 * u.ms, i=0) as rng:
            rng.value = _scratch_key()
            with _eager_if(model.static_params):
                module = model._build(params, (1,))
                brainstate.nn.init_all_states(module)
            named = _named_states(module)
            found["names"] = tuple(name for name, _ in named)
            found["units"] = tuple(
                jax.tree.map(
                    lambda x: _unit_text(_bioplastic_unit(x.unit)) if _is_quantity(x) else "1",
                    st.value,
                    is_leaf=_is_quantity,
                )
                for _, st in named
            )

    numeric = _constructor_spec(cls)[0]
    defaults = model._params_struct()(**{name: jnp.asarray(numeric[name][0]) for name in model._param_names()})
    try:
        jax.eval_shape(probe, defaults)
    except _CONCRETE_ERRORS:
        if model.static_params:
            raise
        raise BadInput(
            "neuron_class", f"{_describe(cls)}, which turns its parameters into Python numbers while being built",
            f"models that accept traced parameters here. Use BrainPyNeuron({cls.__name__!r}, static_params=True) "
            "and give numeric parameters in kwargs"
        ) from None
    except (ValueError, TypeError) as error:
        raise BadInput("kwargs", f"{dict(model.kwargs)!r}", f"arguments {cls.__name__} accepts ({error})") from None
    return found["names"], found["units"]
