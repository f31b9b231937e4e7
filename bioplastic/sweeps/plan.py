"""What a sweep runs: seeds times a Cartesian grid of protocol settings, one point each.

A point is the protocol with ``seed`` and every grid key set (``--set key=value``);
points are ordered grid first (the first key slowest), then seed. Seeds and grid come from
the command line (``--seeds 1-10``, ``--grid key.path=v1,v2``, repeatable) or from a
``[sweep]`` table in the protocol file, with the same meaning::

    [sweep]
    seeds = "0-2"                                 # or a list: [0, 1, 2]
    grid = { "training.learning_rate" = [0.1, 0.01] }

Example
-------
>>> plan = SweepPlan(seeds=parse_seeds("1-2"), grid=parse_grid(["simulation.duration_ms=10,20"]))
>>> [point.overrides for point in plan.points()]
[['seed=1', 'simulation.duration_ms=10'], ['seed=2', 'simulation.duration_ms=10'], ['seed=1', 'simulation.duration_ms=20'], ['seed=2', 'simulation.duration_ms=20']]
"""

from __future__ import annotations

import dataclasses
import itertools
import re

from bioplastic._checks import BadInput

MAX_POINTS = 100_000
SEEDS_FORMAT = "whole numbers >= 0: a range '1-10', a list '1,2,5', or one '3'"


def parse_seeds(text, where: str = "--seeds") -> tuple[int, ...]:
    """The seeds of ``"1-10"``, ``"1,2,5"``, ``"3"`` or a list of whole numbers, in order, each once.

    Example
    -------
    >>> parse_seeds("0-3"), parse_seeds("5,1,5"), parse_seeds([2, 3])
    ((0, 1, 2, 3), (5, 1), (2, 3))
    >>> parse_seeds("3-1")
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: --seeds: got '3-1'; allowed: whole numbers >= 0: a range '1-10', a list '1,2,5', or one '3'
    """
    if isinstance(text, (list, tuple)):
        if not text or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in text):
            raise BadInput(where, repr(text), SEEDS_FORMAT)
        return tuple(dict.fromkeys(text))
    text = str(text).strip()
    seeds = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if match is None or (match[2] is not None and int(match[2]) < int(match[1])):
            raise BadInput(where, repr(text), SEEDS_FORMAT)
        first, last = int(match[1]), int(match[2] if match[2] is not None else match[1])
        seeds.extend(range(first, last + 1))
        if len(seeds) > MAX_POINTS:
            raise BadInput(where, repr(text), f"at most {MAX_POINTS:,} seeds")
    return tuple(dict.fromkeys(seeds))


def _split_values(text: str) -> list[str]:
    """``text`` split at commas outside brackets, braces and quotes (TOML values may hold commas)."""
    values, depth, quote, current = [], 0, None, ""
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            values.append(current.strip())
            current = ""
            continue
        current += char
    values.append(current.strip())
    return values


def parse_grid(assignments, where: str = "--grid") -> dict[str, tuple[str, ...]]:
    """``["key.path=v1,v2", ...]`` as ``{key.path: (v1, v2)}`` (values are TOML, as for ``--set``).

    Example
    -------
    >>> parse_grid(["training.learning_rate=0.1,0.01", 'model.populations.exc.neuron="lif","izhikevich"'])
    {'training.learning_rate': ('0.1', '0.01'), 'model.populations.exc.neuron': ('"lif"', '"izhikevich"')}
    >>> parse_grid(["seed=1,2"])
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: --grid: got 'seed=1,2'; allowed: key.path=v1,v2,... for a key other than seed (seeds: --seeds)
    """
    grid = {}
    for assignment in assignments:
        key, equals, values = str(assignment).partition("=")
        key = key.strip()
        values = _split_values(values) if equals else []
        if not re.fullmatch(r"[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*", key) or key == "seed" or not all(values):
            raise BadInput(where, repr(assignment), "key.path=v1,v2,... for a key other than seed (seeds: --seeds)")
        if key in grid:
            raise BadInput(where, repr(assignment), f"each key once ({key} is already swept)")
        grid[key] = tuple(values)
    return grid


def grid_from_table(table: dict, where: str) -> dict[str, tuple[str, ...]]:
    """A ``[sweep] grid`` table (key path -> list of values) as :func:`parse_grid` gives it.

    Example
    -------
    >>> grid_from_table({"training.learning_rate": [0.1, 0.01], "x.name": ["a"]}, "sweep.grid")
    {'training.learning_rate': ('0.1', '0.01'), 'x.name': ('"a"',)}
    """
    import tomli_w

    if not isinstance(table, dict):
        raise BadInput(where, repr(table), "a table of key path = [values]")
    assignments = []
    for key, values in table.items():
        if not isinstance(values, list) or not values:
            raise BadInput(f"{where}.{key}", repr(values), "a non-empty list of values")
        texts = [tomli_w.dumps({"v": value}).strip().removeprefix("v = ") for value in values]
        assignments.append(f"{key}=" + ",".join(texts))
    return parse_grid(assignments, where)


@dataclasses.dataclass(frozen=True)
class Point:
    """One run of a sweep: its index, seed and grid settings (key path -> TOML value text).

    Example
    -------
    >>> Point(3, 1, {"training.epochs": "2"}).overrides, Point(3, 1, {"training.epochs": "2"}).label
    (['seed=1', 'training.epochs=2'], 'training.epochs=2, seed=1')
    """

    index: int
    seed: int
    settings: dict

    @property
    def overrides(self) -> list[str]:
        """The ``--set`` assignments that make this point of the protocol."""
        return [f"seed={self.seed}"] + [f"{key}={value}" for key, value in self.settings.items()]

    @property
    def label(self) -> str:
        """The point in messages: its settings, then its seed."""
        return ", ".join([f"{key}={value}" for key, value in self.settings.items()] + [f"seed={self.seed}"])


@dataclasses.dataclass(frozen=True)
class SweepPlan:
    """Seeds and grid of a sweep; :meth:`points` is their product.

    Example
    -------
    >>> SweepPlan(seeds=(0,), grid={}).points()
    [Point(index=0, seed=0, settings={})]
    """

    seeds: tuple
    grid: dict

    def points(self) -> list[Point]:
        keys = list(self.grid)
        combos = list(itertools.product(*(self.grid[key] for key in keys)))
        if len(combos) * len(self.seeds) > MAX_POINTS:
            raise BadInput("--grid", f"{len(combos) * len(self.seeds):,} points", f"at most {MAX_POINTS:,} points")
        return [Point(index, seed, dict(zip(keys, combo)))
                for index, (combo, seed) in enumerate(itertools.product(combos, self.seeds))]

    def to_json(self) -> dict:
        """The plan as ``sweep.json`` keeps it."""
        return {"seeds": list(self.seeds), "grid": {key: list(values) for key, values in self.grid.items()}}

    @classmethod
    def from_json(cls, data: dict) -> "SweepPlan":
        """The plan :meth:`to_json` wrote.

        Example
        -------
        >>> plan = SweepPlan((1, 2), {"a.b": ("1", "2")})
        >>> SweepPlan.from_json(plan.to_json()) == plan
        True
        """
        return cls(tuple(data["seeds"]), {key: tuple(values) for key, values in data["grid"].items()})


def plan_for(sweep_table, seeds=None, grid=()) -> SweepPlan:
    """The plan of a protocol's ``[sweep]`` table (or None), with the command line's seeds and grid over it.

    ``seeds`` (``--seeds``) replaces the table's seeds; each ``--grid`` key replaces the
    table's values for that key and adds the others. Without any seeds: the protocol's own
    seed alone (``None`` here, the seed the caller fills in).

    Example
    -------
    >>> plan_for({"seeds": "0-1", "grid": {"training.epochs": [1, 2]}}, grid=["training.epochs=3"])
    SweepPlan(seeds=(0, 1), grid={'training.epochs': ('3',)})
    >>> plan_for({"sedes": "1"})
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: sweep.sedes: got an unknown key; allowed: seeds, grid
    """
    table = dict(sweep_table or {})
    for key in table:
        if key not in ("seeds", "grid"):
            raise BadInput(f"sweep.{key}", "an unknown key", "seeds, grid")
    planned_seeds = parse_seeds(table["seeds"], "sweep.seeds") if "seeds" in table else None
    planned_grid = grid_from_table(table["grid"], "sweep.grid") if "grid" in table else {}
    if seeds is not None:
        planned_seeds = parse_seeds(seeds)
    planned_grid.update(parse_grid(grid))
    return SweepPlan(planned_seeds, planned_grid)
