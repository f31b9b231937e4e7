"""BrainPy neurons in protocols: a run equals the adapted model stepped by hand; names, units and input keys checked."""

import contextlib
import io

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bioplastic.cli import main
from bioplastic.experiments import run_protocol
from bioplastic.neurons.brainpy_adapter import BrainPyNeuron
from bioplastic.protocol.errors import ProtocolError
from bioplastic.runs import read_npz
from toy_protocols import ROOT

ADEX = """
name = "adex_constant"
seed = 3

[simulation]
dt_ms = 0.1
duration_ms = 60.0

[model.populations.cells]
neuron = "brainpy:AdExIF"
size = 2
options = { spk_reset = "hard" }
initial = { V = -70.0, w = 0.0 }
params = { tau = 20.0, tau_w = 100.0, V_rest = -70.0, V_reset = -58.0, V_T = -50.0, delta_T = 2.0, V_th = -40.0, a = 0.0, b = [0.0, 5.0] }

[inputs.drive]
target = "cells"
type = "constant"
current_ma = 30.0

[recordings.V]
population = "cells"
variable = "V"

[recordings.w]
population = "cells"
variable = "w"
"""


def _run(tmp_path, text, name="p.toml"):
    path = tmp_path / name
    path.write_text(text)
    return run_protocol(path, tmp_path, progress=False)


def test_a_protocol_run_equals_the_adapted_model_stepped_by_hand(tmp_path):
    recordings = read_npz(_run(tmp_path, ADEX) / "recordings.npz")
    model = BrainPyNeuron("AdExIF", kwargs={"spk_reset": "hard"})
    params = model.params(tau=20.0, tau_w=100.0, V_rest=-70.0, V_reset=-58.0, V_T=-50.0, delta_T=2.0, V_th=-40.0,
                          a=0.0, b=jnp.array([0.0, 5.0]))
    state = model.init(params, 2, jax.random.PRNGKey(0))
    state = state._replace(V=jnp.full(2, -70.0, jnp.float32), w=jnp.zeros(2, jnp.float32))
    step = jax.jit(model.step, static_argnums=3)
    voltages, adaptation, spikes = [], [], 0
    for _ in range(600):
        state, spike = step(params, state, jnp.full(2, 30.0, jnp.float32), 0.1)
        voltages.append(np.asarray(state.V))
        adaptation.append(np.asarray(state.w))
        spikes += np.asarray(spike)
    np.testing.assert_allclose(recordings["V"], np.stack(voltages), rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(recordings["w"], np.stack(adaptation), rtol=1e-6, atol=1e-6)
    assert spikes[0] >= 2 and recordings["w"][:, 1].max() >= 5.0          # it fired, and each spike adds b to w


def test_the_shipped_adex_protocol_adapts_more_with_larger_b(tmp_path):
    run_dir = run_protocol(ROOT / "protocols" / "adex_adaptation.toml", tmp_path, progress=False)
    from bioplastic.analysis.spike_events import spike_recordings

    spikes = spike_recordings(read_npz(run_dir / "recordings.npz"))["spikes"]
    first_isi, last_isi = [], []
    for neuron in range(3):
        isi = np.diff(spikes.steps[spikes.neurons == neuron]) * 0.1
        first_isi.append(isi[0])
        last_isi.append(isi[-1])
    assert abs(last_isi[0] - first_isi[0]) < 0.2                      # b = 0: regular firing
    assert last_isi[1] > 1.3 * first_isi[1] and last_isi[2] > 1.5 * first_isi[2]    # adaptation
    assert last_isi[0] < last_isi[1] < last_isi[2]


def test_hodgkin_huxley_takes_its_current_in_ua_and_fires(tmp_path):
    text = ADEX.replace('"brainpy:AdExIF"', '"brainpy:HH"').replace('options = { spk_reset = "hard" }\n', "")
    text = text.replace("initial = { V = -70.0, w = 0.0 }\n", "").replace("current_ma = 30.0", "current_ua = 10.0")
    text = text.split("params =")[0] + "params = { gNa = 120.0 }\n" + text.split("params =")[1].split("\n", 1)[1]
    text = text.replace('variable = "w"', 'variable = "m"')
    recordings = read_npz(_run(tmp_path, text) / "recordings.npz")
    assert recordings["V"].max() > 0.0 and 0.0 <= recordings["w"].min() and recordings["w"].max() <= 1.0


@pytest.mark.parametrize("edit, message", [
    (("tau = 20.0", "tau_ms = 20.0"),
     "model.populations.cells.params.tau_ms: got an unknown key, not a parameter of neuron type 'brainpy:AdExIF'; "
     "allowed: R (ohm), tau (ms), tau_w (ms), V_th (mV), V_reset (mV), V_rest (mV), V_T (mV), delta_T (mV), a (S), "
     "b (mA) (did you mean 'tau_w'?)"),
    (("current_ma = 30.0", "current_mv = 30.0"),
     "inputs.drive.current_mv: got an input in the wrong unit for 'brainpy:AdExIF' population 'cells'; "
     "allowed: current_ma (the unit of that neuron type's input)"),
    (('spk_reset = "hard"', 'spk_reset = "half"'),
     "model.populations.cells.options.spk_reset: got 'half'; allowed: 'soft', 'hard'"),
    (("initial = { V = -70.0, w = 0.0 }", "initial = { v_mv = -70.0 }"),
     "model.populations.cells.initial.v_mv: got 'v_mv'; allowed: one of the initial values of neuron type "
     "'brainpy:AdExIF': V, w"),
    (('"brainpy:AdExIF"', '"brainpy:AdEx"'),
     "model.populations.cells.neuron: got 'brainpy:AdEx'; allowed: "),
])
def test_bad_brainpy_populations_name_the_key_and_what_is_allowed(tmp_path, edit, message):
    with pytest.raises(ProtocolError) as error:
        _run(tmp_path, ADEX.replace(*edit))
    assert str(error.value).split(": ", 1)[1].startswith(message)


def test_bioplastic_list_shows_brainpy_neurons_with_units():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["list"]) == 0
    line = next(line for line in out.getvalue().splitlines() if line.strip().startswith("brainpy:HH"))
    assert "gNa (mS)" in line and "input current_ua" in line
