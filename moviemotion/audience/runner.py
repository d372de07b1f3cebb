"""Analyze many recordings in parallel: worker processes by default, Ray with ``use_ray``.

Each worker process loads the emotion model once and analyzes whole recordings, one at a
time, talking to the driver over its own pipe (tasks in; progress and results out). The
driver stores each result as it arrives (:mod:`moviemotion.audience.store`), so an
interrupted run resumes where it stopped. Failures stay local:

- a recording that fails (corrupt, unreadable) is reported in its :class:`Outcome` while
  the others finish;
- a worker that dies (OOM kill, a decoder crash) costs only the recording it held: that
  recording is retried once in a fresh worker, then marked failed; the other recordings
  carry on in the other workers;
- workers die with the driver (``PR_SET_PDEATHSIG`` on Linux, and a watchdog thread that
  polls the parent everywhere), so a killed job leaves no process behind;
- on an exception in the driver (Ctrl-C, SIGTERM turned into an exception by the job)
  the workers are killed at once; finished recordings are already stored.

Each worker gets ``cores // jobs`` threads (OpenCV and onnxruntime intra-op), so that
``jobs`` workers do not oversubscribe the machine.

Example
-------
>>> from moviemotion.audience.runner import analyze_all, default_classifier_factory  # doctest: +SKIP
>>> outcomes = analyze_all(recs, Path("out"), RecordingSettings(), default_classifier_factory(), jobs=2)
"""

from __future__ import annotations

import collections
import functools
import hashlib
import multiprocessing as mp
import multiprocessing.connection as mpc
import os
import pickle
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moviemotion.audience import store, worker
from moviemotion.audience.manifest import Recording
from moviemotion.audience.recording import (
    Classifier,
    RecordingFaces,
    RecordingSettings,
    analyze_recording,
)
from moviemotion.emotion.labels import EMOTIONS
from moviemotion.errors import InputError, ModelError, MovieMotionError

ClassifierFactory = Callable[[], Classifier]

#: How many times a recording is retried in a fresh worker after its worker died.
RETRIES = 1


@dataclass
class Outcome:
    """What happened to one recording: its result, or the error that stopped it."""

    recording: Recording
    faces: RecordingFaces | None = None
    error: str | None = None
    reused: bool = False
    attempts: int = 1


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, else the CPU count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def worker_threads(jobs: int) -> int:
    """Threads per worker (OpenCV, onnxruntime intra-op) so that ``jobs`` workers fill the
    cores without oversubscribing them."""
    return max(1, available_cores() // max(1, jobs))


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
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return f"{path.name}:{digest[:16]}"


def check_classifier(classifier: Classifier, name: str) -> None:
    """Refuse a model that does not answer like an emotion model: classes in
    :data:`EMOTIONS` order, ``(N, 7)`` finite probabilities for a few blank faces."""
    classes = tuple(getattr(classifier, "classes", ()))
    if classes != EMOTIONS:
        raise ModelError(f"{name}: the emotion model's classes {classes} are not {EMOTIONS}")
    probe = np.full((2, 48, 48), 128, np.uint8)
    try:
        out = np.asarray(classifier.predict(probe), np.float64)
    except MovieMotionError:
        raise
    except Exception as exc:  # onnxruntime raises its own types
        raise ModelError(f"{name}: the emotion model fails on a 48x48 face "
                         f"({type(exc).__name__}: {str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ''})"
                         ) from None
    if out.shape != (2, len(EMOTIONS)):
        raise ModelError(f"{name}: the emotion model returns shape {out.shape[1:]} per face, "
                         f"expected ({len(EMOTIONS)},)")
    if not np.isfinite(out).all():
        raise ModelError(f"{name}: the emotion model returns NaN or infinite values")


def _crops_dir(crops_root: Path | None, rec: Recording) -> Path | None:
    return crops_root / rec.label if crops_root is not None else None


def has_crops(crops_root: Path | None, rec: Recording) -> bool:
    """Whether ``crops_root/<label>`` holds any crop image."""
    d = _crops_dir(crops_root, rec)
    return d is not None and d.is_dir() and any(p.suffix == ".png" for p in d.iterdir())


def load_embedder(threads: int = 1):
    """The shipped face embedding model (:class:`moviemotion.faceid.verifier.FaceVerifier`),
    for ``--reidentify``."""
    from moviemotion.faceid.verifier import FaceVerifier

    return FaceVerifier(threads=threads)


def _analyze(classifier: Classifier, rec: Recording, settings: RecordingSettings,
             crops_root: Path | None, report: Callable[[int], None] | None, threads: int = 1,
             embedder=None) -> Outcome:
    try:
        faces = analyze_recording(rec.path, classifier, settings, on_progress=report,
                                  crops_dir=_crops_dir(crops_root, rec), threads=threads, embedder=embedder)
        return Outcome(rec, faces)
    except MovieMotionError as exc:
        return Outcome(rec, error=exc.message)
    except Exception as exc:  # one broken recording must not stop the others
        return Outcome(rec, error=f"{rec.path}: {type(exc).__name__}: {exc}")


# -- worker processes ---------------------------------------------------------------------------
def serve(conn, factory: ClassifierFactory, threads: int) -> None:
    """In a worker (after :func:`moviemotion.audience.worker.main`): load the model, then
    analyze the recordings sent over ``conn`` until None."""
    import cv2

    cv2.setNumThreads(threads)
    try:
        classifier = factory()
    except MovieMotionError as exc:
        conn.send(("failed", exc.message))
        return
    except Exception as exc:
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready",))
    embedder = None
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        rec, settings, crops_root, reidentify = task
        if reidentify and embedder is None:
            embedder = load_embedder(threads)  # validated by the job before any work
        mp.current_process().name = f"audience-worker:{rec.label}"

        def report(n: int, label: str = rec.label) -> None:
            conn.send(("progress", label, n))

        conn.send(("done", _analyze(classifier, rec, settings, crops_root, report, threads,
                                    embedder if reidentify else None)))


class _Worker:
    """One worker process, its pipe and the recording it holds."""

    def __init__(self, ctx, factory: ClassifierFactory, threads: int):
        self.conn, child = ctx.Pipe()
        payload = pickle.dumps((serve, factory))
        self.proc = ctx.Process(target=worker.main, args=(child, payload, os.getpid(), threads),
                                name="moviemotion-audience-worker", daemon=True)
        self.proc.start()
        child.close()
        self.ready = False
        self.task: Recording | None = None

    def give(self, rec: Recording, settings: RecordingSettings, crops_root: Path | None,
             reidentify: bool = False) -> None:
        self.task = rec
        self.conn.send((rec, settings, crops_root, reidentify))

    def messages(self) -> tuple[list[tuple], bool]:
        """Everything the worker sent so far, and whether its pipe is still open."""
        out = []
        try:
            while self.conn.poll():
                out.append(self.conn.recv())
        except (EOFError, OSError):
            return out, False
        return out, True

    def stop(self, now: bool) -> None:
        if not now and self.proc.is_alive():
            try:
                self.conn.send(None)
            except OSError:
                pass
            self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


def _death(proc) -> str:
    code = proc.exitcode
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _run_pool(todo: list[Recording], settings: RecordingSettings, factory: ClassifierFactory, jobs: int,
              crops_root: Path | None, update: Callable[[str, int], None],
              done: Callable[[Outcome], None], reidentify: bool = False) -> None:
    ctx = mp.get_context("spawn")  # no fork of a threaded driver; workers start clean
    threads = worker_threads(jobs)
    queue = collections.deque(todo)
    tries: collections.Counter[str] = collections.Counter()
    workers: list[_Worker] = []
    startup_deaths = 0  # in a row: a worker that never got ready
    finished = False
    try:
        workers = [_Worker(ctx, factory, threads) for _ in range(min(jobs, len(queue)))]
        while queue or any(w.task is not None for w in workers):
            for w in workers:
                if w.ready and w.task is None and queue:
                    rec = queue.popleft()
                    tries[rec.label] += 1
                    w.give(rec, settings, crops_root, reidentify)
            ready = set(mpc.wait([w.conn for w in workers] + [w.proc.sentinel for w in workers], 0.5))
            for w in list(workers):
                if w.conn not in ready and w.proc.sentinel not in ready:
                    continue
                msgs, open_ = w.messages()
                for msg in msgs:
                    if msg[0] == "ready":
                        w.ready = True
                    elif msg[0] == "progress":
                        update(msg[1], msg[2])
                    elif msg[0] == "done":
                        outcome: Outcome = msg[1]
                        outcome.attempts = tries[outcome.recording.label]
                        w.task = None
                        done(outcome)
                    elif msg[0] == "failed":
                        raise ModelError(f"a worker could not load the emotion model: {msg[1]}")
                if open_ and w.proc.is_alive():
                    continue
                # The worker died: only the recording it held is affected.
                w.proc.join(1)
                why = _death(w.proc)
                workers.remove(w)
                w.stop(now=True)
                startup_deaths = 0 if w.ready else startup_deaths + 1
                if startup_deaths > RETRIES:
                    raise MovieMotionError(
                        f"audience worker processes die while starting up ({why}, "
                        f"{startup_deaths} in a row); the finished recordings are kept. "
                        "A job started from a script read on standard input cannot start "
                        "workers (they re-import the main module): save it to a file, or use -j 1")
                rec = w.task
                if rec is not None:
                    if tries[rec.label] <= RETRIES:
                        queue.appendleft(rec)
                    else:
                        done(Outcome(rec, error=f"{rec.path}: the worker analyzing it died "
                                                f"({why}) on each of {tries[rec.label]} tries",
                                     attempts=tries[rec.label]))
                busy = sum(x.task is not None for x in workers)
                while queue and len(workers) < min(jobs, len(queue) + busy):
                    workers.append(_Worker(ctx, factory, threads))
        finished = True
    finally:
        for w in workers:
            w.stop(now=not finished)


# -- Ray ---------------------------------------------------------------------------------------
class _RayAnalyzer:
    """A Ray actor holding one loaded model."""

    def __init__(self, factory: ClassifierFactory, reidentify: bool = False):
        import cv2

        cv2.setNumThreads(1)
        self.classifier = factory()
        self.embedder = load_embedder() if reidentify else None

    def run(self, rec: Recording, settings: RecordingSettings, crops_root: Path | None) -> Outcome:
        return _analyze(self.classifier, rec, settings, crops_root, None, embedder=self.embedder)


def _run_ray(todo, settings, factory, jobs, crops_root, address, done, reidentify=False):
    try:
        import ray
        from ray.util import ActorPool
    except ImportError:
        raise InputError("--ray needs Ray: pip install 'moviemotion[ray]'") from None
    if not ray.is_initialized():
        kw = {"address": address} if address else {"num_cpus": jobs}
        ray.init(include_dashboard=False, log_to_driver=False, ignore_reinit_error=True, **kw)
    actor = ray.remote(num_cpus=1)(_RayAnalyzer)
    pool = ActorPool([actor.remote(factory, reidentify) for _ in range(max(1, min(jobs, len(todo))))])
    try:
        for outcome in pool.map_unordered(lambda a, r: a.run.remote(r, settings, crops_root), todo):
            done(outcome)
    except ray.exceptions.RayError as exc:  # a worker could not start or died
        reason = str(exc).strip().splitlines()[-1][:300]
        raise MovieMotionError(f"Ray workers failed: {reason}") from None


# -- driver ------------------------------------------------------------------------------------
def analyze_all(
    recordings: list[Recording],
    out_dir: Path,
    settings: RecordingSettings,
    factory: ClassifierFactory,
    jobs: int = 1,
    use_ray: bool = False,
    ray_address: str | None = None,
    crops_root: Path | None = None,
    show_progress: bool = True,
    classifier: Classifier | None = None,
    embedder=None,
) -> list[Outcome]:
    """Analyze ``recordings`` (reusing finished ones stored under ``out_dir``), in order.

    ``embedder`` (``--reidentify``; a loaded :class:`~moviemotion.faceid.verifier.FaceVerifier`,
    used in-process; workers load their own): every recording is analyzed afresh, since the
    stored results carry no embeddings, and each result brings its tracks' mean embeddings
    back in memory (:attr:`RecordingFaces.embeddings`).

    With ``crops_root`` (``--keep-crops``), a stored result is reused only when its crops are
    there too, so that the crops the run claims to keep exist. ``classifier``: an already
    loaded model for the in-process case (``jobs == 1``), else ``factory()`` is called.
    """
    from moviemotion.progress import progress_bar

    outcomes: dict[str, Outcome] = {}
    todo: list[Recording] = []
    reidentify = embedder is not None
    for rec in recordings:
        faces = None if reidentify else store.load(out_dir, rec, settings)
        if faces is not None and (crops_root is None or has_crops(crops_root, rec)):
            outcomes[rec.label] = Outcome(rec, faces, reused=True, attempts=0)
        else:
            todo.append(rec)
    jobs = max(1, min(jobs, len(todo))) if todo else 1
    with progress_bar(disable=not show_progress) as bar:
        overall = bar.add_task("recordings", total=len(recordings), completed=len(outcomes), unit="recordings")
        tasks = {r.label: bar.add_task(f"  {r.label}", total=_expected_samples(r, settings), unit="samples")
                 for r in todo} if show_progress else {}

        def update(label: str, n: int) -> None:
            if label in tasks:
                bar.update(tasks[label], completed=n)

        def done(o: Outcome) -> None:
            if o.faces is not None:
                store.save(out_dir, o.recording, o.faces, settings)
                if o.recording.label in tasks:
                    bar.update(tasks[o.recording.label], completed=o.faces.stats["samples"],
                               total=o.faces.stats["samples"])
            outcomes[o.recording.label] = o
            bar.advance(overall)

        if not todo:
            pass
        elif use_ray:
            _run_ray(todo, settings, factory, jobs, crops_root, ray_address, done, reidentify)
        elif jobs == 1:
            classifier = classifier if classifier is not None else factory()
            for rec in todo:
                done(_analyze(classifier, rec, settings, crops_root,
                              functools.partial(update, rec.label), worker_threads(1), embedder))
        else:
            _run_pool(todo, settings, factory, jobs, crops_root, update, done, reidentify)
    return [outcomes[r.label] for r in recordings]


def _expected_samples(rec: Recording, settings: RecordingSettings) -> int | None:
    from moviemotion.video import probe

    try:
        d = probe(rec.path).duration
    except MovieMotionError:
        return None
    return int(d * settings.fps) + 1 if d == d else None
