"""One command, several processes: prefixed output, a signal stops all, nothing orphaned."""

import io
import os
import signal
import sys
import threading
import time

from infra.processes import ChildSpec, ProcessGroup

CHILD = (
    "import os, sys, time; print('started', os.getpid(), flush=True); "
    "[print('tick', flush=True) or time.sleep(0.1) for _ in range(600)]"
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purposes
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_a_signal_stops_every_child_and_output_is_prefixed():
    out = io.StringIO()
    group = ProcessGroup(
        [ChildSpec("alpha", [sys.executable, "-c", CHILD]), ChildSpec("beta", [sys.executable, "-c", CHILD])],
        out=out,
        stop_timeout=5,
    )
    group.start()
    pids = [p.pid for _, p in group.children]
    threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    started = time.monotonic()
    group.wait()
    assert time.monotonic() - started < 8
    text = out.getvalue()
    assert "alpha | started" in text and "beta  | started" in text
    assert not any(alive(pid) for pid in pids)


def test_a_child_that_dies_stops_the_others():
    out = io.StringIO()
    group = ProcessGroup(
        [
            ChildSpec("crashes", [sys.executable, "-c", "import sys; sys.exit(3)"]),
            ChildSpec("long", [sys.executable, "-c", CHILD]),
        ],
        out=out,
        stop_timeout=5,
    )
    group.start()
    code = group.wait()
    assert code == 3
    assert "crashes exited with code 3" in out.getvalue()
    assert all(p.poll() is not None for _, p in group.children)


# a main process whose forked worker (same process group) is mid-task when the stop comes:
# it lets the worker finish, as q2's cluster does on SIGTERM, then exits
MAIN_WITH_WORKER = """
import os, signal, sys, time
done = sys.argv[1]
worker = os.fork()
if worker == 0:
    time.sleep(1.5)  # a task in flight
    open(done, "w").write("finished")
    os._exit(0)
print("started", flush=True)
signal.signal(signal.SIGTERM, lambda *_: (os.waitpid(worker, 0), sys.exit(0)))
while True:
    time.sleep(0.1)
"""


def test_stop_asks_only_the_main_process_so_a_task_in_flight_finishes(tmp_path):
    done = tmp_path / "done"
    group = ProcessGroup([ChildSpec("cluster", [sys.executable, "-c", MAIN_WITH_WORKER, str(done)])], stop_timeout=10)
    group.start()
    time.sleep(0.5)  # the worker is mid-task
    group.stop()
    # a SIGTERM to the whole group killed the worker mid-task: its work was lost
    assert done.read_text() == "finished"
    assert all(p.poll() is not None for _, p in group.children)
