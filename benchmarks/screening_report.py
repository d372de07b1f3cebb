"""Speed and size of the screening report for a feature film, measured in one run.

    python benchmarks/screening_report.py [--minutes 120] [--viewers 20] [--repeat 3]

Builds in a temporary folder: an audience output folder for a ``--minutes`` film with
``--viewers`` viewers (timeline, viewers, peaks, run.json, written as the audience job
writes them), a movie analysis folder (per-second signals, a scene class, shots every ~4 s),
a flash summary, and a full screenplay with its subtitles: Big Fish (the shared data's
feature screenplay, 190 scenes) with subtitles derived from it
(:func:`moviemotion.samples.script.derive_pair`; a synthetic 400-scene screenplay when the
shared data is absent). Then prints, medians of ``--repeat`` rounds:

- ``baseline``: the shared report page with the audience's stacked timeline only
  (``write_html_report``: Plotly embedded once), the cost every report pays;
- ``screening report``: ``moviemotion report`` end to end (reading, alignment, per-line and
  per-scene summaries, arc, movie coupling, page, all tables);

the ratio, and the size of ``screening.html`` (targets: < 10 s and < 15 MB for 2 hours,
20 viewers).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "script"))


def build_inputs(root: Path, seconds: int, viewers: int) -> dict:
    from script_helpers import write_audience

    from moviemotion.io import write_table
    from moviemotion.samples.script import derive_pair
    from moviemotion.script.screenplay import parse_fountain, read_screenplay

    big = Path(__file__).resolve().parents[2] / "shared" / "data" / "text" / "Big-Fish.fountain"
    if big.is_file():
        sp = read_screenplay(big)
    else:
        rng = np.random.default_rng(0)
        words = [f"w{i}" for i in range(3000)]
        src = []
        for s in range(400):
            src += [f"INT. PLACE {s} - DAY", "", " ".join(rng.choice(words, 25)), ""]
            for k in range(5):
                src += [f"CHAR{k}", " ".join(rng.choice(words, 10)), ""]
        big = root / "synthetic.fountain"
        big.write_text("\n".join(src))
        sp = parse_fountain(big.read_text())
    pair = derive_pair(sp, seed=0, offset=0.0, speed=1.0)
    scale = seconds / pair.duration  # stretch the screenplay's time to the film's length
    pair = derive_pair(sp, seed=0, offset=0.0, speed=1.0 / scale)
    rng = np.random.default_rng(1)
    plan, t = [], 0.0
    emotions = ["happy", "sad", "surprise", "fear", "angry"]
    while t < seconds:
        d = float(rng.uniform(20, 90))
        plan.append((t + 10, min(t + d, seconds), str(rng.choice(emotions))))
        t += d + 10
    peaks = [(float(a + 3), e) for a, _, e in plan[::3]]
    aud = write_audience(root / "audience", seconds, plan, viewers=viewers, noise=0.05,
                         peaks=peaks)
    (root / "subs.srt").write_text(pair.srt)
    movie = root / "movie"
    movie.mkdir()
    n = seconds
    write_table(pa.table({"time": np.arange(n, dtype=np.float64),
                          "shot": np.floor(np.arange(n) / 4).astype(np.int64),
                          "motion": rng.random(n), "loudness_short_term": -30 + 10 * rng.random(n),
                          "arousal": rng.random(n),
                          "scene_top1": np.array(["indoor", "outdoor", "night"])[
                              (np.arange(n) // 300) % 3].tolist()}), movie / "movie.parquet")
    cuts = np.arange(4.0, n, 4.0)
    write_table(pa.table({"time": np.concatenate([[0.0], cuts]),
                          "end": np.concatenate([cuts, [float(n)]])}), movie / "shots.csv")
    (root / "flash.json").write_text(json.dumps({"verdict": "pass", "incidents": []}))
    return {"audience": aud, "movie": movie, "subs": root / "subs.srt", "screenplay": big,
            "sp": sp, "flashes": root / "flash.json"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=120)
    ap.add_argument("--viewers", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import plotly.graph_objects as go

    from moviemotion.jobs.screening import run_report
    from moviemotion.report.html import Section, write_html_report
    from moviemotion.script.inputs import read_audience

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        seconds = int(args.minutes * 60)
        inp = build_inputs(root, seconds, args.viewers)
        base, full = [], []
        for r in range(args.repeat):
            t0 = time.perf_counter()
            aud = read_audience(inp["audience"])
            fig = go.Figure([go.Scatter(x=aud.timeline.time, y=aud.timeline.column(e),
                                        stackgroup="one") for e in ("happy", "sad", "neutral")])
            write_html_report(root / f"base{r}.html", "baseline", [Section("t", figures=[fig])])
            base.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            paths = run_report(root / f"out{r}", inp["audience"], movie=inp["movie"],
                               flashes=inp["flashes"], subtitles=inp["subs"],
                               screenplay=inp["screenplay"], quiet=True)
            full.append(time.perf_counter() - t0)
        size = paths["screening.html"].stat().st_size / 2**20
        b, f = statistics.median(base), statistics.median(full)
        print(f"film {seconds} s, {args.viewers} viewers, {len(inp['sp'].scenes)} scenes, "
              f"{len(inp['sp'].lines)} dialogue lines")
        print(f"baseline (timeline page)   {b:6.2f} s")
        print(f"screening report           {f:6.2f} s   ratio {f / b:.1f}x   "
              f"(target < 10 s)")
        print(f"screening.html             {size:6.2f} MB  (target < 15 MB)")


if __name__ == "__main__":
    main()
