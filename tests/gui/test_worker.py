"""The GUI's one worker abstraction (``workbench.gui.common.worker``) with real worker processes: signals in
order on the GUI thread, a warm process reused, a crashed process reported as a failed job while the app
stays up, cancel (cooperative and forced), stale jobs silenced, and light work in a thread."""

import threading

import pytest

from workbench.gui.common.worker import WorkerPool

T = 120_000  # ms: a busy 2-core machine starts Python processes slowly


@pytest.fixture
def pool(qapp):
    p = WorkerPool(warm_modules=())
    yield p
    p.shutdown()


def record(job):
    seen = []
    for name in ("started", "progress", "yielded", "returned", "errored", "aborted", "finished"):
        getattr(job, name).connect(lambda *a, n=name: seen.append((n, a[0] if a else None, threading.get_ident())))
    return seen


def test_signals_arrive_in_order_on_the_gui_thread_and_the_process_is_reused(qtbot, pool):
    job = pool.submit("tests.support.jobs:count", n=2)
    seen = record(job)
    with qtbot.waitSignal(job.finished, timeout=T):
        pass
    assert [s[0] for s in seen] == ["started", "progress", "yielded", "progress", "yielded", "returned", "finished"]
    assert {s[2] for s in seen} == {threading.get_ident()}
    assert seen[3][1]["message"] == "item 2 of 2" and job.result == 2 and job.state == "returned"
    first = pool.submit("tests.support.jobs:pid")
    qtbot.waitUntil(lambda: first.done, timeout=T)
    second = pool.submit("tests.support.jobs:pid")
    qtbot.waitUntil(lambda: second.done, timeout=T)
    assert first.result == second.result and len(pool.processes) == 1  # one warm process, kept


def test_a_crash_is_a_failed_job_and_the_next_job_gets_a_fresh_process(qtbot, pool):
    job = pool.submit("tests.support.jobs:crash")
    with qtbot.waitSignal(job.errored, timeout=T) as blocker:
        pass
    err = blocker.args[0]
    assert err.crashed and "ended unexpectedly" in err.message and job.state == "errored"
    again = pool.submit("tests.support.jobs:count", n=1)
    qtbot.waitUntil(lambda: again.done, timeout=T)
    assert again.result == 1


def test_errors_are_one_line(qtbot, pool):
    job = pool.submit("tests.support.jobs:fail", text="no\ngood")
    with qtbot.waitSignal(job.errored, timeout=T) as blocker:
        pass
    assert blocker.args[0].message == "ValueError: no good" and not blocker.args[0].crashed


def test_cancel_cooperative_and_forced(qtbot, pool):
    job = pool.submit("tests.support.jobs:until_cancelled")
    qtbot.waitSignal(job.started, timeout=T).wait()
    with qtbot.waitSignal(job.aborted, timeout=T):
        job.cancel()
    stubborn = pool.submit("tests.support.jobs:stubborn")
    qtbot.waitUntil(lambda: stubborn.state == "running", timeout=T)
    with qtbot.waitSignal(stubborn.aborted, timeout=T):
        stubborn.cancel(force_after=0.2)
    assert stubborn.error is None


def test_a_newer_job_of_the_same_key_silences_the_older(qtbot, pool):
    old = pool.submit("tests.support.jobs:until_cancelled", key="q")
    seen = record(old)
    new = pool.submit("tests.support.jobs:count", key="q", n=1)
    qtbot.waitUntil(lambda: new.done and old.done, timeout=T)
    assert new.result == 1 and old.stale and [s[0] for s in seen if s[0] != "started"] == []


def test_words_reach_the_running_job(qtbot, pool):
    job = pool.submit("tests.support.jobs:echo_words", n=2)
    job.send("a")
    job.send("b")
    qtbot.waitUntil(lambda: job.done, timeout=T)
    assert job.result == ["a", "b"]


def test_light_work_in_a_thread_yields_and_cancels(qtbot, pool):
    gate = threading.Event()

    def gen(n):
        for i in range(n):
            yield i
            gate.wait(30)

    job = pool.run_in_thread(gen, 100)
    got = []
    job.yielded.connect(got.append)
    qtbot.waitUntil(lambda: got == [0], timeout=T)
    job.cancel()
    gate.set()
    qtbot.waitUntil(lambda: job.done, timeout=T)
    assert job.state == "aborted" and got == [0]
    ok = pool.run_in_thread(lambda a, b: a + b, 2, b=3)
    qtbot.waitUntil(lambda: ok.done, timeout=T)
    assert ok.result == 5
    bad = pool.run_in_thread(lambda: 1 / 0)
    qtbot.waitUntil(lambda: bad.done, timeout=T)
    assert bad.error.message == "ZeroDivisionError: division by zero"
