"""The schema of a continual protocol (a ``[continual]`` table): a spiking MLP trained on a sequence
of permuted tasks, one after another.

Example
-------
>>> ContinualSpec(dataset="mnist", sizes=[784, 10], learning_rate=0.1).method
'hlop'
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import Discriminator, Field, Tag

from bioplastic.protocol.schema import ExperimentProtocol, Strict
from bioplastic.networks.spiking_mlp import TRAINERS
from bioplastic.train.continual import METHODS, ContinualSettings



_SETTINGS = ContinualSettings()      # the trainer's defaults, written once, in its settings
SEQUENCES = {          # name -> description; the one place a task sequence is named
    "permuted": "tasks pixel permutations of dataset",
    "split": "the classes of dataset in tasks equal groups of consecutive classes, each example labelled by its "
             "place in its group (one shared head of that many outputs: domain-incremental)",
    "datasets": "one task per dataset of datasets, in order, all with the same pixels and classes",
}


class SpikingNeuronSpec(Strict):
    """The HLOP code's discrete-time LIF neuron (time in the code's dimensionless units).

    Each input is shown for ``time_steps`` steps of ``dt``; a neuron spikes when its
    potential ``u`` reaches ``alpha * v_th`` and a spike carries ``v_th / dt``.

    Example
    -------
    >>> neuron = SpikingNeuronSpec()
    >>> neuron.time_steps, round(neuron.time_steps * neuron.dt, 4)          # 20 steps, one tau
    (20, 1.0)
    >>> round(neuron.alpha * neuron.v_th, 4), round(neuron.v_th / neuron.dt, 4)   # threshold, spike
    (0.09, 6.0)
    """

    time_steps: int = Field(20, ge=1, description="simulation steps per input")
    tau: float = Field(1.0, gt=0, description="membrane time constant (dimensionless, as dt)")
    dt: float = Field(0.05, gt=0, description="time step (dimensionless, as tau)")
    alpha: float = Field(0.3, gt=0, description="a spike when u >= alpha * v_th")
    v_th: float = Field(0.3, gt=0, description="subtracted from u at a spike; spikes carry v_th / dt")
    surrogate_width: float = Field(0.1, gt=0, description="bptt only: width of the fast-sigmoid surrogate (in u)")
    train_v_th: bool = Field(_SETTINGS.train_thresholds, description="each hidden layer's v_th learns during the first "
                             "task, then stays (DSR trainers; the HLOP code's train_Vth)")
    v_th_bound: float = Field(_SETTINGS.threshold_floor, gt=0, description="a learning v_th is kept >= this "
                              "(the HLOP code's Vth_bound)")


class HLOPSpec(Strict):
    """Lateral subspace neurons per layer (one number per weight layer, input layer first).

    The defaults fit a network with three weight layers (e.g. sizes ``[784, 100, 100, 10]``);
    that there is one number per weight layer, and that the rows fit, is checked when the
    protocol is built.

    Example
    -------
    >>> hlop = HLOPSpec()
    >>> hlop.rows_first, hlop.rows_added, hlop.learning_rates, hlop.spike_levels
    ([80, 200, 100], [70, 70, 70], [0.001, 0.01, 0.01], None)
    >>> HLOPSpec(momentum=1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for HLOPSpec
    momentum
      Input should be less than 1 [type=less_than, input_value=1.0, input_type=float]
    ...
    """

    rows_first: list[Annotated[int, Field(ge=0)]] = Field(list(_SETTINGS.hlop_rows_first), description="rows learned during the first task")
    rows_added: list[Annotated[int, Field(ge=0)]] = Field(list(_SETTINGS.hlop_rows_added), description="rows added at each later task")
    fewer_every: int = Field(_SETTINGS.hlop_fewer_every, ge=1, description="rows_added shrinks at every task index divisible by this")
    fewer_by: int = Field(_SETTINGS.hlop_fewer_by, ge=0, description="... by this many rows")
    learning_rates: list[Annotated[float, Field(gt=0)]] = Field(list(_SETTINGS.hlop_learning_rates), description="Hebbian learning rate per layer")
    iterations: int = Field(_SETTINGS.hlop_iterations, ge=1, description="Oja iterations per training batch")
    momentum: float = Field(_SETTINGS.hlop_momentum, ge=0, lt=1)
    spike_levels: Optional[int] = Field(_SETTINGS.hlop_spike_levels, ge=1, description="spiking lateral neurons: response levels")


_Fraction = Annotated[float, Field(gt=0, le=1)]


def _number_or_list(value):
    """The form of a threshold: ``"list"``, ``"number"`` or None (neither: one error that names both)."""
    if isinstance(value, list):
        return "list"
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# one number for every layer, or a list of one per layer; the discriminator picks the form, so
# an error names the entry at fault ("threshold[1]") instead of both forms' complaints
_Thresholds = Annotated[Union[Annotated[_Fraction, Tag("number")], Annotated[list[_Fraction], Tag("list")]],
                        Discriminator(_number_or_list, custom_error_type="number_or_list",
                                      custom_error_message="Input should be a number, or a list of one per weight layer")]
_Strengths = Annotated[Union[Annotated[float, Field(gt=0), Tag("number")],
                             Annotated[list[Annotated[float, Field(gt=0)]], Field(min_length=1), Tag("list")]],
                       Discriminator(_number_or_list, custom_error_type="number_or_list",
                                     custom_error_message="Input should be a number, or a list of numbers (a grid)")]


class EWCSpec(Strict):
    """Elastic weight consolidation (the ewc method).

    ``strength`` is one number, or a grid: then every value trains the whole sequence on
    the training sets less ``continual.validation_examples`` per task, the one with the best
    ACC on those held-out examples is chosen, and only its run is scored on the test sets
    (:mod:`bioplastic.train.selection`).

    Example
    -------
    >>> ewc = EWCSpec()
    >>> ewc.strength, ewc.fisher_examples
    (10.0, 1000)
    >>> EWCSpec(strength=[1, 3, 10, 30]).strength
    [1.0, 3.0, 10.0, 30.0]
    """

    strength: _Strengths = Field(
        _SETTINGS.ewc_strength, description="weight of the quadratic penalty, or a grid of them chosen on held-out "
        "training examples (continual.validation_examples)"
    )
    fisher_examples: int = Field(_SETTINGS.fisher_examples, ge=1, description="training images per task for the Fisher estimate")


class GPMSpec(Strict):
    """Gradient projection memory (the gpm method; Saha, Garg & Roy, ICLR 2021).

    After each task, each layer's basis grows until it holds the fraction ``threshold`` of
    the energy of its inputs on ``samples`` of the task's training images;
    ``threshold_increment`` is added at every later task (every task's threshold must stay
    <= 1, checked when the protocol is built, as is one threshold per weight layer when a
    list is given). The defaults are the paper's 10-split CIFAR-100 setting; its permuted
    MNIST setting is ``threshold = [0.95, 0.99, 0.99]``, ``threshold_increment = 0``,
    ``samples = 300``.

    Example
    -------
    >>> gpm = GPMSpec()
    >>> gpm.threshold, gpm.threshold_increment, gpm.samples
    (0.97, 0.003, 125)
    >>> GPMSpec(threshold=[0.95, 0.99, 0.99]).threshold
    [0.95, 0.99, 0.99]
    >>> GPMSpec(threshold=[0.95, 1.2])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for GPMSpec
    threshold.list.1
      Input should be less than or equal to 1 [type=less_than_equal, input_value=1.2, input_type=float]
    ...
    """

    threshold: _Thresholds = Field(_SETTINGS.gpm_threshold, description="energy fraction each layer's basis keeps "
                                   "(0 < threshold <= 1), one number or one per weight layer")
    threshold_increment: float = Field(_SETTINGS.gpm_threshold_increment, ge=0,
                                       description="added to the threshold at each later task")
    samples: int = Field(_SETTINGS.gpm_samples, ge=1, description="training images per task in the representation matrices")


class ContinualSpec(Strict):
    """A spiking MLP trained on permuted versions of a dataset, one task after another.

    The defaults follow the HLOP code: 10 tasks (task 0 permuted too), the rate-based
    ``dsr`` trainer, the ``hlop`` method, batches of 64 and standardized pixels; the
    neuron, HLOP, EWC and GPM tables take their own defaults.

    Example
    -------
    >>> spec = ContinualSpec(dataset="mnist", sizes=[784, 100, 100, 10], learning_rate=0.1)
    >>> spec.sequence, spec.tasks, spec.first_unpermuted, spec.trainer, spec.method, spec.batch_size, spec.input_scaling
    ('permuted', 10, False, 'dsr', 'hlop', 64, 'standardize')
    >>> ContinualSpec(sequence="datasets", datasets=["fashion_mnist", "mnist"], sizes=[784, 10], learning_rate=0.1).n_tasks
    2
    >>> spec.neuron.time_steps, spec.hlop.rows_first, spec.ewc.strength, spec.gpm.threshold
    (20, [80, 200, 100], 10.0, 0.97)
    >>> ContinualSpec(dataset="mnist", sizes=[784, 10], learning_rate=0.1, method="si")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ContinualSpec
    method
      Input should be 'hlop', 'gpm', 'finetune', 'ewc' or 'multitask' [type=literal_error, input_value='si', input_type=str]
    ...
    """

    sequence: Literal[tuple(SEQUENCES)] = Field("permuted", description="how the tasks are made: " + "; ".join(
        f"{name}: {description}" for name, description in SEQUENCES.items()))
    dataset: Optional[str] = Field(None, description="dataset name (bioplastic data list); sequences permuted and split")
    datasets: Optional[list[str]] = Field(None, description="sequence datasets: one task per dataset, in this order")
    tasks: int = Field(10, ge=1, description="tasks (permuted, split: groups of classes; datasets: as many as datasets)")
    first_unpermuted: bool = Field(False, description="task 0 the dataset as is (the HLOP code permutes it too)")
    sizes: list[int] = Field(min_length=2, description="layer sizes, input (pixels) to output (classes)")
    trainer: Literal[tuple(TRAINERS)] = Field("dsr", description="dsr: rate-based gradient (HLOP code); bptt: surrogate; "
                                              "dsr_fa: DSR with feedback alignment (fixed random feedback matrices)")
    method: Literal[tuple(METHODS)] = _SETTINGS.method
    learning_rate: float = Field(gt=0, description="SGD learning rate")
    batch_size: int = Field(_SETTINGS.batch_size, ge=1)
    epochs_per_task: int = Field(_SETTINGS.epochs_per_task, ge=1)
    input_scaling: Literal["unit", "standardize"] = "standardize"
    train_examples: Optional[int] = Field(None, ge=1, description="the first N training images of each task")
    validation_examples: Optional[int] = Field(None, ge=1, description="the last N of those held out of training "
                                               "(every method): they choose ewc.strength from a grid")
    test_examples: Optional[int] = Field(None, ge=1, description="the first N test images of each task")
    neuron: SpikingNeuronSpec = Field(default_factory=SpikingNeuronSpec)
    hlop: HLOPSpec = Field(default_factory=HLOPSpec)
    ewc: EWCSpec = Field(default_factory=EWCSpec)
    gpm: GPMSpec = Field(default_factory=GPMSpec)

    @property
    def n_tasks(self) -> int:
        """The tasks of the sequence: one per dataset for ``datasets``, else ``tasks``."""
        return len(self.datasets or ()) if self.sequence == "datasets" else self.tasks

    @property
    def dataset_names(self) -> list:
        """The datasets the sequence reads (those named; the build checks that the right key names them)."""
        return list(self.datasets or ()) if self.sequence == "datasets" else [self.dataset] if self.dataset else []


class ContinualProtocol(ExperimentProtocol):
    """A continual-learning experiment (chosen by a [continual] table).

    Example
    -------
    >>> protocol = ContinualProtocol.model_validate({"name": "pmnist", "continual": {
    ...     "dataset": "mnist", "sizes": [784, 100, 100, 10], "learning_rate": 0.1, "method": "ewc"}})
    >>> protocol.continual.method, protocol.continual.epochs_per_task, protocol.seed
    ('ewc', 1, 0)
    """

    continual: ContinualSpec
