"""Sweep throughput: one sweep run point after point, with ``--jobs N`` processes, and with ``--batch-seeds``.

The sweep is ``protocols/quickstart.toml`` (250 LIF neurons, COBA-like) for ``--duration-ms``
over ``--seeds`` seeds. The three ways run side by side in this one call, each into its own
fresh folder, end to end as ``bioplastic sweep`` runs it (checks, run folders, summary and
figures included), and are timed in wall seconds; points per hour follow:

- sequential: every seed a run of its own in this process (each seed draws its own
  synapses, so each compiles its own program);
- jobs: ``--jobs N`` local processes, a point each at a time, ``cores // N`` XLA threads each;
- batched: ``--batch-seeds``, all seeds as one vectorised program in this process.

Usage::

    python benchmarks/sweep.py                 # table
    python benchmarks/sweep.py --json          # {"sequential_s", "jobs_s", "batched_s", "speedup_jobs", "speedup_batched", ...}
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import tempfile
import time

from bioplastic.sweeps import SweepPlan, parse_seeds, run_sweep

PROTOCOL = pathlib.Path(__file__).resolve().parents[1] / "protocols" / "quickstart.toml"


def time_sweep(plan: SweepPlan, jobs: int, batch_seeds: bool = False) -> float:
    """Wall seconds of the whole sweep with ``jobs`` (1: in this process), in a fresh folder."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        run_sweep(PROTOCOL, out, plan, jobs=jobs, progress=False, batch_seeds=batch_seeds)
        return time.perf_counter() - start


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0-7", help="the seeds swept (default 0-7: 8 points)")
    parser.add_argument("--duration-ms", type=float, default=1000.0, help="simulated time of each point (ms)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes of the parallel way")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    plan = SweepPlan(parse_seeds(args.seeds), {"simulation.duration_ms": (repr(args.duration_ms),)})
    points = len(plan.points())
    sequential = time_sweep(plan, 1)
    jobs = time_sweep(plan, args.jobs)
    batched = time_sweep(plan, 1, batch_seeds=True)
    result = {"points": points, "duration_ms": args.duration_ms, "jobs": args.jobs, "sequential_s": sequential,
              "jobs_s": jobs, "batched_s": batched, "speedup_jobs": sequential / jobs,
              "speedup_batched": sequential / batched, "sequential_points_per_hour": 3600 * points / sequential,
              "jobs_points_per_hour": 3600 * points / jobs, "batched_points_per_hour": 3600 * points / batched,
              "cores": os.cpu_count()}
    if args.json:
        print(json.dumps(result))
        return result
    print(f"quickstart, {points} seeds of {args.duration_ms:g} ms, {os.cpu_count()} cores:")
    print(f"  one after another, one process: {sequential:7.1f} s ({result['sequential_points_per_hour']:.0f} points/h)")
    print(f"  --jobs {args.jobs}:                     {jobs:7.1f} s ({result['jobs_points_per_hour']:.0f} points/h)")
    print(f"  --batch-seeds, one process:     {batched:7.1f} s ({result['batched_points_per_hour']:.0f} points/h)")
    print(f"  speedup: --jobs {result['speedup_jobs']:.2f}, --batch-seeds {result['speedup_batched']:.2f}")
    return result


if __name__ == "__main__":
    main()
