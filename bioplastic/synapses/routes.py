"""Which event-driven route a spiking projection takes, chosen from measured costs.

Two routes compute the same ``spikes @ W`` (:mod:`bioplastic.synapses.propagation`):
``"events"`` (pure JAX: a ``top_k`` search into a spike buffer, then one row per spike)
costs little per call and wins on small populations; ``"brainevent"`` (BrainPy's compiled
CSR kernel) has a higher fixed cost per call and wins on large ones. Where they cross
depends on the machine, so it is not written as a rule here: ``benchmarks/routes.py
--write`` measures both on a grid of population sizes and firing rates and stores
``route_table.json`` beside this file. :func:`choose_route` interpolates each route's
cost in that table (piecewise linear in log size, log rate and log cost; constant past
the ends) and takes the cheaper one.

The pure-JAX route is taken when the table was measured on another platform than the
one running (e.g. a CPU table on a GPU), or when ``brainevent`` is not installed.

Example
-------
>>> table = {"platform": "cpu", "rows": [
...     {"n_pre": 1000, "rate_hz": 20.0, "events_us": 2.0, "brainevent_us": 10.0},
...     {"n_pre": 100000, "rate_hz": 20.0, "events_us": 400.0, "brainevent_us": 100.0}]}
>>> choose_route(1000, table=table, platform="cpu"), choose_route(100000, table=table, platform="cpu")
('events', 'brainevent')
>>> choose_route(100000, table=table, platform="gpu")          # measured elsewhere: the pure-JAX route
'events'
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
from pathlib import Path
from typing import Optional

import jax
import numpy as np

TABLE_PATH = Path(__file__).with_name("route_table.json")
ROUTES = ("events", "brainevent")
DESIGN_RATE_HZ = 20.0
"""Firing rate (Hz) a route is chosen for when nothing else is known: a healthy cortical
rate, a tenth of the 200 Hz that spike buffers are sized for."""


@functools.cache
def shipped_table() -> Optional[dict]:
    """The table stored by ``benchmarks/routes.py --write``, or ``None`` when there is none.

    Example
    -------
    >>> table = shipped_table()
    >>> table is None or {"platform", "rows"} <= set(table)
    True
    """
    if not TABLE_PATH.exists():
        return None
    return json.loads(TABLE_PATH.read_text())


def estimated_cost_us(table: dict, route: str, n_pre: int, rate_hz: float) -> float:
    """Microseconds per step of ``route`` at ``n_pre`` neurons firing at ``rate_hz``, interpolated in ``table``.

    Example
    -------
    Halfway (in log size) between 1 and 100 us, the estimate is their geometric mean:

    >>> table = {"rows": [{"n_pre": 100, "rate_hz": 20.0, "events_us": 1.0},
    ...                   {"n_pre": 10000, "rate_hz": 20.0, "events_us": 100.0}]}
    >>> round(estimated_cost_us(table, "events", 1000, 20.0), 6)
    10.0
    """
    rates = sorted({row["rate_hz"] for row in table["rows"]})
    log_cost_at_rate = []
    for rate in rates:
        column = sorted((row for row in table["rows"] if row["rate_hz"] == rate), key=lambda row: row["n_pre"])
        log_cost_at_rate.append(np.interp(math.log(n_pre), [math.log(row["n_pre"]) for row in column],
                                          [math.log(row[f"{route}_us"]) for row in column]))
    return float(np.exp(np.interp(math.log(max(rate_hz, 1e-6)), np.log(rates), log_cost_at_rate)))


def choose_route(n_pre: int, rate_hz: float = DESIGN_RATE_HZ, table: Optional[dict] = None,
                 platform: Optional[str] = None) -> str:
    """The cheaper event-driven route, ``"events"`` or ``"brainevent"``, for ``n_pre`` neurons firing at ``rate_hz``.

    Parameters
    ----------
    n_pre : int
        Size of the presynaptic population.
    rate_hz : float
        Expected firing rate (Hz) of that population.
    table : dict or None
        Measured costs (``rows`` of ``n_pre``, ``rate_hz``, ``events_us``, ``brainevent_us``, and the
        ``platform`` they were measured on); ``None`` reads the shipped table.
    platform : str or None
        JAX backend that will run (``"cpu"``, ``"gpu"``); ``None`` is the default backend.

    Example
    -------
    >>> choose_route(10, table={"platform": "cpu", "rows": []}, platform="cpu")     # nothing measured
    'events'
    """
    table = shipped_table() if table is None else table
    platform = jax.default_backend() if platform is None else platform
    if (not table or table.get("platform") != platform or not table.get("rows")
            or importlib.util.find_spec("brainevent") is None):
        return "events"
    costs = {route: estimated_cost_us(table, route, n_pre, rate_hz) for route in ROUTES}
    return min(ROUTES, key=costs.__getitem__)
