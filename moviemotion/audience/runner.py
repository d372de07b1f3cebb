"""Analyse many recordings in parallel: worker processes by default, Ray with ``use_ray``.

Each worker loads the emotion model once (process-pool initializer / Ray actor) and
analyses whole recordings; the driver stores each result as it arrives
(:mod:`moviemotion.audience.store`), so an interrupted run resumes where it stopped.
A recording that fails (corrupt, unreadable) is reported in its :class:`Outcome` while
the others finish.

Example
-------
>>> from moviemotion.audience.runner import analyse_all, default_classifier_factory  # doctest: +SKIP
>>> outcomes = analyse_all(recs, Path("out"), ProcessSettings(), default_classifier_factory(), jobs=2)
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import multiprocessing as mp
import os
import queue as queue_mod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from moviemotion.audience import store
from moviemotion.audience.manifest import Recording
from moviemotion.audience.process import (
    Classifier,
    ProcessSettings,
    RecordingFaces,
    analyse_recording,
)
from moviemotion.errors import InputError, ModelError, MovieMotionError

ClassifierFactory = Callable[[], Classifier]


@dataclass
class Outcome:
    """What happened to one recording: its result, or the error that stopped it."""

    recording: Recording
    faces: RecordingFaces | None = None
    error: str | None = None
    reused: bool = False


def load_predictor(path: str | None = None, threads: int = 1) -> Classifier:
    """The shipped emotion model (or the ``.onnx`` at ``path``) as a classifier."""
    from moviemotion.emotion import Predictor

    return Predictor(path, threads=threads) if path else Predictor(threads=threads)


def default_classifier_factory(model: str | os.PathLike[str] | None = None, threads: int = 1) -> ClassifierFactory:
    """A picklable factory of the ONNX predictor (one load per worker)."""
    return functools.partial(load_predictor, str(model) if model else None, threads)


def model_id(model: str | os.PathLike[str] | None = None) -> str:
    """A short content hash of the model file (part of the resume key)."""
    if model is None:
        from moviemotion.emotion.predictor import DEFAULT_MODEL

        model = DEFAULT_MODEL
    path = Path(model)
    if not path.is_file():
        raise ModelError(f"{path}: emotion model not found")
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return f"{path.name}:{h.hexdigest()[:16]}"


def _crops_dir(crops_root: Path | None, rec: Recording) -> Path | None:
    return crops_root / rec.label if crops_root is not None else None


def _analyse(classifier: Classifier, rec: Recording, settings: ProcessSettings,
             crops_root: Path | None, report: Callable[[int], None] | None) -> Outcome:
    try:
        faces = analyse_recording(rec.path, classifier, settings, on_progress=report,
                                  crops_dir=_crops_dir(crops_root, rec))
        return Outcome(rec, faces)
    except MovieMotionError as exc:
        return Outcome(rec, error=exc.message)
    except Exception as exc:  # one broken recording must not stop the others
        return Outcome(rec, error=f"{rec.path}: {type(exc).__name__}: {exc}")


# -- process pool ------------------------------------------------------------------------------
_WORKER: dict = {}


def _init_worker(factory: ClassifierFactory, progress_queue) -> None:
    import cv2

    cv2.setNumThreads(1)
    _WORKER["classifier"] = factory()
    _WORKER["queue"] = progress_queue


def _pool_task(rec: Recording, settings: ProcessSettings, crops_root: Path | None) -> Outcome:
    q = _WORKER["queue"]
    report = (lambda n: q.put((rec.label, n))) if q is not None else None
    return _analyse(_WORKER["classifier"], rec, settings, crops_root, report)


# -- Ray ---------------------------------------------------------------------------------------
class _RayAnalyser:
    """A Ray actor holding one loaded model."""

    def __init__(self, factory: ClassifierFactory):
        import cv2

        cv2.setNumThreads(1)
        self.classifier = factory()

    def run(self, rec: Recording, settings: ProcessSettings, crops_root: Path | None) -> Outcome:
        return _analyse(self.classifier, rec, settings, crops_root, None)


def _run_ray(todo, settings, factory, jobs, crops_root, address, done):
    try:
        import ray
        from ray.util import ActorPool
    except ImportError:
        raise InputError("--ray needs Ray: pip install 'moviemotion[ray]'") from None
    if not ray.is_initialized():
        kw = {"address": address} if address else {"num_cpus": jobs}
        ray.init(include_dashboard=False, log_to_driver=False, ignore_reinit_error=True, **kw)
    actor = ray.remote(num_cpus=1)(_RayAnalyser)
    pool = ActorPool([actor.remote(factory) for _ in range(max(1, min(jobs, len(todo))))])
    try:
        for outcome in pool.map_unordered(lambda a, r: a.run.remote(r, settings, crops_root), todo):
            done(outcome)
    except ray.exceptions.RayError as exc:  # a worker could not start or died
        reason = str(exc).strip().splitlines()[-1][:300]
        raise MovieMotionError(f"Ray workers failed: {reason}") from None


# -- driver ------------------------------------------------------------------------------------
def analyse_all(
    recordings: list[Recording],
    out_dir: Path,
    settings: ProcessSettings,
    factory: ClassifierFactory,
    jobs: int = 1,
    use_ray: bool = False,
    ray_address: str | None = None,
    crops_root: Path | None = None,
    show_progress: bool = True,
) -> list[Outcome]:
    """Analyse ``recordings`` (reusing finished ones stored under ``out_dir``), in order."""
    from moviemotion.progress import progress_bar

    outcomes: dict[str, Outcome] = {}
    todo: list[Recording] = []
    for rec in recordings:
        faces = store.load(out_dir, rec, settings)
        if faces is not None:
            outcomes[rec.label] = Outcome(rec, faces, reused=True)
        else:
            todo.append(rec)
    jobs = max(1, min(jobs, len(todo))) if todo else 1
    with progress_bar(disable=not show_progress) as bar:
        overall = bar.add_task("recordings", total=len(recordings), completed=len(outcomes), unit="recordings")
        tasks = {r.label: bar.add_task(f"  {r.label}", total=_expected_samples(r, settings), unit="samples")
                 for r in todo}

        def update(label: str, n: int) -> None:
            bar.update(tasks[label], completed=n)

        def done(o: Outcome) -> None:
            if o.faces is not None:
                store.save(out_dir, o.recording, o.faces, settings)
                bar.update(tasks[o.recording.label], completed=o.faces.stats["samples"],
                           total=o.faces.stats["samples"])
            outcomes[o.recording.label] = o
            bar.advance(overall)

        if not todo:
            pass
        elif use_ray:
            _run_ray(todo, settings, factory, jobs, crops_root, ray_address, done)
        elif jobs == 1:
            classifier = factory()
            for rec in todo:
                done(_analyse(classifier, rec, settings, crops_root,
                              functools.partial(update, rec.label)))
        else:
            _run_pool(todo, settings, factory, jobs, crops_root, update, done)
    return [outcomes[r.label] for r in recordings]


def _run_pool(todo, settings, factory, jobs, crops_root, update, done) -> None:
    ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
    with ctx.Manager() as manager:
        q = manager.Queue()
        with cf.ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker,
                                    initargs=(factory, q)) as pool:
            pending = {pool.submit(_pool_task, rec, settings, crops_root): rec for rec in todo}
            while pending:
                finished, _ = cf.wait(pending, timeout=0.25, return_when=cf.FIRST_COMPLETED)
                _drain(q, update)
                for fut in finished:
                    rec = pending.pop(fut)
                    try:
                        done(fut.result())
                    except Exception as exc:  # a worker died (e.g. the model failed to load)
                        done(Outcome(rec, error=f"{rec.path}: worker failed: {type(exc).__name__}: {exc}"))
            _drain(q, update)


def _drain(q, update) -> None:
    while True:
        try:
            label, n = q.get_nowait()
        except (queue_mod.Empty, EOFError, OSError):
            return
        update(label, n)


def _expected_samples(rec: Recording, settings: ProcessSettings) -> int | None:
    from moviemotion.video import probe

    try:
        d = probe(rec.path).duration
    except MovieMotionError:
        return None
    return int(d * settings.fps) + 1 if d == d else None
