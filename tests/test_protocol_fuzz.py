"""Property: whatever a user writes into a protocol, validation answers "valid" or one located BadInput.

Hypothesis mutates the 16 shipped protocols (at the toy size of ``toy_protocols.TOY``, so
that a valid mutant builds in moments) -- deletes, adds and retypes keys, swaps values
between keys, writes extreme numbers, NaN and inf, empty strings, lists and tables, unicode
and control characters -- and runs each mutant through
:func:`~bioplastic.experiments.validate_protocol` in-process. Every outcome must be a valid
experiment or a :class:`~bioplastic._checks.BadInput` (a ``ProtocolError`` names the file
and a key path); any other exception is a bug, shown with the mutant that raised it.
Whole-file junk (binary bytes, truncated text) is fuzzed the same way.

The profile is seeded (``derandomize``) and bounded to keep the suite's cost under a
minute; ``BIOPLASTIC_FUZZ_EXAMPLES=N`` runs a longer one.
"""

import math
import os
import pathlib
import tomllib

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bioplastic._checks import BadInput
from bioplastic.experiments import Limits, kind_of, load_protocol, validate_protocol
from bioplastic.protocol.errors import ProtocolError
from bioplastic.protocol.load import resolve

from toy_protocols import ROOT, TOY

PROTOCOLS = sorted((ROOT / "protocols").glob("*.toml"))
EXAMPLES = int(os.environ.get("BIOPLASTIC_FUZZ_EXAMPLES", "60"))
LIMITS = Limits(max_memory_gb=1.0, max_steps=10**8)      # a valid mutant is built, never run: keep builds small
PROFILE = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

EXTREME_NUMBERS = [0, -1, 1, 2**31, 2**63 - 1, 2**64, 10**30, -(10**30), 0.0, -0.0, 1e-320, 1e308, -1e308, 3.5e38,
                   math.nan, math.inf, -math.inf, 0.5, 1e-9]
JUNK_STRINGS = ["", " ", "\x00", "\x1b[31m", "é", "名前", "🧠", "../../etc/passwd", "a" * 300, "nan", "1e309", "true"]


TABLES = {path.name: resolve(path, TOY[path.stem]) for path in PROTOCOLS}     # at toy size, model files merged in


def _key_paths(node, prefix=()):
    """Every key path (tuple of keys and list indices) of a TOML table, tables and lists included."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield (*prefix, key)
        yield from _key_paths(value, (*prefix, key))


def _parent(table, path):
    for key in path[:-1]:
        table = table[key]
    return table


def _values():
    scalars = st.one_of(st.sampled_from(EXTREME_NUMBERS), st.sampled_from(JUNK_STRINGS), st.booleans(),
                        st.integers(), st.floats(), st.text(max_size=20))
    return st.one_of(scalars, st.just([]), st.just({}), st.lists(scalars, max_size=3),
                     st.dictionaries(st.text(min_size=1, max_size=8), scalars, max_size=2))


def _extreme_like(value):
    """A value of ``value``'s own type, at an edge: 0, negative, huge, tiny, non-finite, empty, junk text."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.sampled_from([0, -1, 1, 2, 7, 2**31, 2**53, 10**12, 2**64, -(10**12)])
    if isinstance(value, float):
        return st.sampled_from([0.0, -0.0, -1.0, 1e-9, 1e-320, 0.5, 0.999, 1.0 + 1e-12, 1e7, 1e12, 3.5e38, 1e308,
                                math.nan, math.inf, -math.inf])
    if isinstance(value, str):
        return st.sampled_from(JUNK_STRINGS)
    if isinstance(value, list):
        return st.one_of(st.just([]), st.just(value * 3), st.just(value[:1]), st.just(value[::-1]))
    return st.one_of(st.just({}), _values())


@st.composite
def mutants(draw):
    """``(protocol name, mutated table, what was done)``: one to three mutations of a shipped protocol."""
    name = draw(st.sampled_from(sorted(TABLES)))
    table = tomllib.loads(tomli_w.dumps(TABLES[name]))           # a deep copy
    done = []
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_key_paths(table))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(table, path)
        operation = draw(st.sampled_from(["delete", "add", "retype", "swap", "extreme"]))
        if operation == "delete":
            del parent[path[-1]]
        elif operation == "add":
            target = parent[path[-1]] if isinstance(parent[path[-1]], dict) else parent
            if isinstance(target, dict):
                target[draw(st.sampled_from(["extra", "size", "seed", "dt_ms", "é", ""]))] = draw(_values())
        elif operation == "swap":
            other = draw(st.sampled_from(paths))
            other_parent = _parent(table, other)
            try:
                parent[path[-1]], other_parent[other[-1]] = other_parent[other[-1]], parent[path[-1]]
            except (KeyError, IndexError):        # one path lay inside the other
                pass
        elif operation == "extreme":             # the same type, an extreme value: passes the types, tests the checks
            parent[path[-1]] = draw(_extreme_like(parent[path[-1]]))
        else:
            parent[path[-1]] = draw(_values())
        done.append(f"{operation} {'.'.join(map(str, path))}")
    return name, table, done


def _assert_valid_or_located(path: pathlib.Path, description: str):
    try:
        validate_protocol(path, limits=LIMITS)
    except ProtocolError as error:
        assert error.path and str(error).startswith(f"{path}: "), f"{description}: {error}"
    except BadInput as error:
        assert error.where, f"{description}: {error}"


@PROFILE
@given(mutants())
def test_a_mutated_protocol_is_valid_or_one_located_bad_input(tmp_path_factory, mutant):
    name, table, done = mutant
    path = tmp_path_factory.mktemp("mutant") / name
    try:
        path.write_text(tomli_w.dumps(table))
    except (TypeError, ValueError):           # a value TOML cannot write (e.g. a key tomli_w refuses)
        return
    _assert_valid_or_located(path, f"{name} after {'; '.join(done)}:\n{path.read_text()}")


@PROFILE
@given(name=st.sampled_from([path.name for path in PROTOCOLS]), cut=st.floats(0.0, 1.0),
       junk=st.binary(max_size=64))
def test_a_truncated_or_binary_protocol_file_is_one_located_bad_input(tmp_path_factory, name, cut, junk):
    text = (ROOT / "protocols" / name).read_bytes()
    path = tmp_path_factory.mktemp("junk") / name
    path.write_bytes(text[: int(cut * len(text))] + junk)
    _assert_valid_or_located(path, f"{name} cut at {cut:.2f} + {junk!r}")


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda path: path.stem)
def test_every_toy_protocol_is_valid_within_the_fuzz_limits(path):
    """The mutants start from valid protocols that build within LIMITS: a refusal is the mutation's doing."""
    protocol, table = load_protocol(path, TOY[path.stem])
    estimate = kind_of(table).estimate(protocol)
    assert estimate.total <= LIMITS.memory_bytes() and estimate.steps <= LIMITS.max_steps, estimate.describe()
    assert validate_protocol(path, TOY[path.stem], limits=LIMITS) is not None
