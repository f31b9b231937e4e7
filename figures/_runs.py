"""Cached protocol runs and sweeps for the figure scripts: run once, re-plot instantly.

A figure's run of a protocol (with optional ``--set`` overrides) is keyed by the
protocol file's bytes and the overrides; its run folder (under ``figures/cache/runs/``)
is remembered in ``figures/cache/<figure>-<protocol>-<key>.json`` once it has finished.
A figure's sweep (seeds x grid, :func:`bioplastic.sweeps.run_sweep`) is keyed the same way
by the protocol and the plan; its sweep folder lives in ``figures/cache/sweeps/<figure>-<protocol>-<key>/``
and a sweep that stopped is resumed from its finished points.

Example
-------
>>> import pathlib
>>> cache_file("fig_x", pathlib.Path(__file__), []).name.startswith("fig_x-_runs-")
True
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import sys

from bioplastic.analysis.intervals import mean_interval
from bioplastic.plotting import save_figure
from bioplastic.plotting.style import bioplastic_style
from bioplastic.runs import write_json
from bioplastic.runs.checkpoint import FILE as CHECKPOINT
from bioplastic.experiments import run_protocol
from bioplastic.sweeps import SweepPlan, run_sweep

HERE = pathlib.Path(__file__).resolve().parent


def cache_file(figure: str, path: pathlib.Path, overrides) -> pathlib.Path:
    """Where the run folder of ``figure``'s run of ``path`` with ``overrides`` is remembered."""
    content = path.read_bytes() + (json.dumps(list(overrides)).encode() if overrides else b"")
    return HERE / "cache" / f"{figure}-{path.stem}-{hashlib.sha256(content).hexdigest()[:12]}.json"


def cached_run(figure: str, path: pathlib.Path, fresh: bool, overrides=()) -> pathlib.Path:
    """The finished run folder of ``path`` (with ``overrides``), run now unless one is cached (or ``fresh``).

    The runs of one key go to ``figures/cache/runs/<cache file's stem>/``; one that stopped
    (Ctrl-C, a killed process) is resumed from its checkpoint unless ``fresh``.
    """
    cache = cache_file(figure, path, overrides)
    if cache.exists() and not fresh:
        run_dir = pathlib.Path(json.loads(cache.read_text())["run_dir"])
        if (run_dir / "metrics.json").exists():
            return run_dir
    home = HERE / "cache" / "runs" / cache.stem
    stopped = [] if fresh else sorted(run.parent for run in home.glob(f"*/{CHECKPOINT}"))
    if stopped:
        print(f"resuming {stopped[-1]} ...", file=sys.stderr, flush=True)
        run_dir = run_protocol(path, overrides=list(overrides), resume=stopped[-1], progress=True)
    else:
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        run_dir = run_protocol(path, home, overrides=list(overrides), progress=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    write_json(cache, {"run_dir": str(run_dir)})
    return run_dir


def cached_sweep(figure: str, path: pathlib.Path, plan: SweepPlan, fresh: bool, jobs: int = 1) -> pathlib.Path:
    """The completed sweep folder of ``plan`` over ``path``: run now, resumed if it stopped, reused if it finished.

    ``jobs`` points run at once, each in its own process (``bioplastic sweep --jobs``).
    """
    content = path.read_bytes() + json.dumps(plan.to_json(), sort_keys=True).encode()
    home = HERE / "cache" / "sweeps" / f"{figure}-{path.stem}-{hashlib.sha256(content).hexdigest()[:12]}"
    earlier = [] if fresh else sorted(home.glob("*/sweep.json"))
    if earlier and json.loads(earlier[-1].read_text())["status"] == "completed":
        return earlier[-1].parent
    print(f"sweeping {path.name} over {len(plan.points())} points ...", file=sys.stderr, flush=True)
    if earlier:
        return run_sweep(path, home, resume=earlier[-1].parent, jobs=jobs)
    return run_sweep(path, home, plan, jobs=jobs)


def curve_band(runs: list, curve: str, scale: float = 100.0):
    """``(epochs, mean, low, high)`` of ``run["curves"][curve]`` over the seeds' runs (their common length).

    The interval is :func:`bioplastic.analysis.intervals.mean_interval`'s (t-based, 95%) per epoch.
    """
    length = min(len(run["curves"][curve]) for run in runs)
    columns = [mean_interval([run["curves"][curve][k] * scale for run in runs]) for k in range(length)]
    return (list(range(1, length + 1)), [c["mean"] for c in columns], [c["ci_low"] for c in columns],
            [c["ci_high"] for c in columns])


def swept_figure(name: str, description: str, compute, draw, argv=None):
    """A sweep figure's command line: ``--fresh``, ``--jobs``, then ``compute(fresh, jobs)``, ``draw(data)`` to ``out/NAME.png``.

    Returns the written path and the computed data (for the script to print its headline numbers).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--fresh", action="store_true", help="rerun the sweeps instead of using the cache")
    parser.add_argument("--jobs", type=int, default=1, help="sweep points run at once, a process each (default 1)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs: got {args.jobs}; allowed: a whole number >= 1")
    data = compute(args.fresh, args.jobs)
    with bioplastic_style():
        path = save_figure(draw(data), HERE / "out" / f"{name}.png")
    print(f"wrote {path}")
    return path, data


def protocol_figure(name: str, description: str, protocol: pathlib.Path, load, draw, summary, toy=(), argv=None):
    """A one-run figure's command line: ``--fresh``, ``--toy``, then ``load(run folder)``, ``draw(data)`` to ``out/NAME.png``.

    ``toy`` are the ``--set`` overrides of ``--toy`` (a few seconds' run that only checks the
    figure draws, written to ``out/NAME_toy.png``); ``summary(data)`` gives the lines printed
    after the figure. Returns the written path.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--fresh", action="store_true", help="rerun instead of using the cache")
    parser.add_argument("--toy", action="store_true", help="a few seconds' run: checks that the figure draws")
    args = parser.parse_args(argv)
    run_dir = cached_run(name, protocol, args.fresh, toy if args.toy else ())
    data = load(run_dir)
    with bioplastic_style():
        path = save_figure(draw(data), HERE / "out" / (f"{name}_toy.png" if args.toy else f"{name}.png"))
    print(f"wrote {path}")
    print(f"run folder: {run_dir}")
    for line in summary(data):
        print("  " + line)
    return path
