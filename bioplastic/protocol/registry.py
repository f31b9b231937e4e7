"""Name registries: components that protocols refer to by name.

A :class:`Registry` maps names to entries (a factory and a one-line description). An
unknown name is rejected with the list of known names and the closest match, at the key
path where it was written. ``bioplastic list`` prints every registry.

Example
-------
>>> from bioplastic.protocol.registry import Registry
>>> colours = Registry("colour")
>>> colours.register("red", "#f00", "a warm colour")
>>> colours.get("red")
'#f00'
>>> colours.get("rde", where="style.colour")
Traceback (most recent call last):
...
bioplastic._checks.BadInput: style.colour: got 'rde'; allowed: 'red' (did you mean 'red'?)
"""

from __future__ import annotations

from typing import Any

from bioplastic._checks import check_choice


class Registry:
    """Named entries of one kind (neurons, synapses, rules, plots, ...).

    ``kind`` names the entries in messages (``"neuron"``, ``"learning rule"``). Each entry
    is any object -- a factory, a tuple of a factory and the keys it needs -- with a
    one-line description.

    Example
    -------
    >>> shapes = Registry("shape")
    >>> shapes.register("square", 4, "four equal sides")
    >>> shapes.register("triangle", 3, "three sides")
    >>> shapes.kind, shapes.names(), shapes.get("triangle")
    ('shape', ('square', 'triangle'), 3)
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, tuple[Any, str]] = {}

    def register(self, name: str, entry: Any, description) -> None:
        """Add ``entry`` under ``name``; a name is registered once.

        Parameters
        ----------
        name : str
            Name protocols refer to the entry by.
        entry : object
            The registered object (a factory, or a tuple of a factory and the keys it needs).
        description : str or callable
            One-line description, for listings (``bioplastic list``); a callable returning it
            is called only when listed (an entry whose description needs a heavy import).

        Raises
        ------
        ValueError
            ``name`` is already registered.

        Example
        -------
        >>> shapes = Registry("shape")
        >>> shapes.register("square", 4, "four equal sides")
        >>> shapes.register("square", 5, "again")
        Traceback (most recent call last):
        ...
        ValueError: shape 'square' is already registered
        """
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = (entry, description)

    def get(self, name: str, where: str = "name") -> Any:
        """The entry called ``name``, or ``BadInput`` naming the known ones and the closest.

        ``where`` is the key path the name was written at; it starts the error message.

        Example
        -------
        >>> shapes = Registry("shape")
        >>> shapes.register("square", 4, "four equal sides")
        >>> shapes.register("triangle", 3, "three sides")
        >>> shapes.get("square")
        4
        >>> shapes.get("tringle", where="plots.a.shape")
        Traceback (most recent call last):
        ...
        bioplastic._checks.BadInput: plots.a.shape: got 'tringle'; allowed: 'square', 'triangle' (did you mean 'triangle'?)
        """
        return self._entries[check_choice(name, where, tuple(self._entries))][0]

    def names(self) -> tuple[str, ...]:
        """Registered names, in registration order.

        Example
        -------
        >>> shapes = Registry("shape")
        >>> for name, sides in [("triangle", 3), ("square", 4)]:
        ...     shapes.register(name, sides, f"{sides} sides")
        >>> shapes.names()
        ('triangle', 'square')
        """
        return tuple(self._entries)

    def describe(self) -> list[tuple[str, str]]:
        """``(name, description)`` pairs, for listings.

        Example
        -------
        >>> shapes = Registry("shape")
        >>> shapes.register("square", 4, "four equal sides")
        >>> shapes.register("circle", 0, lambda: "no sides")
        >>> shapes.describe()
        [('square', 'four equal sides'), ('circle', 'no sides')]
        """
        return [(name, description() if callable(description) else description)
                for name, (_, description) in self._entries.items()]
