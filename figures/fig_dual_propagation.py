"""Dual propagation figure: accuracy per epoch (DP, BP, EP), time per step, cosine to backprop vs gamma.

Three panels, all on one network, one dataset, one optimizer, one seed:

A. test accuracy per epoch of dual propagation, backprop and equilibrium propagation
   (default: MNIST, 784-256-256-10 hard-sigmoid MLP -- a bounded activation so that EP
   settles -- Adam 1e-3, batch 100, 5 epochs; EP with 40 free and 10 nudged sweeps);
B. seconds per training step of the three rules on that network and batch;
C. cosine between the DP update and the backprop gradient, per layer, against gamma.

Simulation results are cached in ``figures/cache/`` (keyed by the settings), so re-plotting
is instant; ``--fresh`` recomputes. Writes ``figures/out/fig_dual_propagation.png``.

Usage::

    python figures/fig_dual_propagation.py [--dataset mnist] [--epochs 5] [--fresh]
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

from bioplastic.data.registry import load
from bioplastic.plotting import learning_curves, save_figure
from bioplastic.plotting.style import bioplastic_style
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


def draw(settings, data) -> Figure:
    fig = Figure(figsize=(13.0, 3.8), layout="constrained")
    ax_acc, ax_time, ax_cos = fig.subplots(1, 3)
    learning_curves({name: values for name, values in data["accuracy"].items()}, ax=ax_acc,
                    xlabel="epoch", ylabel="test accuracy")
    for line in ax_acc.lines:
        line.set_marker("o")
    ax_acc.set_title(f"{settings['dataset']}, {'-'.join(map(str, settings['sizes']))}")
    names = list(data["step_seconds"])
    ax_time.bar(range(len(names)), [data["step_seconds"][n] * 1e3 for n in names], color=["C0", "C1", "C2"])
    ax_time.set_xticks(range(len(names)), [n.replace(" ", "\n") for n in names])
    ax_time.set_ylabel("ms per training step")
    ax_time.set_yscale("log")
    ax_time.set_title("time per step (batch 100)")
    cosine = np.asarray(data["cosine"])
    for layer in range(cosine.shape[1]):
        ax_cos.plot(GAMMAS, cosine[:, layer], marker="o", label=f"layer {layer + 1}")
    ax_cos.set_xlabel("gamma")
    ax_cos.set_ylabel("cosine(DP update, -BP gradient)")
    ax_cos.legend()
    ax_cos.set_title("DP matches BP as gamma -> 0")
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--train-examples", type=int, default=60000)
    parser.add_argument("--sizes", default="784,256,256,10")
    parser.add_argument("--fresh", action="store_true", help="recompute instead of using the cache")
    args = parser.parse_args(argv)
    settings = dict(dataset=args.dataset, epochs=args.epochs, train_examples=args.train_examples,
                    sizes=[int(s) for s in args.sizes.split(",")], activation="hard_sigmoid", gamma=1.0,
                    learning_rate=1e-3, ep_free=40, ep_nudged=10, seed=0)
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    cache = HERE / "cache" / f"fig_dual_propagation-{key}.json"
    if cache.exists() and not args.fresh:
        data = json.loads(cache.read_text())
    else:
        data = compute(settings)
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_json(cache, {"settings": settings, **data})
    with bioplastic_style():
        path = save_figure(draw(settings, data), HERE / "out" / "fig_dual_propagation.png")
    print(f"wrote {path}")
    for name, values in data["accuracy"].items():
        print(f"  {name}: final test accuracy {values[-1]:.4f}, {data['step_seconds'][name] * 1e3:.1f} ms/step")
    return path


if __name__ == "__main__":
    main()
