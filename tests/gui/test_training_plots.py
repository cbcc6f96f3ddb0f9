"""The live training plots: axes that move in jumps rather than every frame, the moving average kept up to date
point by point, curves that hold what the buffers hold."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.gui.common.plots import SeriesBuffer, TrainingPlots, ema, nice_ceil
from workbench.training.events import TrainEvent

TASKS = ["task_0", "task_1"]


@pytest.fixture
def plots(qtbot):
    p = TrainingPlots()
    qtbot.addWidget(p)
    p.resize(900, 450)
    p.show()
    return p


def step_event(step: int, loss: float, epochs: int = 10, per_epoch: int = 50) -> TrainEvent:
    metrics = {t: {"loss": loss + 0.1 * k, "accuracy": 0.5} for k, t in enumerate(TASKS)}
    return TrainEvent("run", "step", epoch=1 + (step - 1) // per_epoch, step=step, total_epochs=epochs,
                      steps_per_epoch=per_epoch, metrics={"train": metrics})


def test_nice_ceil_steps_through_round_limits():
    assert [nice_ceil(v) for v in (0.7, 1.0, 1.01, 1.3, 2.2, 7, 9, 690, 0.031)] == \
        pytest.approx([0.8, 1.0, 1.2, 1.5, 2.5, 8, 10, 800, 0.04])


def test_smoothed_matches_the_moving_average_of_the_whole_series():
    rng = np.random.default_rng(3)
    values = list(rng.normal(1, 0.3, 300))
    values[17] = None  # a missing loss
    buf = SeriesBuffer(capacity=4)  # grows while appending
    for chunk in range(0, 300, 37):  # read between appends, as the 10 Hz repaint does
        for i, v in enumerate(values[chunk:chunk + 37], start=chunk):
            buf.append(i, v)
        np.testing.assert_allclose(buf.smoothed(0.6), ema(buf.y, 0.6), equal_nan=True)
    np.testing.assert_allclose(buf.smoothed(0.9), ema(buf.y, 0.9), equal_nan=True)  # a new weight starts over
    np.testing.assert_array_equal(buf.smoothed(0.0), buf.y)
    assert (buf.lo, buf.hi) == (np.nanmin(buf.y), np.nanmax(buf.y))
    buf.clear()
    buf.append(0, 2.0)
    assert list(buf.smoothed(0.9)) == [2.0] and (buf.lo, buf.hi) == (2.0, 2.0)


def test_live_axes_span_the_run_and_move_only_in_jumps(plots):
    plots.reset(TASKS)
    assert plots.loss_plot.getViewBox().autoRangeEnabled() == [False, False]
    x_ranges, y_ranges = set(), set()
    step = 0
    for _frame in range(40):  # 480 steps of a 10 x 50 run, loss falling from 1.5 to ~0.2 with a spike
        for _ in range(12):
            step += 1
            loss = 2.9 if step == 130 else 0.2 + 1.3 * math.exp(-step / 100)
            plots.add_event(step_event(step, loss))
        assert plots.repaint() == len(TASKS) * 2
        x_ranges.add(tuple(round(v, 6) for v in plots.loss_plot.getViewBox().viewRange()[0]))
        y_ranges.add(tuple(round(v, 6) for v in plots.loss_plot.getViewBox().viewRange()[1]))
    assert len(x_ranges) == 1, x_ranges
    lo, hi = x_ranges.pop()
    assert lo < 1 and 500 <= hi <= 500 * 1.05, "the step axis spans the whole run from the first frame"
    assert plots.acc_plot.getViewBox().viewRange()[0] == pytest.approx([lo, hi]), "accuracy shares the step axis"
    assert len(y_ranges) <= 3, f"the loss axis moved {len(y_ranges)} times in 40 frames: {sorted(y_ranges)}"
    y_lo, y_hi = plots.loss_plot.getViewBox().viewRange()[1]
    assert y_lo <= 0 and 3.0 <= y_hi <= 3.1, "the loss axis holds every loss, spike included, from 0"
    x, y = plots.curves[("train", "task_1", "loss")].getData()
    assert len(x) == step and x[-1] == step
    np.testing.assert_allclose(y, ema(plots.buffers[("train", "task_1", "loss")].y, plots.smoothing))


def test_step_axis_grows_in_jumps_when_the_run_length_is_unknown(plots):
    plots.reset(TASKS)
    his = []
    for step in range(1, 1001):
        plots.add_metrics("train", step, {t: {"loss": 1.0, "accuracy": 0.5} for t in TASKS})
        if step % 10 == 0:
            plots.repaint()
            his.append(plots.loss_plot.getViewBox().viewRange()[0][1])
    assert all(hi >= s * 10 for s, hi in enumerate(his, start=1)), "the newest point is always in view"
    assert len(set(his)) <= 8, f"the step axis moved {len(set(his))} times in 100 frames"


def test_stored_runs_auto_range_again(plots):
    plots.reset(TASKS)
    for step in range(1, 30):
        plots.add_event(step_event(step, 1.0))
    plots.repaint()

    class Row:
        def __init__(self, step, split, key, value):
            self.step, self.epoch, self.split, self.key, self.value = step, step // 10, split, key, value

    plots.load_rows([Row(s, "val", "task_0.loss", 5.0 - s / 10) for s in (10, 20, 30)], ["task_0"])
    plots.repaint()
    assert plots.loss_plot.getViewBox().autoRangeEnabled()[1], "a stored run's loss axis fits its data"
    assert not plots.live


def test_a_resumed_run_streams_on_with_live_axes(plots):
    """The panel shows a resumed run's stored epochs, then its new steps arrive as events."""

    class Row:
        def __init__(self, step, split, key, value):
            self.step, self.epoch, self.split, self.key, self.value = step, step // 50, split, key, value

    plots.load_rows([Row(s, "train", f"{t}.loss", 1.0) for s in (50, 100) for t in TASKS], TASKS)
    plots.repaint()
    assert plots.curves[("train", "task_0", "loss")].opts["pen"].widthF() == 2
    for step in range(101, 120):
        plots.add_event(step_event(step, 0.8))
    plots.repaint()
    assert plots.live and plots.loss_plot.getViewBox().autoRangeEnabled() == [False, False]
    assert plots.curves[("train", "task_0", "loss")].opts["pen"].widthF() == 1
    assert plots.loss_plot.getViewBox().viewRange()[0][1] >= 500, "the step axis spans the whole run"
    assert len(plots.buffers[("train", "task_0", "loss")]) == 2 + 19
