"""Sweep throughput: the same sweep run point after point in one process, and with ``--jobs N`` local processes.

The sweep is ``protocols/quickstart.toml`` (250 LIF neurons, COBA-like) for ``--duration-ms``
over ``--seeds`` seeds, at its toy network size. Each way runs into its own fresh folder,
end to end as ``bioplastic sweep`` runs it (checks, run folders, summary and figures
included), and is timed in wall seconds; points per hour follow.

Usage::

    python benchmarks/sweep.py                 # table
    python benchmarks/sweep.py --json          # {"sequential_s", "jobs_s", "speedup_jobs", ...}
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


def time_sweep(plan: SweepPlan, jobs: int) -> float:
    """Wall seconds of the whole sweep with ``jobs`` (1: in this process), in a fresh folder."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        run_sweep(PROTOCOL, out, plan, jobs=jobs, progress=False)
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
    result = {"points": points, "duration_ms": args.duration_ms, "jobs": args.jobs, "sequential_s": sequential,
              "jobs_s": jobs, "speedup_jobs": sequential / jobs, "sequential_points_per_hour": 3600 * points / sequential,
              "jobs_points_per_hour": 3600 * points / jobs, "cores": os.cpu_count()}
    if args.json:
        print(json.dumps(result))
        return result
    print(f"quickstart, {points} seeds of {args.duration_ms:g} ms, {os.cpu_count()} cores:")
    print(f"  one after another, one process: {sequential:7.1f} s ({result['sequential_points_per_hour']:.0f} points/h)")
    print(f"  --jobs {args.jobs}:                     {jobs:7.1f} s ({result['jobs_points_per_hour']:.0f} points/h)")
    print(f"  speedup: {result['speedup_jobs']:.2f}")
    return result


if __name__ == "__main__":
    main()
