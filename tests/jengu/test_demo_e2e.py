"""The README's run command, end to end: `manage.py demo` on a fresh SQLite file in a
temporary directory reaches "emails in the sink and a reply interpreted", then one
SIGINT (Ctrl-C) stops every process it started."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.support.smtp_sink import free_port

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 420


def count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # not migrated yet, or busy
        return 0


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment carries ``marker`` (the demo's database path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if marker.encode() in environ and state != "Z":
            found.append(int(entry.name))
    return found


def test_the_demo_runs_the_whole_loop_and_stops_cleanly(tmp_path):
    db = tmp_path / "demo.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "PORT": str(free_port()),
        "SANDBOX_SMTP_PORT": str(free_port()),
        "DEBUG": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "demo", "--tick", "5"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        started = time.monotonic()
        while time.monotonic() - started < DEADLINE_SECONDS:
            assert demo.poll() is None, log.read_text()[-3000:]
            sunk = count(db, "SELECT count(*) FROM outreach_sinkmessage")
            read = count(db, "SELECT count(*) FROM replies_reply WHERE source = 'sandbox' AND processed_at IS NOT NULL")
            if sunk and read:
                break
            time.sleep(3)
        else:
            raise AssertionError(
                f"no email in the sink and reply read within {DEADLINE_SECONDS}s:\n{log.read_text()[-3000:]}"
            )
        elapsed = time.monotonic() - started
        moved = count(
            db, "SELECT count(*) FROM prospects_prospect WHERE stage IN ('replied', 'meeting', 'lost', 'engaged')"
        )
        assert moved > 0
    finally:
        os.killpg(demo.pid, signal.SIGINT)  # one Ctrl-C
        try:
            code = demo.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            raise
    text = log.read_text()
    assert code == 0, text[-3000:]
    assert "Demo stopped." in text
    for prefix in ("web ", "sink ", "workers ", "clock "):
        assert f"\n{prefix}" in text, f"no log line from {prefix.strip()}"
    time.sleep(1)
    assert processes_with(str(db)) == [], "a demo process outlived Ctrl-C"
    print(f"loop closed in {elapsed:.0f}s")
