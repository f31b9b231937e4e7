"""NIR export and import: round trips, closed forms of NIR's equations, a run folder's learned weights, exact errors."""

import json
import math
import sys

import jax
import numpy as np
import pytest

nir = pytest.importorskip("nir")

from toy_protocols import ROOT, TOY  # noqa: E402

from bioplastic._checks import BadInput  # noqa: E402
from bioplastic.exchange.nir_graph import network_to_nir  # noqa: E402
from bioplastic.exchange.nir_network import nir_to_network  # noqa: E402
from bioplastic.exchange.nir_run import export_nir  # noqa: E402
from bioplastic.exchange.nir_mlp import spiking_mlp_to_nir  # noqa: E402
from bioplastic.experiments import run_protocol  # noqa: E402
from bioplastic.networks.network import Network, Population, Projection  # noqa: E402
from bioplastic.networks.spiking_mlp import SpikingMLPConfig, init_spiking_mlp, spiking_forward  # noqa: E402
from bioplastic.neurons.izhikevich import Izhikevich  # noqa: E402
from bioplastic.neurons.lif import LIF  # noqa: E402
from bioplastic.neurons.spike_source import SpikeSource  # noqa: E402
from bioplastic.runs import read_npz, write_npz  # noqa: E402
from bioplastic.simulation import Constant, Probe, TimeSeries, simulate  # noqa: E402
from bioplastic.synapses.connectivity import Connectivity, dense  # noqa: E402
from bioplastic.synapses.exponential import ExponentialSynapse  # noqa: E402

DT_MS = 0.1
N_STEPS = 300                 # 30 ms


def _small_network(integration, reset="hard"):
    """3 spike sources -> (exponential synapses) 4 LIF -> (delta synapses) 2 LIF, which also take external drive."""
    lif = LIF(integration=integration, reset=reset)
    net = Network((Population("src", SpikeSource(), 3), Population("hidden", lif, 4), Population("out", lif, 2)),
                  (Projection("ff", "src", "hidden", ExponentialSynapse(4.0)), Projection("fb", "hidden", "out")))
    rng = np.random.default_rng(3)
    params = net.params(
        {"src": SpikeSource().params(),
         "hidden": lif.params(tau_ms=np.array([10.0, 15.0, 20.0, 12.5]), v_rest_mv=-65.0, v_th_mv=-52.0,
                              v_reset_mv=-70.0),
         "out": lif.params(tau_ms=8.0, v_rest_mv=-60.0, v_th_mv=-55.0, v_reset_mv=-62.0)},
        {"ff": dense(3, 4, 0.0).with_weights(rng.uniform(1.0, 6.0, (3, 4))),
         "fb": dense(4, 2, 0.0).with_weights(rng.uniform(2.0, 8.0, (4, 2)))})
    spikes = (rng.random((N_STEPS, 3)) < 0.15).astype(np.float32)
    return net, params, spikes


def _run(net, params, drive):
    state = net.init(params, jax.random.PRNGKey(0))
    probes = {p.name: Probe(f"outputs.{p.name}") for p in net.populations}
    probes.update({f"v_{p.name}": Probe(f"populations.{p.name}.v")
                   for p in net.populations if isinstance(p.model, LIF)})
    _, records = simulate(net.step, state, N_STEPS, params=params, drive=drive, dt=DT_MS, probes=probes)
    return {name: np.asarray(value) for name, value in records.items()}


@pytest.mark.parametrize("integration, reset", [("exact", "hard"), ("euler", "hard"), ("exact", "subtract")])
def test_export_then_import_reproduces_the_spikes(integration, reset, tmp_path):
    net, params, spikes = _small_network(integration, reset)
    graph = network_to_nir(net, params, DT_MS, inputs=["src", "out"])
    assert {name: type(node).__name__ for name, node in graph.nodes.items()} == {
        "src": "Input", "hidden": "CubaLIF", "out": "LIF", "ff": "Linear", "fb": "Linear", "input_out": "Input",
        "output_hidden": "Output", "output_out": "Output"}
    nir.write(tmp_path / "net.nir", graph)
    imported = nir_to_network(tmp_path / "net.nir", DT_MS)
    drive_out = np.array([4.0, 9.0], np.float32)
    original = _run(net, params, {"src": TimeSeries(spikes), "out": Constant(drive_out)})
    again = _run(imported.network, imported.params, imported.drive({"src": spikes, "input_out": drive_out}))
    assert original["hidden"].sum() > 0 and original["out"].sum() > 0          # the test sees spikes pass
    for name in ("hidden", "out", "v_hidden", "v_out"):
        np.testing.assert_array_equal(again[name], original[name])
    assert imported.inputs == {"src": ("src",), "input_out": ("out",)}
    assert imported.outputs == {"output_hidden": "hidden", "output_out": "out"}


def test_spiking_mlp_export_then_import_reproduces_its_rates_and_logits(tmp_path):
    config = SpikingMLPConfig(time_steps=12)
    weights = tuple(3.0 * w for w in init_spiking_mlp(jax.random.PRNGKey(7), (5, 6, 4, 3)))
    thresholds = (0.3, 0.25)                        # learned per-layer thresholds, as a run's weights.npz keeps them
    x = np.asarray(jax.random.uniform(jax.random.PRNGKey(5), (3, 5)), np.float32)
    logits, traces = spiking_forward(weights, x, "dsr", config, thresholds=thresholds)
    nir.write(tmp_path / "mlp.nir", spiking_mlp_to_nir(weights, config, thresholds))
    graph = nir.read(tmp_path / "mlp.nir")
    imported = nir_to_network(graph, dt_ms=1000.0 * float(graph.metadata["dt_s"]))
    assert imported.inputs == {"input": ("hidden_0",)} and imported.outputs == {"logits": "rate"}
    hidden = 2                                      # each hidden layer after the first and the readout: one step later
    n_steps = config.time_steps + hidden
    probes = {name: Probe(f"outputs.{name}") for name in ("hidden_0", "hidden_1")}
    probes["rate"] = Probe("populations.rate.v", stride=n_steps)
    for example in range(len(x)):
        state = imported.network.init(imported.params, jax.random.PRNGKey(0))
        _, records = simulate(imported.network.step, state, n_steps, params=imported.params, dt=1000.0 * config.dt,
                              drive=imported.drive({"input": x[example]}), probes=probes)
        for layer, v_th in enumerate(thresholds):   # layer l's spikes are the MLP's, l steps later
            spikes = np.asarray(records[f"hidden_{layer}"])[layer:layer + config.time_steps]
            assert spikes.sum() > 0                 # the test sees spikes pass
            rate = np.sum(config.rate_weights[:, None] * spikes * v_th / config.dt, axis=0)
            np.testing.assert_allclose(rate, traces[layer + 1][example], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np.asarray(records["rate"])[-1], logits[example], rtol=1e-4, atol=1e-5)


def _first_spike_ms(counts):
    """The time stamp (end of its step, ms) of each neuron's first spike."""
    return (np.argmax(counts > 0, axis=0) + 1) * DT_MS


def test_a_graph_built_with_nir_runs_and_fires_when_the_ode_says(tmp_path):
    tau_s, r, v_leak, v_th = np.array([0.01, 0.02, 0.015]), np.array([1.0, 2.0, 0.5]), np.array([-1.0, 0.0, 2.0]), \
        np.array([1.0, 1.5, 3.0])
    current = np.array([3.0, 1.2, 6.0])
    bias_tau_s, bias_r, bias_v_th, bias = 0.005, 1.5, 1.0, 2.0
    nodes = {
        "drive": nir.Input(input_type=np.array([3])),
        "cells": nir.LIF(tau=tau_s, r=r, v_leak=v_leak, v_threshold=v_th),
        "spikes": nir.Input(input_type=np.array([2])),
        "affine": nir.Affine(weight=np.zeros((1, 2)), bias=np.array([bias])),
        "biased": nir.LIF(tau=np.array([bias_tau_s]), r=np.array([bias_r]), v_leak=np.zeros(1),
                          v_threshold=np.array([bias_v_th])),
        "linear": nir.Linear(weight=np.full((2, 2), 0.5)),
        "synaptic": nir.CubaLIF(tau_syn=np.full(2, 0.004), tau_mem=np.full(2, 0.01), r=np.array([1.0, 3.0]),
                                v_leak=np.zeros(2), v_threshold=np.full(2, 100.0), w_in=np.array([2.0, 1.0])),
        "out_cells": nir.Output(output_type=np.array([3])),
        "out_synaptic": nir.Output(output_type=np.array([2])),
    }
    edges = [("drive", "cells"), ("cells", "out_cells"), ("spikes", "affine"), ("affine", "biased"),
             ("spikes", "linear"), ("linear", "synaptic"), ("synaptic", "out_synaptic")]
    nir.write(tmp_path / "built.nir", nir.NIRGraph(nodes=nodes, edges=edges))
    imported = nir_to_network(nir.read(tmp_path / "built.nir"), DT_MS)
    one_spike = np.zeros((N_STEPS, 2), np.float32)
    one_spike[0] = 1.0
    records = _run(imported.network, imported.params, imported.drive({"drive": current, "spikes": one_spike}))

    # LIF under constant drive: t = -tau ln(1 - (v_th - v_leak) / (r I)), within one step
    expected_ms = -tau_s * 1000 * np.log(1 - (v_th - v_leak) / (r * current))
    assert np.all(np.abs(_first_spike_ms(records["cells"]) - expected_ms) <= DT_MS)
    # an Affine bias is a constant input, one step late (a projection carries the previous step's output)
    expected_ms = -bias_tau_s * 1000 * math.log(1 - bias_v_th / (bias_r * bias)) + DT_MS
    assert abs(_first_spike_ms(records["biased"])[0] - expected_ms) <= DT_MS
    # CubaLIF: one input spike (held over its step) raises r I to r w_in W (1 - exp(-dt/tau_syn)), then I decays
    state = imported.network.init(imported.params, jax.random.PRNGKey(0))
    state, _ = simulate(imported.network.step, state, 12, params=imported.params, dt=DT_MS,
                        drive=imported.drive({"drive": current, "spikes": one_spike}))
    trace = np.asarray(state["synapses"]["linear"])                # r I after the spike's step and 10 more steps
    rise = np.array([1.0, 3.0]) * np.array([2.0, 1.0]) * 2 * 0.5 * (1 - math.exp(-DT_MS / 4.0))
    np.testing.assert_allclose(trace, rise * math.exp(-10 * DT_MS / 4.0), rtol=1e-5)


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    """The shipped stdp_feedforward protocol (spike sources -> CubaLIF through STDP) at toy size."""
    return run_protocol(ROOT / "protocols" / "stdp_feedforward.toml", tmp_path_factory.mktemp("nir_run"),
                        TOY["stdp_feedforward"], progress=False)


def test_export_nir_writes_the_learned_weights(toy_run, tmp_path):
    path = export_nir(toy_run, tmp_path / "toy.nir")
    graph = nir.read(path)
    stored = read_npz(toy_run / "weights.npz")
    learned = np.asarray(Connectivity(stored["feedforward.targets"], stored["feedforward.weights"], 10).to_dense())
    assert not np.allclose(learned, 1.0)                              # STDP moved them from the initial 1 mV
    np.testing.assert_array_equal(graph.nodes["feedforward"].weight, learned.T)
    assert type(graph.nodes["cells"]).__name__ == "CubaLIF" and graph.metadata["dt_s"] == 0.5e-3
    assert graph.edges == [("afferents", "feedforward"), ("feedforward", "cells"), ("cells", "output_cells")]
    imported = nir_to_network(path, 0.5)
    np.testing.assert_array_equal(np.asarray(imported.params["projections"]["feedforward"].to_dense()), learned)
    with pytest.raises(BadInput) as error:
        export_nir(toy_run, path)
    assert str(error.value) == (f"--nir {path}: got an existing file; allowed: a new file, or overwrite=True "
                                "(--overwrite) to replace it")
    assert export_nir(toy_run, path, overwrite=True) == path


def _finished_run(folder, protocol):
    """A run folder as ``bioplastic run`` leaves it: protocol.toml and a manifest that says completed."""
    folder.mkdir()
    (folder / "protocol.toml").write_text(protocol)
    (folder / "manifest.json").write_text(json.dumps({"status": "completed"}))
    return folder


CONTINUAL = 'name = "c"\n[continual]\ndataset = "mnist"\nsizes = [784, 6, 10]\nlearning_rate = 0.1\n' \
    '[continual.neuron]\ntime_steps = 8\ndt = 0.1\n'


def test_export_nir_writes_a_continual_runs_spiking_mlp(tmp_path):
    run_dir = _finished_run(tmp_path / "continual", CONTINUAL)      # the files a continual run leaves (no MNIST here)
    with pytest.raises(BadInput) as error:
        export_nir(run_dir, tmp_path / "c.nir")
    assert str(error.value) == f"{run_dir / 'weights.npz'}: got no file; allowed: the weights.npz a finished " \
        "continual run writes"
    weights = init_spiking_mlp(jax.random.PRNGKey(1), (784, 6, 10))
    write_npz(run_dir / "weights.npz", {"weights_0": weights[0], "weights_1": weights[1],
                                        "thresholds": np.array([0.25], np.float32)})
    graph = nir.read(export_nir(run_dir, tmp_path / "c.nir"))
    assert graph.metadata["protocol"] == "c" and graph.metadata["time_steps"] == 8
    np.testing.assert_allclose(graph.nodes["layer_0"].weight, np.asarray(weights[0]).T)
    np.testing.assert_allclose(graph.nodes["readout"].weight, np.asarray(weights[1]).T * 0.25 / 0.1, rtol=1e-6)
    np.testing.assert_allclose(graph.nodes["hidden_0"].v_threshold, 0.3 * 0.25, rtol=1e-6)     # alpha v_th
    np.testing.assert_allclose(graph.nodes["hidden_0"].v_reset, (0.3 - 1) * 0.25, rtol=1e-6)


def test_export_refuses_other_kinds_of_run(tmp_path):
    run_dir = _finished_run(tmp_path / "training", 'name = "t"\n[training]\ndataset = "mnist"\n')
    with pytest.raises(BadInput) as error:
        export_nir(run_dir, tmp_path / "t.nir")
    assert str(error.value) == (f"{run_dir}: got a run of a training protocol; allowed: a run of a simulation "
                                "protocol (its network) or of a continual protocol (its spiking MLP)")


def _export_error(populations, projections, inputs=()):
    net = Network(populations, projections)
    neuron_params = {p.name: p.model.params() for p in populations}
    sizes = {p.name: p.size for p in populations}
    params = net.params(neuron_params, {pr.name: dense(sizes[pr.pre], sizes[pr.post], 1.0) for pr in projections})
    with pytest.raises(BadInput) as error:
        network_to_nir(net, params, DT_MS, inputs=inputs)
    return str(error.value)


def test_exact_export_errors():
    lif, src = Population("a", LIF(), 2), Population("s", SpikeSource(), 2)
    assert _export_error((Population("i", Izhikevich(), 2),), ()) == (
        "population 'i': got neuron model Izhikevich; allowed: LIF populations and spike sources (NIR's LIF, CubaLIF "
        "and Input nodes)")
    assert _export_error((src, lif), (Projection("g", "s", "a", ExponentialSynapse(5.0, reversal_mv=0.0)),)) == (
        "population 'a': incoming synapses: got a conductance synapse (exponential_conductance); allowed: delta or "
        "exponential current synapses (NIR has no conductance synapse)")
    mixed = (Projection("p", "s", "a", ExponentialSynapse(5.0)), Projection("q", "s", "a"))
    assert _export_error((src, lif), mixed) == (
        "population 'a': incoming synapses: got delta, exponential (tau_ms 5); allowed: one kind: all delta (NIR's "
        "LIF) or all exponential current synapses of one tau_ms (CubaLIF)")
    assert _export_error((src, lif), (Projection("p", "s", "a", delay_steps=3),)) == (
        "projection 'p'.delay_steps: got 3; allowed: 0 (NIR has no transmission delay here)")
    assert _export_error((src, lif), (Projection("p", "s", "a", ExponentialSynapse(5.0)),), inputs=["a"]) == (
        "inputs: population 'a': got external drive into a population with exponential synapses (a CubaLIF node); "
        "allowed: external drive into LIF populations with delta synapses only (NIR passes every input of a CubaLIF "
        "through its synapse)")


def test_refractory_period_is_refused():
    net = Network((Population("a", LIF(), 1),))
    params = net.params({"a": LIF().params(tau_ref_ms=2.0)}, {})
    with pytest.raises(BadInput) as error:
        network_to_nir(net, params, DT_MS)
    assert str(error.value) == "population 'a'.tau_ref_ms: got 2.0; allowed: 0 (NIR's LIF has no refractory period)"


def _lif(n=2, **changes):
    values = dict(tau=np.full(n, 0.01), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n))
    return nir.LIF(**{**values, **changes})


def _import_error(nodes, edges):
    with pytest.raises(BadInput) as error:
        nir_to_network(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False), DT_MS)
    return str(error.value)


def test_exact_import_errors(tmp_path):
    x, y = nir.Input(input_type=np.array([2])), nir.Output(output_type=np.array([2]))
    allowed_nodes = "allowed: one of Input, Output, LIF, CubaLIF, LI, Linear, Affine"
    assert _import_error({"x": x, "if": nir.IF(r=np.ones(2), v_threshold=np.ones(2)), "y": y},
                         [("x", "if"), ("if", "y")]) == f"NIR node 'if': got a node of type IF; {allowed_nodes}"
    inner = nir.NIRGraph(nodes={"i": nir.Input(input_type=np.array([2])), "o": nir.Output(output_type=np.array([2]))},
                         edges=[("i", "o")])
    assert _import_error({"x": x, "sub": inner, "y": y}, [("x", "sub"), ("sub", "y")]) == (
        f"NIR node 'sub': got a node of type NIRGraph; {allowed_nodes}")
    assert _import_error({"x": x, "a": _lif(), "b": _lif(), "y": y}, [("x", "a"), ("a", "b"), ("b", "y")]) == (
        "NIR edge 'a' -> 'b': got LIF -> LIF; allowed: Input -> Linear/Affine, Input -> LIF, LIF/CubaLIF -> "
        "Linear/Affine, Linear/Affine -> LIF/CubaLIF/LI, LIF/CubaLIF/LI -> Output")
    leaky = nir.LI(tau=np.full(2, 0.01), r=np.ones(2), v_leak=np.zeros(2))
    assert _import_error({"x": x, "w": nir.Linear(weight=np.eye(2)), "li": leaky, "v": nir.Linear(weight=np.eye(2)),
                          "a": _lif(), "y": y}, [("x", "w"), ("w", "li"), ("li", "v"), ("v", "a"), ("a", "y")]) == (
        "NIR edge 'li' -> 'v': got LI -> Linear; allowed: Input -> Linear/Affine, Input -> LIF, LIF/CubaLIF -> "
        "Linear/Affine, Linear/Affine -> LIF/CubaLIF/LI, LIF/CubaLIF/LI -> Output")
    current = nir.Input(input_type=np.array([2]), metadata={"signal": "current"})
    cuba_one = nir.CubaLIF(tau_syn=np.full(2, 0.004), tau_mem=np.full(2, 0.01), r=np.ones(2), v_leak=np.zeros(2),
                           v_threshold=np.ones(2))
    assert _import_error({"x": current, "w": nir.Linear(weight=np.eye(2)), "c": cuba_one, "y": y},
                         [("x", "w"), ("w", "c"), ("c", "y")]) == (
        "NIR node 'w': got a current Input ('x') into a CubaLIF ('c'); allowed: a current Input's Linear/Affine into "
        "LIF or LI nodes (bioplastic adds it to the membrane)")
    cuba = nir.CubaLIF(tau_syn=np.array([0.004, 0.005]), tau_mem=np.full(2, 0.01), r=np.ones(2), v_leak=np.zeros(2),
                       v_threshold=np.ones(2))
    assert _import_error({"x": x, "w": nir.Linear(weight=np.eye(2)), "c": cuba, "y": y},
                         [("x", "w"), ("w", "c"), ("c", "y")]) == (
        "NIR node 'c'.tau_syn: got values from 0.004 to 0.005 s; allowed: one value for every neuron (bioplastic's "
        "exponential synapse has one time constant)")
    assert _import_error({"x": x, "w": nir.Linear(weight=np.ones((3, 2))), "a": _lif(), "y": y},
                         [("x", "w"), ("w", "a"), ("a", "y")]) == (
        "NIR node 'w'.weight: got shape (3, 2); allowed: (size of 'a', size of 'x') = (2, 2)")
    with pytest.raises(BadInput) as error:
        nir_to_network(tmp_path / "none.nir", DT_MS)
    assert str(error.value) == f"{tmp_path / 'none.nir'}: got no file; allowed: a NIR file (.nir) written by nir.write"


def test_without_nir_says_which_extra_to_install(toy_run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "nir", None)                # import nir now raises ImportError
    with pytest.raises(BadInput) as error:
        export_nir(toy_run, tmp_path / "x.nir")
    assert str(error.value) == ('bioplastic export --nir: got no nir (the optional extra nir is not installed); '
                                'allowed: pip install "bioplastic[nir]"')
    with pytest.raises(BadInput) as error:
        nir_to_network(tmp_path / "x.nir", DT_MS)
    assert str(error.value) == ('nir_to_network: got no nir (the optional extra nir is not installed); '
                                'allowed: pip install "bioplastic[nir]"')


def test_a_projection_onto_a_spike_source_is_refused():
    network = Network((Population("pre", SpikeSource(), 1), Population("post", SpikeSource(), 1)),
                      (Projection("pairing", "pre", "post"),))
    params = network.params({"pre": SpikeSource().params(), "post": SpikeSource().params()},
                            {"pairing": dense(1, 1, 0.5)})
    with pytest.raises(BadInput) as error:
        network_to_nir(network, params, 0.1)
    assert str(error.value) == ("projection 'pairing': got a projection onto the spike source 'post' (its weights "
                                "drive nothing); allowed: projections onto LIF populations (a NIR Input takes no edge)")
