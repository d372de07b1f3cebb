"""The main job: audience recordings -> faces -> emotions -> per-second timeline -> report.

Data flows one way through small modules:

- :mod:`~moviemotion.audience.manifest`  which recordings, their seat labels and offsets
- :mod:`~moviemotion.audience.process`   one recording -> per-sample faces and emotions
- :mod:`~moviemotion.audience.runner`    many recordings in parallel (processes or Ray)
- :mod:`~moviemotion.audience.store`     per-recording results on disk (resume)
- :mod:`~moviemotion.audience.timeline`  per viewer and second, baselines, audience, peaks
- :mod:`~moviemotion.audience.outputs`   tables and run.json
- :mod:`~moviemotion.audience.job`       the whole job, as the CLI runs it
- :mod:`~moviemotion.audience.purge`     retention of stored results

>>> from moviemotion.audience import collect_recordings, run_audience      # doctest: +SKIP
>>> run_audience(collect_recordings(["seats/"]), Path("out"))
"""

from moviemotion.audience.job import JobResult, run_audience
from moviemotion.audience.manifest import Recording, collect_recordings
from moviemotion.audience.process import ProcessSettings, analyse_recording
from moviemotion.audience.timeline import Timeline, TimelineSettings, build_timeline

__all__ = [
    "JobResult",
    "ProcessSettings",
    "Recording",
    "Timeline",
    "TimelineSettings",
    "analyse_recording",
    "build_timeline",
    "collect_recordings",
    "run_audience",
]
