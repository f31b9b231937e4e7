"""Dual propagation figure: accuracy per epoch (DP, BP, EP), time per step, cosine to backprop vs gamma.

Four panels, all on one network, one dataset and one optimizer; every seed starts the three
rules from the same weights and feeds them the same batches:

A. test accuracy per epoch of dual propagation, backprop and equilibrium propagation
   (default: MNIST, 784-256-256-10 hard-sigmoid MLP -- a bounded activation so that EP
   settles -- Adam 1e-3, batch 100, 5 epochs; EP with 40 free and 10 nudged sweeps): the
   mean over seeds (default 0, 1, 2) with its t-based 95% interval as a band;
B. the last epoch's test accuracy of every seed, with the mean and its 95% interval;
C. seconds per training step of the three rules on that network and batch (mean over seeds);
D. cosine between the DP update and the backprop gradient, per layer, against gamma (first seed).

Each seed's results are cached in ``figures/cache/`` (keyed by the settings and the seed),
so re-plotting is instant and an interrupted call resumes at the next seed; ``--fresh``
recomputes. Writes ``figures/out/fig_dual_propagation.png`` and prints the headline as
mean +- half-width of the interval (n).

Usage::

    python figures/fig_dual_propagation.py [--dataset mnist] [--epochs 5] [--seeds 0,1,2] [--fresh]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
from matplotlib.figure import Figure

from bioplastic.analysis.intervals import as_text, mean_interval
from bioplastic.data.registry import load
from bioplastic.plotting import means_with_intervals, repeats_with_intervals, save_figure
from bioplastic.plotting.style import OTHER_COLORS, bioplastic_style
from bioplastic.runs import write_json
from bioplastic.rules.backprop import backprop
from bioplastic.rules.dual_propagation import dual_propagation
from bioplastic.rules.equilibrium_propagation import equilibrium_propagation, predict
from bioplastic.layers.mlp import init_layers
from bioplastic.train.batches import fit

HERE = pathlib.Path(__file__).resolve().parent
GAMMAS = (1e-3, 0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 1.9)


def rules(settings):
    activation = settings["activation"]
    return {
        "dual propagation": dual_propagation(gamma=settings["gamma"], hidden_activation=activation),
        "backprop": backprop(hidden_activation=activation),
        "equilibrium propagation": equilibrium_propagation(
            hidden_activation=activation, free_steps=settings["ep_free"], nudged_steps=settings["ep_nudged"]
        ),
    }


def compute(settings) -> dict:
    """Train the three rules and measure cosines; returns plain lists (JSON)."""
    dataset = load(settings["dataset"])
    train = (dataset.train_images[: settings["train_examples"]], dataset.train_labels[: settings["train_examples"]])
    test = (dataset.test_images, dataset.test_labels)
    layers = init_layers(jax.random.PRNGKey(settings["seed"]), tuple(settings["sizes"]))
    out = {"accuracy": {}, "step_seconds": {}}
    for name, rule in rules(settings).items():
        print(f"training with {name} ...", file=sys.stderr, flush=True)
        prediction = None
        if name == "equilibrium propagation":
            prediction = lambda l, x: predict(l, x, settings["activation"], settings["ep_free"])  # noqa: E731
        history = fit(rule, layers, optax.adam(settings["learning_rate"]), train, test, epochs=settings["epochs"],
                      batch_size=100, key=jax.random.PRNGKey(settings["seed"] + 1),
                      hidden_activation=settings["activation"], predict=prediction,
                      on_epoch=lambda e, a: print(f"  epoch {e}: {a:.4f}", file=sys.stderr, flush=True))
        out["accuracy"][name] = history.test_accuracy
        out["step_seconds"][name] = history.step_seconds
    x = jnp.asarray(train[0][:100].reshape(100, -1), jnp.float32) / 255.0
    y = jax.nn.one_hot(train[1][:100], dataset.n_classes)
    gradient, _ = backprop(hidden_activation=settings["activation"]).update((), layers, batch=(x, y))
    out["cosine"] = []
    for gamma in GAMMAS:
        delta, _ = dual_propagation(gamma=gamma, hidden_activation=settings["activation"]).update((), layers, batch=(x, y))
        out["cosine"].append([float(jnp.vdot(d.weights, g.weights) / (jnp.linalg.norm(d.weights) * jnp.linalg.norm(g.weights)))
                              for d, g in zip(delta, gradient)])
    return out


def draw(settings, runs: list) -> Figure:
    """The four panels from every seed's :func:`compute` output (``runs``, the first seed first)."""
    fig = Figure(figsize=(16.0, 3.8), layout="constrained")
    ax_acc, ax_last, ax_time, ax_cos = fig.subplots(1, 4, width_ratios=(1.3, 1, 1, 1.1))
    names = list(runs[0]["accuracy"])
    bands = {}
    for name in names:
        columns = [mean_interval([run["accuracy"][name][k] * 100 for run in runs])
                   for k in range(settings["epochs"])]
        bands[name] = (list(range(1, settings["epochs"] + 1)), [c["mean"] for c in columns],
                       [c["ci_low"] for c in columns], [c["ci_high"] for c in columns])
    means_with_intervals(bands, ax=ax_acc, xlabel="epoch", ylabel="test accuracy (%)")
    ax_acc.xaxis.get_major_locator().set_params(integer=True)
    ax_acc.set_title(f"A. {settings['dataset']}, {'-'.join(map(str, settings['sizes']))}: mean, 95% interval")
    repeats_with_intervals({name.replace(" ", "\n", 1): [run["accuracy"][name][-1] for run in runs] for name in names},
                           ax=ax_last, ylabel="last-epoch test accuracy (%)", scale=100)
    ax_last.set_title("B. every seed, mean and 95% interval")
    ax_time.bar(range(len(names)), [np.mean([run["step_seconds"][n] for run in runs]) * 1e3 for n in names],
                color=OTHER_COLORS[:len(names)])
    ax_time.set_xticks(range(len(names)), [n.replace(" ", "\n") for n in names])
    ax_time.set_ylabel("ms per training step")
    ax_time.set_title("C. time per step (batch 100)")
    cosine = np.asarray(runs[0]["cosine"])
    for layer in range(cosine.shape[1]):
        ax_cos.plot(GAMMAS, cosine[:, layer], marker="o", label=f"layer {layer + 1}")
    ax_cos.set_xlabel("gamma")
    ax_cos.set_ylabel("cosine(DP update, -BP gradient)")
    ax_cos.legend()
    ax_cos.set_title("D. DP matches BP as gamma -> 0")
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--train-examples", type=int, default=60000)
    parser.add_argument("--sizes", default="784,256,256,10")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    parser.add_argument("--fresh", action="store_true", help="recompute instead of using the cache")
    args = parser.parse_args(argv)
    settings = dict(dataset=args.dataset, epochs=args.epochs, train_examples=args.train_examples,
                    sizes=[int(s) for s in args.sizes.split(",")], activation="hard_sigmoid", gamma=1.0,
                    learning_rate=1e-3, ep_free=40, ep_nudged=10)
    runs = []
    for seed in (int(text) for text in args.seeds.split(",")):
        chosen = {**settings, "seed": seed}
        key = hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:12]
        cache = HERE / "cache" / f"fig_dual_propagation-{key}.json"
        if cache.exists() and not args.fresh:
            runs.append(json.loads(cache.read_text()))
            continue
        print(f"seed {seed}:", file=sys.stderr, flush=True)
        runs.append({"settings": chosen, **compute(chosen)})
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_json(cache, runs[-1])
    with bioplastic_style():
        path = save_figure(draw(settings, runs), HERE / "out" / "fig_dual_propagation.png")
    print(f"wrote {path}")
    for name in runs[0]["accuracy"]:
        print(f"  {name}: last-epoch test accuracy {as_text([run['accuracy'][name][-1] for run in runs], 100)} %, "
              f"{np.mean([run['step_seconds'][name] for run in runs]) * 1e3:.1f} ms/step")
    return path


if __name__ == "__main__":
    main()
