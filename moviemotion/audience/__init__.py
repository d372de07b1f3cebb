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

from moviemotion.audience.manifest import Recording, collect_recordings
from moviemotion.audience.recording import RecordingFaces, RecordingSettings, analyze_recording
from moviemotion.audience.timeline import Timeline, TimelineSettings, build_timeline

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
