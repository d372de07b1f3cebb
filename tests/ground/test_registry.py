"""One registry type, and one conformance check over every entry of every registry."""

from __future__ import annotations

import pytest
from conformance import CHECKS

from moviemotion.errors import InputError
from moviemotion.registry import Registry, registries


def test_registry_basics():
    r: Registry[int] = Registry("test number")
    r.register("one", 1, help="the first")
    assert r.get("one") == 1 and "one" in r and list(r) == ["one"] and len(r) == 1
    assert r.help("one") == "the first"
    with pytest.raises(InputError, match="unknown test number 'two'; choose one of: one"):
        r.get("two")
    with pytest.raises(ValueError, match="twice"):
        r.register("one", 2)
    r.register("two-x", 2)
    assert r.parse_list("two-x, one,one") == ["two-x", "one"]
    assert r.parse_list(None) == ["one", "two-x"]
    with pytest.raises(InputError):
        r.parse_list("one,three")
    enum = r.choices()
    assert [e.value for e in enum] == ["one", "two-x"]


ENTRIES = [(kind, name) for kind, reg in registries().items() if not kind.startswith("test ")
           for name in reg.names()]


def test_every_part_has_a_registry():
    kinds = set(registries())
    assert {"face detector", "flash profile"} <= kinds


@pytest.mark.parametrize(("kind", "name"), ENTRIES, ids=[f"{k}:{n}" for k, n in ENTRIES])
def test_registry_entry_conforms(kind, name):
    """Every registered component passes its kind's conformance check."""
    reg = registries()[kind]
    entry = reg.get(name)
    assert reg.help(name), f"{kind} {name!r} has no help text"
    check = CHECKS.get(kind)
    assert check is not None, f"no conformance check for registry kind {kind!r}"
    check(name, entry)
