"""The worker process of ``workbench.jobs`` driven through its pipe, as the GUI drives it: results, progress and
yields in order, errors as data, words, cancel, and a clean exit when its front end goes away."""

import subprocess
import sys

import pytest

from workbench.jobs.context import JobCancelled, JobContext
from workbench.jobs.protocol import read_message, write_message


@pytest.fixture
def server():
    p = subprocess.Popen([sys.executable, "-m", "workbench.jobs.server", "--nice", "0"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    yield p
    if p.poll() is None:
        p.kill()
    p.wait()


def until_done(p, job_id):
    out = []
    while True:
        msg = read_message(p.stdout)
        assert msg[1] == job_id
        out.append(msg)
        if msg[0] in ("returned", "errored", "aborted"):
            return out


def test_a_job_reports_progress_and_values_in_order_then_its_result(server):
    write_message(server.stdin, ("run", 1, "tests.support.jobs:count", {"n": 3}))
    msgs = until_done(server, 1)
    assert [m[0] for m in msgs] == ["started"] + ["progress", "yielded"] * 3 + ["returned"]
    assert [m[2] for m in msgs if m[0] == "yielded"] == [0, 1, 2]
    assert msgs[-3][2]["fraction"] == 1.0 and msgs[-1][2] == 3
    # the same process runs the next job
    write_message(server.stdin, ("run", 2, "tests.support.jobs:fail", {"text": "bad  value\nhere"}))
    msgs = until_done(server, 2)
    assert msgs[-1][0] == "errored" and msgs[-1][2]["message"] == "ValueError: bad value here"
    assert "Traceback" in msgs[-1][2]["traceback"]


def test_words_reach_the_job_and_cancel_stops_it(server):
    write_message(server.stdin, ("run", 1, "tests.support.jobs:echo_words", {"n": 2}))
    write_message(server.stdin, ("word", 1, "b"))  # may arrive before the job starts: kept for it
    write_message(server.stdin, ("word", 1, "a"))
    assert until_done(server, 1)[-1] == ("returned", 1, ["b", "a"])
    write_message(server.stdin, ("run", 2, "tests.support.jobs:until_cancelled", {}))
    assert read_message(server.stdout) == ("started", 2)
    write_message(server.stdin, ("cancel", 2))
    assert until_done(server, 2)[-1] == ("aborted", 2)


def test_an_unknown_target_is_an_error_not_a_crash(server):
    write_message(server.stdin, ("run", 1, "workbench.no_such_module:f", {}))
    assert "No module named" in until_done(server, 1)[-1][2]["message"]
    write_message(server.stdin, ("run", 2, "nonsense", {}))
    assert "is not 'module:function'" in until_done(server, 2)[-1][2]["message"]


def test_the_process_ends_when_its_front_end_goes_away(server):
    write_message(server.stdin, ("run", 1, "tests.support.jobs:until_cancelled", {}))
    assert read_message(server.stdout) == ("started", 1)
    server.stdin.close()
    assert read_message(server.stdout) == ("aborted", 1)
    assert server.wait(30) == 0


def test_context_words_and_cancel_in_process():
    sent = []
    ctx = JobContext(7, sent.append)
    heard = []
    ctx.on_word(heard.append)
    ctx.send_word("pause")
    ctx.progress("half", 0.5)
    assert ctx.wait_word("pause", timeout=1) == "pause"
    ctx.cancel()
    assert ctx.wait_word("x", timeout=1) is None and ctx.cancelled and heard == ["pause", "cancel"]
    assert sent == [("progress", 7, {"message": "half", "fraction": 0.5})]
    with pytest.raises(JobCancelled):
        ctx.check()
