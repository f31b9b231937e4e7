"""Running a sweep: every point an ordinary run folder inside one sweep folder.

``SWEEP_DIR`` (``OUT/NAME-sweep-YYYYmmdd-HHMMSS``) holds:

- ``protocol.toml``: the protocol as the points run it (model file merged in, no ``[sweep]``);
- ``sweep.json``: the plan, and each point's settings, seed, status and run folder;
- ``points/NNNNN/NAME-.../``: each point's run folder, as ``bioplastic run`` makes it;
- ``batches/NNNNN/NAME-seeds-.../`` (``--batch-seeds``): the run folder of each batch of
  seeds (one grid point's), with its checkpoint while it runs;
- ``summary.csv`` and ``summary.json``: the aggregate (:mod:`bioplastic.sweeps.summary`),
  ``summary_METRIC.png``: each metric against each swept key, and ``curves_CURVE.png``:
  each curve of the runs' ``curves.npz`` with its band per grid point (:mod:`bioplastic.sweeps.plots`).

Every point is checked before anything runs: the schema of all of them, and the whole
build of one seed of each grid point. ``jobs = 1`` runs the points one after another in
this process (they share its compilations); more run as that many local processes, each
with an XLA thread pool of ``cores // jobs`` threads, so the machine is not
oversubscribed. With ``batch_seeds`` the seeds of each grid point of a simulation protocol
run together as one vectorised program (:func:`bioplastic.experiments.run_seeds_batched`),
a batch per job. A point that fails is recorded and the others go on; ``--resume`` runs
again the points not completed, from their checkpoints where they have one.

Example
-------
>>> import json, tempfile
>>> from bioplastic.cli import PROTOCOLS_DIR
>>> from bioplastic.sweeps.plan import SweepPlan
>>> sweep_dir = run_sweep(PROTOCOLS_DIR / "lif_single.toml", tempfile.mkdtemp(),
...                       SweepPlan((0, 1), {"simulation.duration_ms": ("5", "10")}), jobs=1, progress=False)
>>> [point["status"] for point in json.loads((sweep_dir / "sweep.json").read_text())["points"]]
['completed', 'completed', 'completed', 'completed']
>>> (sweep_dir / "summary.csv").read_text().splitlines()[1]
'5,simulated_ms,2,5.0,0.0,5.0,5.0'
"""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import pathlib
import shlex
import shutil
from contextlib import contextmanager
from typing import Optional

from tqdm import tqdm

from bioplastic._checks import BadInput
from bioplastic.experiments import check_batchable, load_protocol, validate_protocol
from bioplastic.protocol.errors import ProtocolError
from bioplastic.protocol.load import resolve
from bioplastic.runs import RunError, RunInterrupted
from bioplastic.runs.folder import new_run_folder, now, read_npz, to_toml, write_json
from bioplastic.sweeps.plan import SweepPlan, plan_for
from bioplastic.sweeps.point import batch_dir, point_dir, run_batch, run_point, xla_flags
from bioplastic.sweeps.plots import draw_curves, draw_summary
from bioplastic.sweeps.ray_backend import execute_on_ray, require_ray
from bioplastic.sweeps.summary import INTERVAL, summarize, summarize_curves, to_csv

FORMAT = "bioplastic-sweep/1"
BACKENDS = ("local", "ray")
PROTOCOL = "protocol.toml"
STATE = "sweep.json"


def sweep_plan(path, seeds=None, grid=()) -> tuple[dict, SweepPlan]:
    """The protocol table of ``path`` without its ``[sweep]`` table, and the plan (its seed when none is given).

    Example
    -------
    >>> from bioplastic.cli import PROTOCOLS_DIR
    >>> table, plan = sweep_plan(PROTOCOLS_DIR / "lif_single.toml", grid=["simulation.dt_ms=0.1,0.05"])
    >>> plan
    SweepPlan(seeds=(0,), grid={'simulation.dt_ms': ('0.1', '0.05')})
    """
    table = resolve(path)
    sweep_table = table.pop("sweep", None)
    try:
        plan = plan_for(sweep_table, seeds, grid)
    except BadInput as error:
        if not error.where.startswith("sweep"):           # --seeds, --grid: the command line's
            raise
        raise ProtocolError(str(path), error.where, error.got, error.allowed) from None
    if plan.seeds is None:
        plan = SweepPlan((int(table.get("seed", 0)),), plan.grid)
    return table, plan


def check_points(protocol_file, plan: SweepPlan, data_dir=None, shown_as=None) -> None:
    """Every point's schema, and the whole build of the first seed of each grid point, before anything runs.

    A bad value names the file (``shown_as``, default ``protocol_file``), its key and the
    point: ``"p.toml: training.epochs (point training.epochs=0, seed=1): got 0; ..."``.
    """
    built = set()
    for point in plan.points():
        key = tuple(point.settings.items())
        try:
            if key in built:
                load_protocol(protocol_file, point.overrides)
            else:
                validate_protocol(protocol_file, point.overrides, data_dir)
                built.add(key)
        except ProtocolError as error:
            raise ProtocolError(shown_as or error.file, f"{error.path} (point {point.label})", error.got,
                                error.allowed) from None


def run_sweep(path, out_dir, plan: Optional[SweepPlan] = None, jobs: int = 1, resume=None, progress: bool = True,
              data_dir=None, command=None, backend: str = "local", address: Optional[str] = None,
              batch_seeds: bool = False) -> pathlib.Path:
    """Run every point of ``plan`` over the protocol at ``path`` (or finish the sweep ``resume``); return the sweep folder.

    Parameters
    ----------
    path : path
        The protocol file (ignored with ``resume``).
    out_dir : path
        Where the sweep folder is made.
    plan : SweepPlan, optional
        Seeds and grid (default: the protocol's ``[sweep]`` table, else its own seed).
    jobs : int
        Points run at once: 1 in this process, more in as many local processes; with Ray,
        the CPUs of a local Ray instance (a cluster's are its own).
    resume : path, optional
        A stopped sweep's folder: its points not completed run again (from their checkpoints).
    progress : bool
        A progress bar over the points on standard error.
    data_dir : path, optional
        Dataset cache.
    command : list of str, optional
        The command line, for ``sweep.json`` and the resume message.
    backend : {"local", "ray"}
        Local processes, or tasks on Ray (:mod:`bioplastic.sweeps.ray_backend`).
    address : str, optional
        With Ray: the cluster to join (``ray.init(address=...)``); a local instance without.
    batch_seeds : bool
        Run the seeds of each grid point together, as one vectorised program (simulation
        protocols, local backend); a resumed sweep keeps the mode it started with.

    Raises
    ------
    BadInput
        A bad plan or point (nothing has run), a folder that is not a sweep's.
    RunError
        Some points failed (the others are kept, and the summary holds them); the message
        names them and the ``--resume`` command.
    RunInterrupted
        Ctrl-C; finished points are kept; the message names the ``--resume`` command.
    """
    if jobs < 1:
        raise BadInput("--jobs", jobs, "a whole number >= 1")
    if backend not in BACKENDS:
        raise BadInput("--backend", repr(backend), " or ".join(BACKENDS))
    if backend == "ray":
        if batch_seeds:
            raise BadInput("--batch-seeds", "with --backend ray", "--backend local (each Ray task runs one point)")
        require_ray()
    if resume is None:
        table, file_plan = sweep_plan(path)
        plan = plan or file_plan
        sweep_dir = new_run_folder(out_dir, f"{table.get('name', 'sweep')}-sweep")
        protocol_file = sweep_dir / PROTOCOL
        protocol_file.write_text(to_toml(table))
        try:
            if batch_seeds:
                check_batchable(protocol_file)
            check_points(protocol_file, plan, data_dir, shown_as=str(path))
        except BadInput:
            shutil.rmtree(sweep_dir)
            raise
        state = {"format": FORMAT, "protocol": str(path), "command": command, "plan": plan.to_json(),
                 "batch_seeds": batch_seeds, "started": now(), "finished": None, "status": "running",
                 "points": [{"index": p.index, "seed": p.seed, "settings": p.settings, "status": "pending",
                             "run_dir": None} for p in plan.points()]}
    else:
        sweep_dir = pathlib.Path(resume)
        state = _read_state(sweep_dir)
        plan = SweepPlan.from_json(state["plan"])
        protocol_file = sweep_dir / PROTOCOL
        batch_seeds = batch_seeds or state.get("batch_seeds", False)
        state["status"], state["finished"] = "running", None
    write_json(sweep_dir / STATE, state)
    again = shlex.join(["bioplastic", "sweep", "--resume", str(sweep_dir), "--jobs", str(jobs)]
                       + (["--backend", "ray"] + (["--address", address] if address else []) if backend == "ray" else [])
                       + (["--batch-seeds"] if batch_seeds else []))
    todo = [p for p in plan.points() if state["points"][p.index]["status"] != "completed"]
    bar = tqdm(total=len(state["points"]), initial=len(state["points"]) - len(todo), desc=f"sweep {sweep_dir.name}",
               unit="point", disable=not progress, leave=False)
    try:
        if backend == "ray":
            results = execute_on_ray(protocol_file, sweep_dir, todo, jobs, data_dir, address)
        else:
            results = _execute(protocol_file, sweep_dir, todo, jobs, data_dir, batch_seeds)
        for index, result in results:
            state["points"][index].update(result)
            write_json(sweep_dir / STATE, state)
            bar.update(1)
    except (KeyboardInterrupt, RunInterrupted):
        bar.close()
        for point in state["points"]:
            if point["status"] in ("pending", "running"):
                point["status"] = "interrupted"
        _finish(sweep_dir, state, "interrupted")
        done = sum(point["status"] == "completed" for point in state["points"])
        raise RunInterrupted(f"sweep {sweep_dir.name} stopped with {done} of {len(state['points'])} points completed "
                             f"(kept in {sweep_dir}); resume with: {again}") from None
    bar.close()
    failed = [point for point in state["points"] if point["status"] != "completed"]
    _finish(sweep_dir, state, "completed" if not failed else f"{len(failed)} points failed")
    if failed:
        first = failed[0]
        raise RunError(f"{len(failed)} of {len(state['points'])} points of sweep {sweep_dir.name} did not complete, "
                       f"first point {first['index']}: {first['status']}; the others are kept in {sweep_dir} and "
                       f"summarized; run them again with: {again}")
    return sweep_dir


def _read_state(sweep_dir: pathlib.Path) -> dict:
    try:
        state = json.loads((sweep_dir / STATE).read_text())
        if state.get("format") != FORMAT or not (sweep_dir / PROTOCOL).is_file():
            raise ValueError
        return state
    except (OSError, ValueError):
        raise BadInput(f"--resume {sweep_dir}", f"a folder without a readable {STATE} and {PROTOCOL}",
                       "the folder of a sweep, as bioplastic sweep made it") from None


def _finish(sweep_dir: pathlib.Path, state: dict, status: str) -> None:
    """The summary of the completed points, then the sweep's final status."""
    completed = [point for point in state["points"] if point["status"] == "completed"]
    rows = summarize([(point["settings"], json.loads((pathlib.Path(point["run_dir"]) / "metrics.json").read_text()))
                      for point in completed])
    curves = summarize_curves([(point["settings"], read_npz(pathlib.Path(point["run_dir"]) / "curves.npz"))
                               for point in completed if (pathlib.Path(point["run_dir"]) / "curves.npz").is_file()])
    keys = list(state["plan"]["grid"])
    (sweep_dir / "summary.csv").write_text(to_csv(rows, keys))
    write_json(sweep_dir / "summary.json", {"interval": INTERVAL, "swept": keys, "rows": rows, "curves": curves})
    if rows:
        draw_summary(sweep_dir, rows, keys)
    if curves:
        draw_curves(sweep_dir, curves, keys)
    state["status"], state["finished"] = status, now()
    write_json(sweep_dir / STATE, state)


def _execute(protocol_file, sweep_dir, points, jobs: int, data_dir, batch_seeds: bool = False):
    """``(index, {"status", "run_dir"})`` of each point as it ends: here one by one, or in ``jobs`` processes.

    With ``batch_seeds`` a job is a batch: the seeds of one grid point together.
    """
    if batch_seeds:
        groups: dict = {}
        for point in points:
            groups.setdefault(tuple(point.settings.items()), []).append(point)
        jobs_to_run = [(run_batch, (str(protocol_file), str(batch_dir(sweep_dir, group[0].index)),
                                    [str(point_dir(sweep_dir, p.index)) for p in group],
                                    [f"{key}={value}" for key, value in group[0].settings.items()],
                                    [p.seed for p in group], data_dir), [p.index for p in group])
                       for group in groups.values()]
    else:
        jobs_to_run = [(run_point, (str(protocol_file), str(point_dir(sweep_dir, p.index)), p.overrides, data_dir),
                        p.index) for p in points]
    if jobs == 1:
        for function, args, indices in jobs_to_run:
            yield from _results(indices, function(*args))
        return
    with _threads_per_process(jobs), concurrent.futures.ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(function, *args): indices for function, args, indices in jobs_to_run}
        try:
            for future in concurrent.futures.as_completed(futures):
                yield from _results(futures[future], future.result())
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _results(indices, result):
    """``(index, result)`` pairs of one job: a point's (``indices`` an int), or a batch's (a list of both)."""
    if isinstance(indices, int):
        return [(indices, result)]
    return list(zip(indices, result))


@contextmanager
def _threads_per_process(jobs: int):
    """Worker processes started inside this block get ``cores // jobs`` XLA threads each."""
    threads = max(1, (os.cpu_count() or 1) // jobs)
    saved = os.environ.get("XLA_FLAGS")
    os.environ["XLA_FLAGS"] = " ".join(filter(None, [saved, xla_flags(threads)]))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("XLA_FLAGS", None)
        else:
            os.environ["XLA_FLAGS"] = saved
