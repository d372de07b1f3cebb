"""Re-identification: tracks of one person linked across gaps and recordings, never two
overlapping tracks of one recording, embeddings kept in memory only."""

from __future__ import annotations

import numpy as np
import pytest

from moviemotion.errors import InputError
from moviemotion.faceid.reidentify import TrackEmbeddings, link_tracks


def person(rng, d=16):
    v = rng.normal(size=d)
    return v / np.linalg.norm(v)


def noisy(rng, v, s=0.15):
    return v + rng.normal(0, s / np.sqrt(len(v)), len(v))


def test_links_a_returning_viewer_and_one_seen_by_two_cameras():
    rng = np.random.default_rng(0)
    a, b, c = person(rng), person(rng), person(rng)
    acc = TrackEmbeddings()
    plan = [(("seat01", 0), a, 0, 100), (("seat01", 1), b, 0, 300),
            (("seat01", 2), a, 900, 1000),        # a leaves and returns 800 s later
            (("wide", 0), c, 0, 500), (("wide", 1), a, 1200, 1300)]  # a on the wide camera
    for key, v, t0, t1 in plan:
        for t in np.linspace(t0, t1, 20):
            acc.add(key, float(t), noisy(rng, v))
    viewers = link_tracks(acc.summaries(), threshold=0.7)
    assert viewers[("seat01", 0)] == viewers[("seat01", 2)] == viewers[("wide", 1)]
    assert len({viewers[("seat01", 0)], viewers[("seat01", 1)], viewers[("wide", 0)]}) == 3
    assert sorted(set(viewers.values())) == [0, 1, 2]


def test_overlapping_tracks_of_one_recording_stay_apart():
    rng = np.random.default_rng(1)
    twin = person(rng)
    acc = TrackEmbeddings()
    for t in range(10):
        acc.add(("seat01", 0), t, noisy(rng, twin))
        acc.add(("seat01", 1), t + 5, noisy(rng, twin))      # same look, same camera, same time
    viewers = link_tracks(acc.summaries(), threshold=0.5)
    assert viewers[("seat01", 0)] != viewers[("seat01", 1)]


def test_summaries_hold_means_not_samples_and_clear_forgets():
    acc = TrackEmbeddings()
    acc.add(("r", 0), 1.0, np.array([2.0, 0.0]))
    acc.add(("r", 0), 3.0, np.array([0.0, 5.0]))
    (s,) = acc.summaries()
    assert s.count == 2 and (s.start, s.end) == (1.0, 3.0)
    assert np.allclose(s.embedding, [np.sqrt(0.5), np.sqrt(0.5)])
    acc.clear()
    assert acc.summaries() == []


def test_bad_embeddings_and_threshold():
    acc = TrackEmbeddings()
    with pytest.raises(InputError, match="zero or not finite"):
        acc.add(("r", 0), 0.0, np.zeros(4))
    acc.add(("r", 0), 0.0, np.ones(4))
    with pytest.raises(InputError, match="different sizes"):
        acc.add(("r", 0), 1.0, np.ones(3))
    with pytest.raises(InputError, match="threshold"):
        link_tracks(acc.summaries(), threshold=float("nan"))
