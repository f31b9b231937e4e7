"""HLOP figure: accuracy as tasks are added, ACC / BWT, and the subspace the lateral neurons learn.

Every method is a run of the same shipped protocol (``bioplastic.run_protocol``, as
``bioplastic run``), differing only in ``continual.method``: HLOP, fine-tuning, EWC and
multitask (joint training, the upper bound), with the same tasks, spiking network, trainer,
batches and seed:

A. mean test accuracy over the tasks learned so far, after each task (thin: task 1 alone);
B, C. ACC (mean final accuracy over all tasks) and BWT (backward transfer; < 0 is
   forgetting) per method (multitask has no sequence, hence no BWT);
D. principal angles between the subspace HLOP's lateral neurons learned during task 1
   (their first rows, frozen since) and the top principal subspace (same dimension) of
   that layer's presynaptic traces on task 1's training images, per layer (traces of the
   hidden layers computed with the final weights). 0 degrees: the same direction.

Each finished run is cached in ``figures/cache/`` (keyed by protocol, method and
settings; run folders under ``figures/cache/runs/``), so an interrupted script resumes
at the next method and re-plotting is instant; ``--fresh`` recomputes. Writes
``figures/out/fig_hlop.png`` (``fig_hlop_small.png`` with ``--small``) and prints ACC,
BWT and time per method.

Usage::

    python figures/fig_hlop.py            # protocols/hlop_pmnist.toml: 10 tasks, 784-800-800-10 (~1.5 h on 2 cores)
    python figures/fig_hlop.py --small    # protocols/hlop_pmnist_small.toml: 5 tasks, 784-200-200-10 (minutes)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import sys
import time

import numpy as np
from matplotlib.figure import Figure

from bioplastic.analysis import principal_angles, principal_directions
from bioplastic.networks.spiking_mlp import spiking_forward
from bioplastic.plotting import save_figure
from bioplastic.plotting.style import bioplastic_style
from bioplastic.experiments.continual.build import build_continual, spiking_config
from bioplastic.experiments import load_protocol
from bioplastic.runs import read_npz, write_json
from bioplastic.experiments import run_protocol

HERE = pathlib.Path(__file__).resolve().parent
PROTOCOLS = HERE.parent / "protocols"
METHODS = {"hlop": "HLOP", "finetune": "fine-tuning", "ewc": "EWC", "multitask": "multitask"}
COLORS = {"hlop": "C0", "finetune": "C3", "ewc": "C1", "multitask": "C2"}
TRACE_IMAGES = 2000


def run_method(path: pathlib.Path, method: str, overrides: list) -> dict:
    """Run the protocol with ``method``; return its accuracy matrix, metrics, time and (HLOP) angles."""
    overrides = overrides + [f'continual.method="{method}"']
    start = time.perf_counter()

    def progress(tasks_done):
        print(f"  {method}: {tasks_done} done, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)

    run_dir = run_protocol(path, HERE / "cache" / "runs", overrides=overrides, progress=False,
                           on_unit=lambda tasks_done, state: progress(tasks_done) if tasks_done else None)
    record = {"accuracy": read_npz(run_dir / "accuracy.npz")["accuracy"].tolist(),
              "metrics": json.loads((run_dir / "metrics.json").read_text()),
              "seconds": time.perf_counter() - start, "run_dir": str(run_dir)}
    if method == "hlop":
        record["angles"] = subspace_angles(path, overrides, run_dir)
    return record


def subspace_angles(path, overrides, run_dir) -> list:
    """Per layer: angles between the rows learned in task 1 and the PCA subspace of task 1's traces."""
    protocol = load_protocol(path, overrides)[0]
    experiment = build_continual(protocol, str(path))
    spec = protocol.continual
    config = spiking_config(spec.neuron)
    weights = read_npz(run_dir / "weights.npz")
    weights = tuple(weights[f"weights_{i}"] for i in range(len(spec.sizes) - 1))
    x = experiment.run.data[0][0][0][:TRACE_IMAGES]
    _, traces = spiking_forward(weights, x, "dsr", config)      # the forward pass is every trainer's
    subspaces = read_npz(run_dir / "subspaces.npz")
    angles = []
    for layer, (trace, k) in enumerate(zip(traces, spec.hlop.rows_first)):
        learned = subspaces[f"subspace_{layer}_weights"][:k]
        angles.append(principal_angles(learned, principal_directions(np.asarray(trace), k)).tolist())
    return angles


def compute(path: pathlib.Path, overrides: list, fresh: bool) -> dict:
    data = {}
    for method in METHODS:
        key = hashlib.sha256(json.dumps([path.name, method, overrides]).encode()).hexdigest()[:12]
        cache = HERE / "cache" / f"fig_hlop-{path.stem}-{method}-{key}.json"
        if cache.exists() and not fresh:
            data[method] = json.loads(cache.read_text())
            continue
        print(f"running {path.name} with {method} ...", file=sys.stderr, flush=True)
        data[method] = run_method(path, method, overrides)
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_json(cache, data[method])
    return data


def draw(data: dict, title: str) -> Figure:
    fig = Figure(figsize=(17.0, 4.4), layout="constrained")
    ax_tasks, ax_acc, ax_bwt, ax_angles = fig.subplots(1, 4, width_ratios=(1.3, 0.8, 0.7, 1.1))
    for method, record in data.items():
        accuracy = np.asarray(record["accuracy"]) * 100
        n = len(accuracy)
        if method == "multitask":
            ax_tasks.axhline(np.mean(accuracy[-1]), color=COLORS[method], linestyle="--",
                             label=f"{METHODS[method]} (final, all tasks)")
            continue
        seen = [np.nanmean(accuracy[i, : i + 1]) for i in range(n)]
        ax_tasks.plot(range(1, n + 1), seen, marker="o", color=COLORS[method], label=METHODS[method])
        ax_tasks.plot(range(1, n + 1), accuracy[:, 0], color=COLORS[method], alpha=0.4, linewidth=1)
    ax_tasks.set_xlabel("tasks learned (count)")
    ax_tasks.set_xticks(range(1, len(data["hlop"]["accuracy"]) + 1))
    ax_tasks.set_ylabel("test accuracy (%)")
    ax_tasks.legend(fontsize="small")
    ax_tasks.set_title(f"A. {title}: mean over learned tasks (thin: task 1)")

    names = list(data)
    positions = np.arange(len(names))
    colors = [COLORS[m] for m in names]
    acc = [data[m]["metrics"]["acc"] * 100 for m in names]
    ax_acc.bar(positions, acc, color=colors)
    for x, value in zip(positions, acc):
        ax_acc.text(x, value + 1, f"{value:.1f}", ha="center", fontsize=8)
    ax_acc.set_xticks(positions, [METHODS[m] for m in names], rotation=20)
    ax_acc.set_ylabel("ACC (%)")
    ax_acc.set_ylim(0, 105)
    ax_acc.set_title("B. ACC: final accuracy, all tasks")
    sequential = [m for m in names if "bwt" in data[m]["metrics"]]
    bwt = [data[m]["metrics"]["bwt"] * 100 for m in sequential]
    ax_bwt.bar(range(len(sequential)), bwt, color=[COLORS[m] for m in sequential])
    for x, value in enumerate(bwt):
        ax_bwt.text(x, value - 0.5 if value < 0 else value + 0.5, f"{value:.1f}", ha="center",
                    va="top" if value < 0 else "bottom", fontsize=8)
    ax_bwt.axhline(0, color="0.3", linewidth=0.8)
    ax_bwt.set_xticks(range(len(sequential)), [METHODS[m] for m in sequential], rotation=20)
    ax_bwt.set_ylabel("BWT (points)")
    ax_bwt.set_ylim(min(-5.0, 1.25 * min(bwt + [0.0])), max(2.0, 1.25 * max(bwt + [0.0])))
    ax_bwt.set_title("C. BWT: forgetting (< 0)")

    for layer, angles in enumerate(data["hlop"]["angles"]):
        ax_angles.plot(np.arange(1, len(angles) + 1), angles, label=f"layer {layer + 1} ({len(angles)} rows)")
    ax_angles.set_xlabel("principal angle (index)")
    ax_angles.set_ylabel("angle (degrees)")
    ax_angles.set_ylim(0, 90)
    ax_angles.legend(fontsize="small")
    ax_angles.set_title("D. learned vs PCA subspace of task-1 traces")
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="protocols/hlop_pmnist_small.toml instead")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="a protocol override for every method, e.g. continual.tasks=3")
    parser.add_argument("--fresh", action="store_true", help="recompute instead of using the cache")
    args = parser.parse_args(argv)
    path = PROTOCOLS / ("hlop_pmnist_small.toml" if args.small else "hlop_pmnist.toml")
    data = compute(path, args.overrides, args.fresh)
    spec = load_protocol(path, args.overrides)[0].continual
    title = f"{spec.tasks} permuted {spec.dataset}, {'-'.join(map(str, spec.sizes))}"
    with bioplastic_style():
        out = save_figure(draw(data, title), HERE / "out" / f"fig_hlop{'_small' if args.small else ''}.png")
    print(f"wrote {out}")
    for method, record in data.items():
        metrics = record["metrics"]
        bwt = f", BWT {metrics['bwt'] * 100:.2f}" if "bwt" in metrics else ""
        print(f"  {METHODS[method]}: ACC {metrics['acc'] * 100:.2f}{bwt} (points), {record['seconds']:.0f} s")
    if "angles" in data["hlop"]:
        print("  HLOP task-1 subspace vs PCA, median angle per layer (degrees): "
              f"{[round(float(np.median(a)), 1) for a in data['hlop']['angles']]}")
    return out


if __name__ == "__main__":
    main()
