"""The audience part: recordings -> faces -> emotions -> per-second timeline (tables).

Data flows one way through small modules:

- :mod:`~moviemotion.audience.manifest`   which recordings, their seat labels and offsets
- :mod:`~moviemotion.audience.recording`  one recording -> per-sample faces and emotions
- :mod:`~moviemotion.audience.runner`     many recordings in parallel (worker processes or Ray)
- :mod:`~moviemotion.audience.store`      per-recording results on disk (resume)
- :mod:`~moviemotion.audience.timeline`   per viewer and second, baselines, audience, peaks
- :mod:`~moviemotion.audience.outputs`    the tables and run.json
- :mod:`~moviemotion.audience.purge`      retention of stored results

The whole job as the CLI runs it (checks, lock, outputs, report) is
:func:`moviemotion.jobs.audience.run_audience`.

>>> from moviemotion.audience import collect_recordings               # doctest: +SKIP
>>> from moviemotion.jobs.audience import run_audience
>>> run_audience(collect_recordings(["seats/"]), Path("out"))
"""

import importlib

#: Public names -> their modules, imported on first use (a worker process imports this
#: package before anything heavy; see :mod:`~moviemotion.audience.worker`).
_EXPORTS = {
    "Recording": "manifest", "collect_recordings": "manifest",
    "RecordingFaces": "recording", "RecordingSettings": "recording", "analyze_recording": "recording",
    "Timeline": "timeline", "TimelineSettings": "timeline", "build_timeline": "timeline",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"moviemotion.audience.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'moviemotion.audience' has no attribute {name!r}")


__all__ = [
    "Recording",
    "RecordingFaces",
    "RecordingSettings",
    "Timeline",
    "TimelineSettings",
    "analyze_recording",
    "build_timeline",
    "collect_recordings",
]
