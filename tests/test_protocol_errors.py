"""A corpus of malformed protocols: each exits with code 2, no traceback, and an exact message
naming the file, the key path, what was found and what is allowed."""

import pathlib
import subprocess
import sys

import pytest

from bioplastic.cli import main

CORPUS = pathlib.Path(__file__).parent / "protocols" / "malformed"

# file stem -> message after "error: <file>: "
EXPECTED = {
    "prediction_latencies_per_cue": "prediction.task.latencies_ms: got [300.0]; allowed: one value per cue (2: A, B)",
    "prediction_block_does_not_divide": "prediction.readout.block_trials: got 3; allowed: a divisor of trials (100) and of switch_trial (50): consolidation happens between whole blocks",
    "prediction_block_does_not_divide_without_switch": "prediction.readout.block_trials: got 3; allowed: a divisor of trials (100): consolidation happens between whole blocks",
    "prediction_running_mean_longer_than_the_run": "prediction.running_trials: got 25; allowed: at most trials (20)",
    "prediction_window_misses_outcome": "prediction.readout.window_ms: got 500.0; allowed: a window that contains every outcome (latest latency: 600.0 ms)",
    "prediction_window_longer_than_trial": "prediction.readout.window_ms: got 900.0; allowed: at most trial_ms (800.0)",
    "theta_no_environment": "theta: got no environment; allowed: exactly one of [theta.latents] (latent features) or [theta.track] (a ring with place cells)",
    "theta_unknown_layer": "theta.connections.infer.post: got 'mec'; allowed: one of the layers: hpc, ec (did you mean 'ec'?)",
    "theta_plastic_relay": "theta.connections.copy.plastic: got true onto a relay layer; allowed: false (relay layers do not learn)",
    "theta_identity_does_not_fit": "theta.connections.sensory.init: got 'identity'; allowed: identity needs the post size to be a multiple of the pre size (got 40 x 50)",
    "theta_test_after_hold": "theta.test.errors_at_s: got [1.0, 5.0]; allowed: times within the generative test, hold_s (4.0)",
    "theta_freeze_unknown_connection": "theta.transfer.freeze: got 'recurent'; allowed: one of the connections: sensory, recurrent (did you mean 'recurrent'?)",
    "prediction_unknown_learner": "prediction.learners[1]: got 'forse'; allowed: 'three_factor', 'force' or 'force_reset'",
    "continual_hlop_rows_per_layer": "continual.hlop.rows_first: got [40, 40]; allowed: 3 numbers, one per weight layer of [784, 100, 100, 10]",
    "continual_hlop_rows_exceed_layer": "continual.hlop.rows_added: got [20, 40, 5]; allowed: rows that fit layer 2: after 10 tasks it would have 180 lateral rows for 100 inputs (at most 100)",
    "chunk_not_multiple_of_stride": "simulation.chunk_ms: got 0.5; allowed: a multiple of every recording stride (10 steps = 1 ms)",
    "conductance_onto_izhikevich": "model.projections.exc_to_inh.synapse.type: got 'exponential_conductance'; allowed: a current-based synapse: population 'inh' is 'izhikevich', and conductance synapses need 'lif'",
    "dataset_target_size_mismatch": "model.populations.exc.size: got 20; allowed: 784, one neuron per pixel of 'mnist' (dataset.target = 'exc')",
    "distal_reward_delays_do_not_divide": "distal_reward.max_delay_ms: got 30; allowed: a divisor of synapses_per_neuron = 100 (each delay takes the same number of synapses)",
    "distal_reward_plot_of_a_simulation": "plots.spikes.type: got 'raster'; allowed: one of distal_reward (the plots of a distal_reward protocol)",
    "distal_reward_reward_delays_reversed": "distal_reward.reward_delay_max_ms: got 1000; allowed: a delay >= reward_delay_min_ms = 3000",
    "distal_reward_unknown_key": "distal_reward.tau_c_ms: got an unknown key; allowed: seconds, n_exc, n_inh, synapses_per_neuron, max_delay_ms, exc_weight, inh_weight, chosen_weight, w_max, noise_amplitude, coincidence_window_ms, reward_delay_min_ms, reward_delay_max_ms, reward_dopamine, chosen_delay_ms, a_plus, a_minus, tau_plus_ms, tau_minus_ms, tau_eligibility_ms, tau_dopamine_ms, tonic_dopamine, learning_rate, max_events (did you mean 'tau_plus_ms'?)",
    "duration_shorter_than_dt": "simulation.duration_ms: got 0.05; allowed: at least dt_ms = 0.1",
    "input_to_missing_population": "inputs.drive.target: got 'pyramidal'; allowed: one of the populations: exc, inh",
    "input_unit_mismatch": "inputs.drive.current_mv_per_ms: got an input in the wrong unit for 'lif' population 'exc'; allowed: current_mv (the unit of that neuron type's input)",
    "invalid_toml": "line 7, column 12: got invalid TOML (Expected ']' at the end of a table declaration); allowed: TOML syntax (https://toml.io)",
    "missing_connection_probability": "model.projections.exc_to_inh.connectivity.p: got nothing; allowed: a value: fixed_probability needs p",
    "missing_duration": "simulation.duration_ms: got nothing (the key is required); allowed: simulated time (ms)",
    "not_utf8": "(file): got a file that is not UTF-8 text (byte 11); allowed: a TOML text file (UTF-8)",
    "missing_model": "model: got nothing (the key is required); allowed: a table with keys file, populations, projections",
    "missing_simulation": "simulation: got nothing (the key is required); allowed: a table with keys dt_ms, duration_ms, chunk_ms, devices",
    "nan_parameter": "model.populations.exc.params.tau_ref_ms: got nan; allowed: a finite number",
    "negative_dt": "simulation.dt_ms: got -0.1; allowed: greater than 0",
    "phases_do_not_cover_duration": "learning.phases: got phases lasting 15 ms in all; allowed: phases that add up to simulation.duration_ms = 20",
    "plot_needs_spikes": "plots.raster.recording: got 'v'; allowed: a recording of spikes (variable 'spike'): a raster plot needs spikes, 'v' records 'v'",
    "plot_of_another_protocol_kind": "plots.accuracy.type: got 'accuracy_matrix'; allowed: a plot of a simulation (raster, "
                                     "traces, population_rate, isi_histogram, weight_matrix): accuracy_matrix plots belong to [continual] protocols",
    "plot_unknown_recording": "plots.raster.recording: got 'spiks'; allowed: one of the recordings: spikes, v (did you mean 'spikes'?)",
    "probability_above_one": "model.projections.exc_to_inh.connectivity.p: got 1.2; allowed: less than or equal to 1",
    "projection_to_missing_population": "model.projections.exc_to_inh.post: got 'interneurons'; allowed: one of the populations: exc, inh",
    "recording_neuron_out_of_range": "recordings.v.neurons: got 20; allowed: indices in [0, 20) of population 'exc'",
    "recording_unknown_variable": "recordings.v.variable: got 'w'; allowed: one of the variables of population 'exc': v, refractory_steps, spike, output",
    "rule_needs_missing_signal": "model.projections.exc_to_inh.plasticity.rule: got 'reward_stdp', which needs the signal 'modulator' that the protocol does not provide; allowed: a rule whose signals are defined under [signals] (defined: none); add [signals.modulator]",
    "training_equilibrium_propagation_with_relu": "training.hidden_activation: got 'relu'; allowed: a bounded activation (hard_sigmoid, sigmoid, tanh, rectified_tanh): equilibrium propagation's settling diverges otherwise",
    "training_gamma_two": "training.rule_params.gamma: got 2.0; allowed: 0 < gamma < 2 for the squared-error output dyad (s-_L divides by 2 - gamma)",
    "training_sizes_do_not_fit_the_dataset": "training.sizes: got [784, 1000, 1000, 12]; allowed: sizes from 784 (pixels of 'mnist') to 10 (its classes)",
    "training_unknown_key": "training.nesterov: got an unknown key; allowed: dataset, network, rule, sizes, hidden_activation, output, optimizer, learning_rate, momentum, weight_decay, learning_rate_schedule, min_learning_rate, gradient_centralization, clip_norm, warmup_steps, batch_size, batches_per_epoch, epochs, train_examples, test_examples, validation_examples, input_scaling, init, rule_params",
    "training_cnn_too_few_convolutions": "training.sizes: got [1, 8, 8, 10]; allowed: [1 (channels of 'mnist'), the channels of 5 or more stride-2 convolutions (2 ** convolutions >= its 28-pixel side), 10 (its classes)]",
    "training_autoencoder_ends_in_classes": "training.sizes: got [784, 64, 10]; allowed: sizes from 784 (pixels of 'mnist') back to 784 (the reconstruction)",
    "training_validation_takes_every_example": "training.validation_examples: got 500; allowed: fewer than the 500 training examples",
    "training_gamma_per_layer_too_short": "training.rule_params.gamma: got [1.0, 1.0, 0.5]; allowed: one number, or one per weight layer (5 here)",
    "training_init_on_counter_current_network": "training.init: got 'glorot'; allowed: no init with network = 'counter_current_mlp' (it keeps its authors' initialisation); init is for network = 'mlp'",
    "training_text_for_a_number": "training.rule_params.gamma: got 'large'; allowed: a number or true/false, or a list of numbers, one per weight layer",
    "training_rule_parameter_of_the_wrong_type": "training.rule_params.sweeps: got [1.0, 2.0]; allowed: a number or true/false",
    "training_equilibrium_propagation_symmetric_beta_one": "training.rule_params.beta: got 1.0; allowed: 0 < beta < 1 when a phase nudges at -beta (its output divides by 1 - beta)",
    "training_unknown_rule_parameter": "training.rule_params.gama: got an unknown key, not a parameter of rule 'dual_propagation'; allowed: gamma, sweeps, kolen_pollack, feedback_learning_rate, feedback_decay (did you mean 'gamma'?)",
    "typo_in_connectivity_type": "model.projections.exc_to_inh.connectivity.type: got 'fixed_probabilty'; allowed: 'dense', 'fixed_probability', 'fixed_out_degree' (did you mean 'fixed_probability'?)",
    "typo_in_dataset_name": "dataset.name: got 'mnsit'; allowed: one of the datasets (bioplastic data list): mnist, fashion_mnist, cifar10, cifar100 (did you mean 'mnist'?)",
    "typo_in_input_type": "inputs.drive.type: got 'konstant'; allowed: 'constant', 'step', 'poisson', 'periodic', 'patterns', 'gaussian' (did you mean 'constant'?)",
    "typo_in_metric": "metrics[0]: got 'mean_rate'; allowed: 'mean_rate_hz', 'mean_weight' (did you mean 'mean_rate_hz'?)",
    "typo_in_neuron_name": "model.populations.exc.neuron: got 'lfi'; allowed: 'lif', 'izhikevich', 'rate', 'spike_source', 'brainpy:LIF', 'brainpy:LIFRef', 'brainpy:ExpIF', 'brainpy:AdExIF', 'brainpy:QuaIF', 'brainpy:AdQuaIF', 'brainpy:Gif', 'brainpy:Izhikevich', 'brainpy:HH' (did you mean 'lif'?)",
    "typo_in_plot_type": "plots.raster.type: got 'rastr'; allowed: 'raster', 'traces', 'population_rate', 'isi_histogram', 'weight_matrix', 'learning_curve', 'accuracy_matrix', 'task_accuracy', 'prediction_traces', 'prediction_errors', 'theta_losses', 'theta_autocorrelation', 'theta_decoding', 'theta_ring_weights', 'theta_path_integration', 'distal_reward' (did you mean 'raster'?)",
    "typo_in_rule_name": "model.projections.exc_to_inh.plasticity.rule: got 'stpd'; allowed: 'stdp', 'triplet_stdp', 'bcm', 'oja', 'inhibitory_stdp', 'reward_stdp', 'dopamine_stdp', 'reward_hebbian' (did you mean 'stdp'?)",
    "typo_in_synapse_type": "model.projections.exc_to_inh.synapse.type: got 'exponential_conductence'; allowed: 'delta', 'exponential_current', 'exponential_conductance' (did you mean 'exponential_conductance'?)",
    "unit_in_key_wrong": "model.populations.exc.params.tau_s: got an unknown key, not a parameter of neuron type 'lif'; allowed: tau_ms, v_rest_mv, v_th_mv, v_reset_mv, tau_ref_ms (did you mean 'tau_ms'?)",
    "unit_in_value": "simulation.dt_ms: got '0.1 ms'; allowed: a valid number (units go in the key name, never in the value: e.g. dt_ms = 0.1)",
    "unknown_initial_variable": "model.populations.exc.initial.vm: got 'vm'; allowed: one of the initial values of neuron type 'lif': v_mv (did you mean 'v_mv'?)",
    "unknown_neuron_option": "model.populations.exc.options.integrator: got an unknown key, not an option of neuron type 'lif'; allowed: integration, reset (did you mean 'integration'?)",
    "unknown_rule_parameter": "model.projections.exc_to_inh.plasticity.params.a_pluss: got an unknown key, not a parameter of rule 'stdp'; allowed: a_plus, a_minus, tau_plus_ms, tau_minus_ms, w_min, w_max (did you mean 'a_plus'?)",
    "unknown_simulation_key": "simulation.steps: got an unknown key; allowed: dt_ms, duration_ms, chunk_ms, devices",
    "unknown_top_level_key": "sead: got an unknown key; allowed: name, description, seed, simulation, model, inputs, dataset, signals, learning, recordings, metrics, plots (did you mean 'seed'?)",
    "wrong_type_seed": "seed: got 1.5; allowed: a valid integer",
    "wrong_type_size": "model.populations.exc.size: got 'twenty'; allowed: a valid integer",
    "zero_dt": "simulation.dt_ms: got 0.0; allowed: greater than 0",
    "zero_population_size": "model.populations.inh.size: got 0; allowed: greater than or equal to 1",
    "zero_time_constant": "model.populations.exc.params.tau_ms: got 0.0; allowed: a finite number > 0 (ms)",
    # issue 18: inputs that crashed, ran out of memory, failed only in run, or were silently changed
    "seed_beyond_32_bits": 'seed: got 18446744073709551616; allowed: less than or equal to 4294967295',
    "name_too_long": f"name: got {'x' * 240!r}; allowed: String should have at most 200 characters",
    "oversized_population": 'model.populations.exc.size: got a run that needs about 228 TB of memory (128 TB of it for this key); allowed: at most 8 GB (--max-memory-gb sets the limit; default: the memory available)',
    "oversized_duration": 'simulation.duration_ms: got 10,000,000,000,000 time steps; allowed: at most 1,000,000,000 (--max-steps raises the limit)',
    "training_oversized_layer": 'training.sizes: got a run that needs about 22.3 TB of memory (19.1 TB of it for this key); allowed: at most 8 GB (--max-memory-gb sets the limit; default: the memory available)',
    "continual_too_many_tasks": 'continual.tasks: got a run that needs about 10.5 TB of memory (9.88 TB of it for this key); allowed: at most 8 GB (--max-memory-gb sets the limit; default: the memory available)',
    "prediction_too_many_trials": 'prediction.trials: got 3,000,000,000,000 time steps; allowed: at most 1,000,000,000 (--max-steps raises the limit)',
    "theta_too_many_steps": 'theta.minutes: got 2,400,000,014,400 time steps; allowed: at most 1,000,000,000 (--max-steps raises the limit)',
    "theta_unknown_activation": "theta.layers.ec.basal_activation: got 'relux'; allowed: 'linear', 'relu', 'sigmoid', 'tanh', 'elu', 'rectified_tanh' or 'hard_sigmoid'",
    "theta_relay_key_on_a_learning_layer": 'theta.layers.ec.threshold: got 0.5; allowed: no threshold: a two_compartment layer does not use it',
    "theta_step_longer_than_half_a_cycle": 'theta.dt_ms: got 150.0; allowed: at most 100: two steps per theta cycle of 200 ms (gate.frequency_hz = 5), one per phase at least',
    "theta_minutes_between_steps": 'theta.minutes: got 1.0001; allowed: a whole number of steps of dt_ms = 25 (nearest: 1 or 1.00042 min)',
    "theta_lag_longer_than_hold": 'theta.test.max_lag_s: got 20.0; allowed: at most hold_s (10): the lags are measured within the generative test',
    "theta_negative_error_time": 'theta.test.errors_at_s[0]: got -1.0; allowed: greater than 0',
    "theta_track_key_in_a_latents_test": 'theta.test.episodes: got 3; allowed: no episodes: the test of [theta.latents] does not use it',
    "recording_empty_neuron_list": "recordings.v.neurons: got []; allowed: at least one index in [0, 20) of population 'exc', or 'all'",
    "plot_recording_and_recordings": "plots.raster.recordings: got ['v']; allowed: either recording or recordings, not both (recording = 'spikes' is given)",
    "training_plot_with_recording": "plots.curve.recording: got 'spikes'; allowed: no recording: a learning_curve plot draws the run's own results",
    "delay_between_steps": 'model.projections.exc_to_inh.delay_ms: got 0.15; allowed: a whole number of steps of dt_ms = 0.1 (nearest: 0.1 or 0.2 ms)',
    "input_start_between_steps": 'inputs.drive.start_ms: got 2.55; allowed: a whole number of steps of dt_ms = 0.1 (nearest: 2.5 or 2.6 ms)',
    "training_train_examples_beyond_dataset": "training.train_examples: got 100000; allowed: at most the 60000 training examples of 'mnist'",
    "continual_test_examples_beyond_dataset": "continual.test_examples: got 20000; allowed: at most the 10000 test examples of 'mnist'",
    "poisson_rate_above_one_spike_per_step": 'inputs.drive.rate_hz: got 20000.0; allowed: at most 10000 Hz: one spike per step of dt_ms = 0.1 (a higher rate would be cut to that)',
    "prediction_duplicate_cues": "prediction.task.cues: got ['A', 'A']; allowed: distinct names (repeated: 'A')",
    "prediction_switch_trial_without_a_switch": 'prediction.switch_trial: got 50; allowed: no switch_trial without a [prediction.task.switch] (the values the task switches to)',
    "prediction_latency_between_steps": 'prediction.task.latencies_ms[0]: got 300.5; allowed: a whole number of steps of dt_ms = 1 (nearest: 300 or 301 ms)',
    "prediction_repeats_beyond_the_last_seed": 'prediction.repeats: got 10; allowed: at most 6: repeat k draws from seed + k, and seeds end at 4294967295',
    "boolean_for_a_number": 'simulation.duration_ms: got true; allowed: a valid number',
    "brainpy_parameter_with_unit_suffix": "model.populations.cells.params.tau_ms: got an unknown key, not a parameter of neuron type 'brainpy:AdExIF'; allowed: R (ohm), tau (ms), tau_w (ms), V_th (mV), V_reset (mV), V_rest (mV), V_T (mV), delta_T (mV), a (S), b (mA) (did you mean 'tau_w'?)",
    "brainpy_input_in_mv": "inputs.drive.current_mv: got an input in the wrong unit for 'brainpy:HH' population 'cells'; allowed: current_ua (the unit of that neuron type's input)",
    "training_negative_learning_rate": 'training.learning_rate: got -0.0001; allowed: greater than 0',
    "continual_negative_hlop_learning_rate": 'continual.hlop.learning_rates[1]: got -0.01; allowed: greater than 0',
    "continual_gpm_threshold_above_one": "continual.gpm.threshold: got 1.2; allowed: less than or equal to 1",
    "continual_gpm_threshold_not_positive": "continual.gpm.threshold[1]: got 0.0; allowed: greater than 0",
    "continual_gpm_threshold_per_layer": "continual.gpm.threshold: got [0.95, 0.99]; allowed: one number, or one per weight layer (3 here)",
    "continual_gpm_threshold_grows_above_one": "continual.gpm.threshold_increment: got 0.01; allowed: an increment that keeps every task's threshold <= 1: layer 1's would reach 1.06 at task 10 (0.97 + 9 x 0.01)",
    "continual_gpm_samples_beyond_task": "continual.gpm.samples: got 2000; allowed: at most the 1000 training examples of a task",
    "theta_negative_learning_rate": 'theta.learning_rate: got -0.001; allowed: greater than or equal to 0',
    "training_batch_larger_than_dataset": 'training.batch_size: got 5000; allowed: at most the 1000 training examples',
    "number_beyond_float32": "model.populations.exc.params.tau_ms: got 1e+39; allowed: a number within float32's range, at most 3.403e+38 in size",
    "binary_file": '(file): got a file that is not UTF-8 text (byte 128); allowed: a TOML text file (UTF-8)',
    # issue 22: single manipulations (identity switch) and error-modulated consolidation
    "prediction_switch_outcomes_per_cue": "prediction.task.switch.outcomes: got ['Y']; allowed: one value per cue (2: A, B)",
    "prediction_switch_outcomes_without_outcomes": "prediction.task.switch.outcomes: got ['Y', 'X']; allowed: new outcomes only when prediction.task.outcomes names each cue's outcome before the switch",
    "prediction_empty_outcome_name": "prediction.task.outcomes[1]: got ''; allowed: String should have at least 1 character",
    "prediction_switch_with_no_new_values": "prediction.task.switch: got a switch with no new values; allowed: latencies_ms, probabilities and/or outcomes",
    "prediction_negative_error_gain": "prediction.readout.what_error_gain: got -1.0; allowed: greater than or equal to 0",
}


def test_corpus_is_complete():
    assert sorted(path.stem for path in CORPUS.glob("*.toml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 25


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_malformed_protocol_is_rejected_with_its_message(stem, capsys):
    path = CORPUS / f"{stem}.toml"
    assert main(["validate", str(path), "--max-memory-gb", "8"]) == 2      # a fixed limit: the same message anywhere
    captured = capsys.readouterr()
    assert captured.err == f"error: {path}: {EXPECTED[stem]}\n"
    assert "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize("stem", ["negative_dt", "invalid_toml", "typo_in_neuron_name"])
def test_console_script_exits_2_without_traceback(stem):
    path = CORPUS / f"{stem}.toml"
    result = subprocess.run([sys.executable, "-m", "bioplastic", "run", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == f"error: {path}: {EXPECTED[stem]}\n"


def test_the_valid_base_protocol_validates(capsys):
    assert main(["validate", str(CORPUS.parent / "valid_small.toml")]) == 0


def test_output_piped_into_a_reader_that_stops_ends_quietly():
    """``bioplastic list | head -1``: the command stops without a BrokenPipeError traceback."""
    process = subprocess.Popen([sys.executable, "-m", "bioplastic", "list"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()                      # the reader goes away, as head does
    error = process.stderr.read().decode()
    assert process.wait() == 0 and first.strip() and error == ""


def test_a_protocol_path_that_is_a_directory_is_refused(tmp_path, capsys):
    assert main(["validate", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path}: (file): got a directory; allowed: a TOML file\n"


@pytest.mark.parametrize("model_file, found", [("", "no file"), ("missing.toml", "no file"), (".", "a directory")])
def test_a_model_file_that_is_not_a_file_names_the_protocol_and_model_file(model_file, found, tmp_path, capsys):
    path = tmp_path / "p.toml"
    path.write_text(f'name = "p"\n[simulation]\ndt_ms = 0.1\nduration_ms = 1.0\n[model]\nfile = "{model_file}"\n')
    assert main(["validate", str(path)]) == 2
    resolved = (tmp_path / model_file).resolve()
    assert capsys.readouterr().err == (f"error: {path}: model.file: got {model_file!r}, where there is {found} "
                                       f"({resolved}); allowed: the path of a model file, relative to the protocol's "
                                       "folder\n")


@pytest.mark.parametrize("assignment", ["=5", ".dt_ms=5", "simulation..dt_ms=5"])
def test_a_set_without_a_key_names_set(assignment, capsys):
    path = CORPUS.parent / "valid_small.toml"
    assert main(["validate", str(path), "--set", assignment]) == 2
    assert capsys.readouterr().err == (f"error: {path}: --set: got {assignment!r}; allowed: key.path=value with a key "
                                       "before each dot and the '=' (e.g. simulation.dt_ms=0.05)\n")


VALID = CORPUS.parent / "valid_small.toml"
SHORT = ["--set", "simulation.duration_ms=5", "--quiet"]


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert "Traceback" not in captured.err + captured.out
    return line


def test_an_out_folder_that_cannot_hold_runs_is_refused_before_anything_runs(tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("a file")
    assert main(["run", str(VALID), "--out", str(a_file), *SHORT]) == 2
    assert _one_error_line(capsys) == (f"error: --out {a_file}: got a file, not a folder; allowed: a folder this user "
                                       "may write in (it is created if missing)")
    assert main(["run", str(VALID), "--out", str(a_file / "runs"), *SHORT]) == 2
    assert _one_error_line(capsys) == (f"error: --out {a_file / 'runs'}: got a path below a file; allowed: a folder this "
                                       "user may write in (it is created if missing)")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_a_data_dir_that_is_a_file_is_refused_by_every_command(tmp_path, capsys):
    a_file = tmp_path / "cache"
    a_file.write_text("a file")
    expected = f"error: --data-dir: got {a_file}, a file; allowed: a folder for the dataset cache (it is created if missing)"
    for command in (["run", str(VALID), *SHORT, "--out", str(tmp_path / "runs")], ["validate", str(VALID)],
                    ["data", "list"]):
        assert main([*command, "--data-dir", str(a_file)]) == 2
        assert _one_error_line(capsys) == expected
    assert not (tmp_path / "runs").exists()


def test_a_resume_folder_that_is_not_a_stopped_run_exits_2(tmp_path, capsys):
    assert main(["run", str(VALID), "--resume", str(tmp_path), "--quiet"]) == 2
    assert _one_error_line(capsys) == (f"error: --resume {tmp_path}: got a folder that is not a run folder; allowed: a "
                                       "folder made by bioplastic run")
    assert main(["run", str(VALID), "--resume", str(tmp_path / "nowhere"), "--quiet"]) == 2
    assert _one_error_line(capsys) == (f"error: --resume {tmp_path / 'nowhere'}: got no folder; allowed: a folder made "
                                       "by bioplastic run")


def test_debug_shows_the_traceback_of_an_error():
    from bioplastic.protocol.errors import ProtocolError

    with pytest.raises(ProtocolError, match="simulation.dt_ms: got -0.1"):
        main(["validate", str(VALID), "--set", "simulation.dt_ms=-0.1", "--debug"])


def test_an_unexpected_error_is_one_line_that_asks_for_debug(capsys, monkeypatch):
    import bioplastic.experiments

    def broken(*args, **kwargs):
        raise TypeError("unsupported operand")

    monkeypatch.setattr(bioplastic.experiments, "describe", broken)
    assert main(["validate", str(VALID)]) == 1
    assert _one_error_line(capsys) == ("internal error: TypeError: unsupported operand (a bug in bioplastic: rerun with "
                                       "--debug for the traceback, and report it)")


def test_validate_prints_the_size_and_the_limits_can_be_moved(capsys):
    long = ["--set", "simulation.duration_ms=100000", "--set", "simulation.chunk_ms=10"]   # 10^6 steps of 0.1 ms
    assert main(["validate", str(VALID), *long]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("  size: about ")
    assert main(["validate", str(VALID), *long, "--max-steps", "999999"]) == 2
    assert _one_error_line(capsys) == (f"error: {VALID}: simulation.duration_ms: got 1,000,000 time steps; allowed: at "
                                       "most 999,999 (--max-steps raises the limit)")
    assert main(["validate", str(VALID), *long, "--max-memory-gb", "0.001"]) == 2
    assert _one_error_line(capsys).startswith(f"error: {VALID}: recordings.spikes: got a run that needs about ")


@pytest.mark.parametrize("option, value, message", [
    ("--max-steps", "0", "argument --max-steps: got '0'; allowed: a whole number > 0"),
    ("--max-steps", "1.5", "argument --max-steps: got '1.5'; allowed: a whole number > 0"),
    ("--max-memory-gb", "lots", "argument --max-memory-gb: got 'lots'; allowed: a number > 0"),
    ("--max-memory-gb", "inf", "argument --max-memory-gb: got 'inf'; allowed: a number > 0"),
])
def test_a_limit_that_is_not_a_positive_number_is_a_usage_error(option, value, message, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["validate", str(VALID), option, value])
    assert exit.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"bioplastic validate: error: {message}"
