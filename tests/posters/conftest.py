"""Fixtures of the poster tests (the poster set is built in posters_synth)."""

from __future__ import annotations

from pathlib import Path

import pytest
from posters_synth import make_posters


@pytest.fixture(scope="session")
def posters_dir(tmp_path_factory) -> Path:
    return make_posters(tmp_path_factory.mktemp("posters"))


@pytest.fixture(scope="session")
def tiny_runs(posters_dir: Path, tmp_path_factory) -> dict[str, Path]:
    """Both heads trained for 2 epochs on the synthetic posters (small inputs, 4 filters; the
    multilabel head with per-genre positive weights)."""
    from moviemotion.learn.train import TrainConfig
    from moviemotion.posters.training import train_posters

    out = tmp_path_factory.mktemp("poster_runs")
    runs = {}
    for head in ("multilabel", "single"):
        cfg = TrainConfig(data=str(posters_dir), arch="vgg", arch_args={"width": 4}, epochs=2,
                          batch_size=16, lr=0.01, seed=0, threads=1, command=f"tiny {head}")
        runs[head] = train_posters(posters_dir, out / head, head, cfg, size=(32, 24),
                                   min_count=5, quiet=True, pos_weight=head == "multilabel")
    return runs
