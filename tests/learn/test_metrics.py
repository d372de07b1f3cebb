"""The metrics module against cases small enough to compute by hand."""

from __future__ import annotations

import numpy as np
import pytest

from moviemotion.learn import metrics as m


def test_accuracy_macro_f1_confusion() -> None:
    y = np.array([0, 0, 1, 1, 2])
    p = np.array([0, 1, 1, 1, 0])
    assert m.accuracy(y, p) == 3 / 5
    # F1 per class: 0: P 1/2 R 1/2 -> 1/2; 1: P 2/3 R 1 -> 4/5; 2: 0 ; class 3 absent -> 0
    assert m.macro_f1(y, p, range(3)) == pytest.approx((0.5 + 0.8 + 0) / 3)
    assert m.macro_f1(y, p, range(4)) == pytest.approx((0.5 + 0.8) / 4)
    assert m.confusion(y, p, 3).tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert np.isnan(m.accuracy(np.array([]), np.array([])))


def test_class_scores_and_sklearn_report() -> None:
    probs = np.eye(3)[[0, 1, 1, 1, 0]]
    s = m.class_scores(probs, np.array([0, 0, 1, 1, 2]), 3)
    assert s.accuracy == 3 / 5 and s.support == [2, 2, 1] and s.recall == [0.5, 1.0, 0.0]
    text = s.table(["a", "b", "c"])
    assert "precision" in text and "macro avg" in text
    assert text.split("\n")[3].split()[:4] == ["b", "0.667", "1.000", "0.800"]
    empty = m.class_scores(np.zeros((0, 3)), np.zeros(0, int), 3)
    assert empty.n == 0 and np.isnan(empty.accuracy)


def test_average_precision_and_map() -> None:
    y = np.array([[1, 0], [0, 1], [1, 0], [0, 0]])
    s = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.9], [0.1, 0.3]])
    # label 0 ranked: 0.9 (+), 0.8 (-), 0.7 (+), 0.1 (-): AP = (1/1 + 2/3) / 2
    # label 1 ranked: 0.9 (-), 0.3 (-), 0.2 (+), 0.1 (-): AP = 1/3
    ap = m.average_precision(y, s)
    assert ap == pytest.approx([(1 + 2 / 3) / 2, 1 / 3])
    assert m.mean_average_precision(y, s) == pytest.approx(((1 + 2 / 3) / 2 + 1 / 3) / 2)
    assert np.isnan(m.average_precision(np.array([[0], [0]]), np.array([[0.2], [0.4]]))[0])


def test_roc_auc_eer_tar() -> None:
    y = np.array([1, 1, 0, 0])
    assert m.roc_auc(y, np.array([0.9, 0.8, 0.3, 0.1])) == 1.0
    assert m.eer(y, np.array([0.9, 0.8, 0.3, 0.1])) == 0.0
    # one positive below one negative: AUC 3/4; EER 1/2 (FAR = FRR = 1/2 at the crossing)
    s = np.array([0.9, 0.2, 0.5, 0.1])
    assert m.roc_auc(y, s) == 0.75
    assert m.eer(y, s) == pytest.approx(0.5)
    assert m.tar_at_far(y, s, far=0.0) == 0.5          # accept 0.9 only
    assert m.tar_at_far(y, s, far=0.49) == 0.5
    assert m.tar_at_far(y, s, far=0.5) == 1.0          # accept 0.9, 0.5 and 0.2


def test_multilabel_f1_and_thresholds() -> None:
    y = np.array([[1, 0], [1, 1], [0, 1]])
    s = np.array([[0.6, 0.4], [0.4, 0.7], [0.2, 0.9]])
    f = m.multilabel_f1(y, s)          # at 0.5: predictions [[1,0],[0,1],[0,1]]
    # micro: TP 3, FP 0, FN 1 -> 6/7; macro: label0 F1 2/3, label1 1 -> 5/6; samples: 1, 2/3, 1
    assert f["micro"] == pytest.approx(6 / 7)
    assert f["macro"] == pytest.approx(5 / 6)
    assert f["samples"] == pytest.approx((1 + 2 / 3 + 1) / 3)
    t = m.best_thresholds(y, s)
    assert t[0] == pytest.approx(0.4)                  # 0.4 catches both positives of label 0
    assert m.multilabel_f1(y, s, t)["macro"] == 1.0


def test_verification_pairs() -> None:
    labels = np.array([0, 0, 1, 1])
    e = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]])
    same, sim = m.pairs(labels, e)
    assert same.tolist() == [1, 0, 0, 0, 0, 1]
    v = m.verification_scores(labels, e)
    assert v["roc_auc"] == 1.0 and v["eer"] == 0.0 and v["tar_at_far_1e-2"] == 1.0


def test_regression_metrics() -> None:
    a = np.array([1.0, 2.0, 3.0, 4.0])
    assert m.mse(a, a + 1) == 1.0
    assert m.pearson(a, 2 * a + 1) == pytest.approx(1.0)
    assert m.spearman(a, a ** 3) == pytest.approx(1.0)
    assert m.pearson(a, -a) == pytest.approx(-1.0)
    assert np.isnan(m.pearson(a, np.ones(4)))


def test_interval_iou() -> None:
    assert m.interval_iou([(0, 2)], [(1, 3)]) == pytest.approx(1 / 3)
    assert m.interval_iou([(0, 1), (0.5, 2)], [(0, 2)]) == 1.0        # overlaps merged
    assert m.interval_iou([(0, 1)], [(2, 3)]) == 0.0
    assert m.interval_iou([(0, 4)], [(1, 2), (3, 4)]) == pytest.approx(2 / 4)
    assert m.interval_iou([], []) == 1.0
