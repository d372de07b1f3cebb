"""The limits each profile applies (``broadcast``, ``wcag``); ``iris-compat`` lives in iris.py.

Both profiles share the flash definitions of ITU-R BT.1702 / Ofcom / WCAG 2.x:

* general flash: a pair of opposing transitions of relative luminance, each a change of
  at least 0.1 (10 % of white) where the darker of the two states is below 0.8;
* red flash: a pair of opposing transitions of the red value ``max(0, (R - G - B) * 320)``
  (linear R, G, B; counted only where ``R / (R + G + B) >= 0.8``) changing by more than 20;
* a sequence fails when more than 3 flashes (more than 6 transitions) happen inside a
  half-open 1-second window of presentation time over an area above ``area_threshold``.

A harmful regular pattern (the optional pattern check) has the profile's
``pattern_severity``: ``fail`` for ``broadcast``, ``warning`` for ``wcag``.

They differ in what "area" means: ``broadcast`` measures the share of the whole screen;
``wcag`` the largest share of any 10-degree field of view, a rectangle ``field_width`` of
the frame width wide with a 4:3 aspect (341 x 256 px on a 1024 x 768 screen).

Example
-------
>>> PROFILES["broadcast"].max_transitions, PROFILES["wcag"].field_width
(6, 0.3333333333333333)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from moviemotion.registry import Registry


@dataclass(frozen=True)
class Profile:
    """Limits of one photosensitivity guideline.

    name: written into every output.
    area_threshold: flashing area (0-1) that must be *exceeded* to fail.
    field_width: ``None`` for the whole screen, else the 10-degree field's width as a share
        of the frame width (its height is ``0.75 *`` that width, in pixels).
    max_transitions: transitions allowed in any 1-second window (6 = 3 flashes).
    luminance_delta: smallest change of relative luminance that is a transition.
    darker_max: a luminance transition counts only if its darker state is below this.
    red_delta: a red transition is a change of the red value larger than this.
    extended: apply the extended-failure rule (2-3 flashes/s for 4 of the last 5 s).
    extended_window_s, extended_seconds: that rule's 5 s window and 4 s of sustained flashing.
    pattern_severity: severity of a harmful regular pattern found by the pattern check
        (``--pattern``): ``"fail"`` (``broadcast``: Ofcom's guidance does not permit one,
        static or moving, and Harding issues a failure) or ``"warning"`` (``wcag``: WCAG 2.x
        has no pattern rule, so a pattern is a warning there).
    """

    name: str
    area_threshold: float = 0.25
    field_width: float | None = None
    max_transitions: int = 6
    luminance_delta: float = 0.1
    darker_max: float = 0.8
    red_delta: float = 20.0
    extended: bool = False
    extended_window_s: float = 5.0
    extended_seconds: float = 4.0
    pattern_severity: Literal["fail", "warning"] = "fail"

    def __post_init__(self) -> None:
        if self.pattern_severity not in ("fail", "warning"):
            raise ValueError(f"pattern_severity must be 'fail' or 'warning', "
                             f"not {self.pattern_severity!r}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Every profile the CLI accepts. ``iris-compat`` is analyzed by moviemotion.flash.iris
#: (its entry carries the shared flash definitions; IRIS's own constants live in iris_rules).
PROFILES: Registry[Profile] = Registry("flash profile")
PROFILES.register("broadcast", Profile("broadcast"),
                  help="ITU-R BT.1702 / Ofcom: flashing area as a share of the whole screen")
PROFILES.register("wcag", Profile("wcag", field_width=1 / 3, pattern_severity="warning"),
                  help="WCAG 2.3.1: flashing area in any 10-degree field of view")
PROFILES.register("iris-compat", Profile("iris-compat"),
                  help="IRIS-compatible mode: IRIS's per-frame CSV, frame by frame")


def get_profile(name: str, **overrides: Any) -> Profile:
    """The named profile, with fields replaced by ``overrides`` (e.g. ``extended=True``)."""
    from dataclasses import replace

    profile = PROFILES.get(name)
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return replace(profile, **overrides)
