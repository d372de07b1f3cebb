"""One registry type for everything chosen by name: face detectors, architectures, flash
profiles, movie analyzers ...

A :class:`Registry` maps names to objects (classes, factories or values) with a one-line help
text each. The CLI takes its choices from it, and ``tests/test_registries.py`` runs one
conformance check over every entry of every registry (scikit-learn's ``check_estimator`` idea).

>>> animals = Registry("animal")
>>> @animals.register("cat", help="purrs")
... class Cat: ...
>>> animals.get("cat") is Cat, animals.names()
(True, ['cat'])
>>> animals.get("dog")
Traceback (most recent call last):
...
moviemotion.errors.InputError: unknown animal 'dog'; choose one of: cat
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from moviemotion.errors import InputError

T = TypeVar("T")

#: Every registry made, by kind (for the conformance test and ``moviemotion --help``).
ALL: dict[str, Registry[Any]] = {}


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    obj: T
    help: str = ""


class Registry(Generic[T]):
    """Named entries of one kind (``"face detector"``, ``"architecture"`` ...)."""

    def __init__(self, kind: str, *, error: type[InputError] = InputError):
        self.kind = kind
        self.error = error
        self._entries: dict[str, Entry[T]] = {}
        ALL[kind] = self

    def register(self, name: str, obj: T | None = None, *, help: str = "") -> Any:
        """Add ``obj`` under ``name``; without ``obj``, a decorator."""
        def add(o: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            text = help or (getattr(o, "__doc__", None) or "").strip().split("\n")[0]
            self._entries[name] = Entry(name, o, text)
            return o

        if obj is None:
            return add
        return add(obj)

    def get(self, name: str) -> T:
        """The entry called ``name``; an unknown name is a one-line :class:`InputError`."""
        try:
            return self._entries[name].obj
        except KeyError:
            raise self.error(f"unknown {self.kind} {name!r}; choose one of: "
                             f"{', '.join(self.names())}") from None

    def help(self, name: str) -> str:
        self.get(name)
        return self._entries[name].help

    def names(self) -> list[str]:
        return list(self._entries)

    def parse_list(self, text: str | None, default: list[str] | None = None) -> list[str]:
        """``"a,b"`` -> ``["a", "b"]``, every name checked (order kept, repeats dropped)."""
        if text is None or not text.strip():
            return list(default if default is not None else self.names())
        names = [n.strip() for n in text.split(",") if n.strip()]
        for n in names:
            self.get(n)
        return list(dict.fromkeys(names))

    def choices(self) -> type[enum.Enum]:
        """A ``str`` Enum of the names, for Typer options."""
        return enum.Enum(self.kind.title().replace(" ", ""),  # type: ignore[return-value]
                         {n.replace("-", "_"): n for n in self.names()}, type=str)

    def items(self) -> Iterator[tuple[str, T]]:
        return ((e.name, e.obj) for e in self._entries.values())

    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def describe(self) -> str:
        """``name  help`` lines, for ``--help`` texts."""
        return "\n".join(f"{e.name}: {e.help}" for e in self._entries.values())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"


def registries() -> dict[str, Registry[Any]]:
    """Every registry, after importing the modules that fill them."""
    import importlib

    for mod in _FILLED_BY:
        importlib.import_module(mod)
    return dict(ALL)


#: Modules whose import fills a registry (kept here so the conformance test finds them all).
_FILLED_BY: tuple[str, ...] = (
    "moviemotion.faces.detector",
    "moviemotion.flash.profiles",
    "moviemotion.learn.archs",
    "moviemotion.content.analyzers",
)
