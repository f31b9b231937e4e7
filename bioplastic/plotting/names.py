"""Readable panel titles from the names a protocol gives its populations, recordings and presets.

A protocol names things for the machine (``exc_v``, ``thalamo_cortical``, ``inh_spikes``);
a figure shows them to a reader. :func:`readable_name` is the one place that turns the
one into the other: known populations and firing classes get their full names (with the
usual abbreviation), a variable after a known population (``exc_v``, ``inh_spikes``) becomes
words after a comma, and anything else has its underscores turned into spaces and a capital first letter.

Example
-------
>>> from bioplastic.plotting.names import readable_name
>>> readable_name("exc_v"), readable_name("tc"), readable_name("output_rate")
('Excitatory population, membrane potential', 'Thalamo-cortical (TC)', 'Output rate')
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


def readable_name(name) -> str:
    """A title for a protocol name: a full population or firing-class name, then the variable, in words.

    Parameters
    ----------
    name : str
        A population, recording, preset or plot name (``"exc_v"``, ``"thalamo_cortical"``).

    Returns
    -------
    str
        ``"Excitatory population, membrane potential"``, ``"Thalamo-cortical (TC)"``; a
        name nothing here knows comes back with spaces for underscores and a capital first letter.

    Example
    -------
    >>> [readable_name(n) for n in ("regular_spiking", "INH_spikes", "afferents")]
    ['Regular spiking (RS)', 'Inhibitory population, spikes', 'Afferents']
    """
    text = str(name)
    key = text.lower()
    if key in POPULATION_NAMES:
        return POPULATION_NAMES[key]
    head, _, tail = key.rpartition("_")
    if head in POPULATION_NAMES and tail in VARIABLE_NAMES:
        return f"{POPULATION_NAMES[head]}, {VARIABLE_NAMES[tail]}"
    words = text.replace("_", " ")
    return words[:1].upper() + words[1:]


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
