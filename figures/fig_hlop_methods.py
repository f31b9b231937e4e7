"""HLOP against GPM, EWC, fine-tuning and multitask over three seeds, on three task sequences.

Every point is a run of a shipped protocol (``bioplastic sweep``: the same code as the
command) with seeds 2022-2024, only ``continual.method`` (and for B the trainer, for C the neuron) changed,
so every method sees the same tasks, network, trainer, batches and seed. Every method
trains on each task's training images less the last ones, which are held out: EWC's strength
is chosen from the protocol's grid [1, 3, 10, 30] by ACC on them, per seed, never by test
accuracy; GPM runs with its paper's permuted-MNIST thresholds (0.95, 0.99, 0.99; 300 samples).

A. ``hlop_pmnist_small``: 5 permuted-MNIST tasks, 784-200-200-10 spiking MLP, DSR;
B. the same with feedback alignment (``continual.trainer = "dsr_fa"``): HLOP, GPM, fine-tuning;
C. the same with each hidden layer's threshold learned during the first task
   (``continual.neuron.train_v_th = true``, the HLOP code's default): HLOP, GPM, fine-tuning;
D. ``hlop_split_mnist``: 5 tasks of two digits, one shared 2-way head (domain-incremental);
E. ``hlop_fashion_then_mnist``: Fashion-MNIST, then MNIST.

Top row ACC (mean final accuracy over the tasks), bottom row BWT (backward transfer; < 0 is
forgetting; multitask has none): every seed a dot, the mean and its t-based 95% interval.
Sweeps are cached in ``figures/cache/sweeps/`` (an interrupted sweep resumes at its first
unfinished point); ``--fresh`` reruns. Writes ``figures/out/fig_hlop_methods.png`` and prints,
per sequence and method, ACC and BWT as mean +- half-width (n), EWC's chosen strengths, and
whether HLOP meets the target (ACC at least GPM's minus 0.5 points, BWT at least GPM's).

Usage::

    python figures/fig_hlop_methods.py              # about 65 minutes on 2 cores (shared with other runs) the first time
    python figures/fig_hlop_methods.py --jobs 4     # on a machine with more cores
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
from matplotlib.figure import Figure

from bioplastic.analysis.intervals import as_text, mean_interval
from bioplastic.plotting import repeats_with_intervals
from bioplastic.sweeps import SweepPlan

from _runs import cached_sweep, swept_figure

HERE = pathlib.Path(__file__).resolve().parent
PROTOCOLS = HERE.parent / "protocols"
SEEDS = (2022, 2023, 2024)
METHODS = {"hlop": "HLOP", "gpm": "GPM", "ewc": "EWC", "finetune": "fine-tuning", "multitask": "multitask"}
COLORS = {label: f"C{index}" for index, label in enumerate(METHODS.values())}     # one colour per method in every panel
VARIANT_METHODS = ("hlop", "gpm", "finetune")        # the methods of the trainer and neuron variants (B, C)
# panel -> (title, protocol, plan): each a sweep of its own
PANELS = {
    "A": ("permuted MNIST, DSR", "hlop_pmnist_small",
          SweepPlan(SEEDS, {"continual.method": tuple(f'"{m}"' for m in METHODS)})),
    "B": ("permuted MNIST, feedback alignment", "hlop_pmnist_small",
          SweepPlan(SEEDS, {"continual.trainer": ('"dsr_fa"',), "continual.method": tuple(f'"{m}"' for m in VARIANT_METHODS)})),
    "C": ("permuted MNIST, v_th learned in task 1", "hlop_pmnist_small",
          SweepPlan(SEEDS, {"continual.neuron.train_v_th": ("true",),
                            "continual.method": tuple(f'"{m}"' for m in VARIANT_METHODS)})),
    "D": ("split MNIST (2-way head)", "hlop_split_mnist",
          SweepPlan(SEEDS, {"continual.method": tuple(f'"{m}"' for m in METHODS)})),
    "E": ("Fashion-MNIST then MNIST", "hlop_fashion_then_mnist",
          SweepPlan(SEEDS, {"continual.method": tuple(f'"{m}"' for m in METHODS)})),
}


def compute(fresh: bool, jobs: int = 1) -> dict:
    """Per panel, per method: every seed's metrics (plain dicts)."""
    data = {}
    for panel, (_, protocol, plan) in PANELS.items():
        sweep_dir = cached_sweep("fig_hlop_methods", PROTOCOLS / f"{protocol}.toml", plan, fresh, jobs)
        for point in json.loads((sweep_dir / "sweep.json").read_text())["points"]:
            method = json.loads(point["settings"]["continual.method"])
            metrics = json.loads((pathlib.Path(point["run_dir"]) / "metrics.json").read_text())
            data.setdefault(panel, {}).setdefault(method, []).append({"seed": point["seed"], "metrics": metrics})
    return data


def draw(data: dict) -> Figure:
    fig = Figure(figsize=(22.0, 7.5), layout="constrained")
    axes = fig.subplots(2, len(PANELS))
    for column, (panel, (title, protocol, _)) in enumerate(PANELS.items()):
        runs = data[panel]
        methods = [m for m in METHODS if m in runs]
        repeats_with_intervals({METHODS[m]: [r["metrics"]["acc"] for r in runs[m]] for m in methods},
                               ax=axes[0, column], ylabel="ACC, mean final accuracy (%)" if column == 0 else "", scale=100,
                               colors=COLORS)
        axes[0, column].set_title(f"{panel}. {title}\n{protocol}")
        with_bwt = [m for m in methods if m != "multitask"]
        repeats_with_intervals({METHODS[m]: [r["metrics"]["bwt"] for r in runs[m]] for m in with_bwt},
                               ax=axes[1, column], ylabel="BWT, backward transfer (points)" if column == 0 else "",
                               scale=100, colors=COLORS)
        axes[1, column].axhline(0.0, color="grey", linewidth=0.8)
    return fig


def target_met(runs: dict) -> str:
    """HLOP against GPM on the issue's target: ACC >= GPM's - 0.5 points and BWT >= GPM's (means over seeds)."""
    mean = {m: {k: 100 * float(np.mean([r["metrics"][k] for r in runs[m]])) for k in ("acc", "bwt")} for m in ("hlop", "gpm")}
    acc_ok = mean["hlop"]["acc"] >= mean["gpm"]["acc"] - 0.5
    bwt_ok = mean["hlop"]["bwt"] >= mean["gpm"]["bwt"]
    return (f"HLOP - GPM: ACC {mean['hlop']['acc'] - mean['gpm']['acc']:+.2f} points ({'met' if acc_ok else 'NOT met'}: "
            f">= -0.5), BWT {mean['hlop']['bwt'] - mean['gpm']['bwt']:+.2f} points ({'met' if bwt_ok else 'NOT met'}: >= 0)")


def main(argv=None):
    path, data = swept_figure("fig_hlop_methods", __doc__.split("\n")[0], compute, draw, argv)
    for panel, (title, protocol, _) in PANELS.items():
        runs = data[panel]
        print(f"{panel}. {title} ({protocol}), mean +- 95% half-width (n):")
        for method in (m for m in METHODS if m in runs):
            metrics = [r["metrics"] for r in runs[method]]
            line = f"  {METHODS[method]}: ACC {as_text([m['acc'] for m in metrics], 100)}"
            if method != "multitask":
                line += f", BWT {as_text([m['bwt'] for m in metrics], 100)}"
            if method == "ewc":
                line += f"; strengths chosen on held-out images {[m['ewc_strength'] for m in metrics]}"
            print(line)
        print(f"  {target_met(runs)}")
        paired = [100 * (h["metrics"]["acc"] - g["metrics"]["acc"]) for h, g in zip(runs["hlop"], runs["gpm"])]
        print(f"  HLOP - GPM ACC paired by seed: {mean_interval(paired)['mean']:+.2f} points, per seed "
              f"{[round(d, 2) for d in paired]}")
    return path


if __name__ == "__main__":
    main()
