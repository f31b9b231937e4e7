"""Readable panel titles from the names a protocol gives its populations, recordings and presets.

A protocol names things for the machine (``exc_v``, ``thalamo_cortical``, ``inh_spikes``);
a figure shows them to a reader. :func:`readable_name` is the one place that turns the
one into the other: known populations and firing classes get their full names (with the
usual abbreviation), a variable after a known population (``exc_v``, ``inh_spikes``) becomes
words after a comma, the abbreviations of the papers (HPC, EC, FORCE, HLOP, BWT, ...) are
written in capitals, and anything else has its underscores turned into spaces and a capital
first letter. :func:`quantity_label` makes an axis label from a metric or protocol key: its
words, then its unit in parentheses, read from the key (``_hz``, ``_ms``, ``_m``, ...) or,
for a dimensionless quantity, what it counts (``accuracy (fraction)``, ``CKA (unitless)``).

Example
-------
>>> from bioplastic.plotting.names import readable_name, quantity_label
>>> readable_name("exc_v"), readable_name("tc"), readable_name("output_rate")
('Excitatory population, membrane potential', 'Thalamo-cortical (TC)', 'Output rate')
>>> quantity_label("mean_rate_hz_exc"), quantity_label("test_accuracy")
('mean rate, excitatory population (Hz)', 'test accuracy (fraction)')
"""

from __future__ import annotations


#: Full names of populations and of the Izhikevich (2003) firing classes, by lower-case protocol name.
POPULATION_NAMES: dict = {
    "exc": "Excitatory population", "e": "Excitatory population", "excitatory": "Excitatory population",
    "inh": "Inhibitory population", "i": "Inhibitory population", "inhibitory": "Inhibitory population",
}
for _key, _abbreviation, _name in (
    ("regular_spiking", "RS", "Regular spiking"),
    ("intrinsically_bursting", "IB", "Intrinsically bursting"),
    ("chattering", "CH", "Chattering"),
    ("fast_spiking", "FS", "Fast spiking"),
    ("low_threshold_spiking", "LTS", "Low-threshold spiking"),
    ("thalamo_cortical", "TC", "Thalamo-cortical"),
    ("resonator", "RZ", "Resonator"),
):
    POPULATION_NAMES[_key] = POPULATION_NAMES[_abbreviation.lower()] = f"{_name} ({_abbreviation})"

#: Words for recorded variables, by the name a protocol or a recording uses.
VARIABLE_NAMES: dict = {
    "v": "membrane potential", "u": "recovery variable", "spike": "spikes", "spikes": "spikes",
    "rate": "rate", "output": "output", "w": "weights", "weight": "weights", "weights": "weights",
    "refractory_steps": "refractory steps left",
}


#: Abbreviations the papers write in capitals, by lower-case word of a protocol name.
ABBREVIATIONS: dict = {
    word: word.upper()
    for word in ("hpc", "ec", "ca1", "ca3", "force", "hlop", "gpm", "ewc", "bp", "dp", "ep", "ccl", "cka", "acc", "bwt",
                 "stdp", "istdp", "bcm", "isi", "mse", "pc1", "sgd", "mlp", "cv")
}

#: Whole names that read better written out, by lower-case protocol name.
NAMES: dict = {
    "three_factor": "Three-factor", "force_reset": "FORCE (reset)", "finetune": "Fine-tuning",
    "multitask": "Multitask", "backprop": "Backprop", "counter_current": "Counter-current (CCL)",
    "dual_propagation": "Dual propagation (DP)",
}

#: The unit each unit word of a key stands for (``rate_hz``, ``delay_ms``, ``error_m``).
UNIT_WORDS: dict = {"hz": "Hz", "ms": "ms", "s": "s", "min": "min", "minutes": "min", "mv": "mV", "m": "m",
                    "pct": "%", "percent": "%", "seconds": "s", "na": "nA", "ns": "nS"}

#: Unit words that are words of the label too (``seconds_per_task`` -> ``seconds per task (s)``).
SPELLED_UNITS: frozenset = frozenset({"seconds", "minutes", "percent"})

#: What a dimensionless quantity is measured in, by a word of its key; the last such word of a key wins.
DIMENSIONLESS_WORDS: dict = {
    "accuracy": "fraction", "acc": "fraction", "bwt": "fraction", "fraction": "fraction", "probability": "fraction",
    "loss": "unitless", "correlation": "unitless", "cosine": "unitless", "ratio": "unitless", "cka": "unitless",
    "gain": "unitless", "autocorrelation": "unitless", "mismatch": "unitless",
    "trials": "trials", "trial": "number", "epoch": "number", "epochs": "epochs", "rank": "1 = largest",
    "count": "count", "spikes": "count", "seed": "integer", "step": "number", "steps": "steps",
}


def _words(text: str) -> str:
    """The words of a name: underscores to spaces, known abbreviations in capitals, the rest as written."""
    return " ".join(ABBREVIATIONS.get(word.lower(), word) for word in text.split("_") if word)


def readable_name(name) -> str:
    """A title for a protocol name: a full population or firing-class name, then the variable, in words.

    Parameters
    ----------
    name : str
        A population, recording, preset, layer, learner, method or plot name (``"exc_v"``,
        ``"thalamo_cortical"``, ``"hpc"``, ``"three_factor"``).

    Returns
    -------
    str
        ``"Excitatory population, membrane potential"``, ``"Thalamo-cortical (TC)"``,
        ``"HPC"``; a name nothing here knows comes back with spaces for underscores, the
        abbreviations of :data:`ABBREVIATIONS` in capitals and a capital first letter.

    Example
    -------
    >>> [readable_name(n) for n in ("regular_spiking", "INH_spikes", "afferents", "hpc_loss", "three_factor")]
    ['Regular spiking (RS)', 'Inhibitory population, spikes', 'Afferents', 'HPC loss', 'Three-factor']
    """
    text = str(name)
    key = text.lower()
    if key in POPULATION_NAMES:
        return POPULATION_NAMES[key]
    if key in NAMES:
        return NAMES[key]
    head, _, tail = key.rpartition("_")
    if head in POPULATION_NAMES and tail in VARIABLE_NAMES:
        return f"{POPULATION_NAMES[head]}, {VARIABLE_NAMES[tail]}"
    words = _words(text)
    return words[:1].upper() + words[1:]


def quantity_label(name, fallback: str = "as recorded") -> str:
    """An axis label for a metric or protocol key: its words, then its unit in parentheses.

    The unit is read from the key's unit word (``_hz`` -> Hz, ``_ms`` -> ms, ``_s`` -> s,
    ``_mv`` -> mV, ``_m`` -> m; :data:`UNIT_WORDS`); a key without one but with a
    dimensionless word (:data:`DIMENSIONLESS_WORDS`: ``accuracy``, ``loss``,
    ``correlation``, ``trials``, ...) says what it is measured in; any other key gets
    ``fallback``. Words after the unit name a population (``mean_rate_hz_exc``). A dotted
    protocol path keeps its last two parts (``simulation.dt_ms`` -> ``simulation dt (ms)``).

    Parameters
    ----------
    name : str
        A metric name (``"mean_rate_hz_exc"``, ``"bwt"``) or a swept protocol key
        (``"model.projections.ee.weight"``).
    fallback : str
        What the parentheses say when the key names no unit and no known dimensionless
        quantity (``"as recorded"``; ``"as in the protocol"`` for a swept key).

    Returns
    -------
    str

    Example
    -------
    >>> quantity_label("first_time_at_w_max_s"), quantity_label("bwt"), quantity_label("force_trials_to_recover")
    ('first time at w max (s)', 'BWT (fraction)', 'FORCE trials to recover (trials)')
    >>> quantity_label("seconds_per_task"), quantity_label("mean_rate_hz_all")
    ('seconds per task (s)', 'mean rate, all populations (Hz)')
    >>> quantity_label("simulation.dt_ms"), quantity_label("rules.a_plus", fallback="as in the protocol")
    ('simulation dt (ms)', 'rules a plus (as in the protocol)')
    """
    parts = str(name).split(".")
    words = [word for word in "_".join(parts[-2:]).split("_") if word]
    lower = [word.lower() for word in words]
    unit_at = next((index for index in range(len(words) - 1, -1, -1) if lower[index] in UNIT_WORDS
                    and (index > 0 or lower[index] in SPELLED_UNITS)), None)
    if unit_at is not None:
        spelled = lower[unit_at] in SPELLED_UNITS
        text = _words("_".join(words if spelled else words[:unit_at]))
        owner = "" if spelled else "_".join(lower[unit_at + 1:])
        if owner:
            whose = "all populations" if owner == "all" else POPULATION_NAMES.get(owner, _words(owner))
            text += ", " + whose[:1].lower() + whose[1:]
        return f"{text} ({UNIT_WORDS[lower[unit_at]]})"
    kinds = [DIMENSIONLESS_WORDS[word] for word in lower if word in DIMENSIONLESS_WORDS]
    return f"{_words('_'.join(words))} ({kinds[-1] if kinds else fallback})"


def recording_title(population: str, variable: str) -> str:
    """The title of a recording: its population's readable name and its variable in words.

    Example
    -------
    >>> recording_title("thalamo_cortical", "v")
    'Thalamo-cortical (TC), membrane potential'
    >>> recording_title("exc", "rule.theta")
    'Excitatory population, rule.theta'
    """
    return f"{readable_name(population)}, {VARIABLE_NAMES.get(variable, variable)}"
