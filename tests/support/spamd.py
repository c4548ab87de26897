"""A real SpamAssassin spamd for the spam gate's integration tests.

``running_spamd()`` starts ``spamd`` (Debian: packages spamassassin + spamd) on a free
loopback port as a child process — local tests only (``-L``: no DNS or network
lookups), no per-user config (``-x``), one child — waits until it answers, yields
``(host, port)`` and stops it. As root, spamd must drop to an unprivileged user
(``-u nobody``). ``None`` is yielded only when the binary is absent.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time

STARTUP_SECONDS = 90  # loading the rules takes a few seconds, more on a busy machine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"PING SPAMC/1.5\r\n\r\n")
            return conn.recv(100).startswith(b"SPAMD/")
    except OSError:
        return False


@contextlib.contextmanager
def running_spamd():
    binary = shutil.which("spamd") or next((p for p in ("/usr/sbin/spamd",) if os.path.exists(p)), None)
    if binary is None:
        yield None
        return
    port = _free_port()
    home = tempfile.mkdtemp(prefix="jengu-spamd-")
    os.chmod(home, 0o777)
    command = [binary, "--listen", f"127.0.0.1:{port}", "--max-children", "1", "-x", "-L", "--syslog=stderr"]
    command += ["-H", home]
    if os.geteuid() == 0:
        command += ["-u", "nobody"]
    with tempfile.TemporaryFile() as log:
        yield from _serve(command, log, port, home)


def _serve(command, log, port, home):
    process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"spamd did not start: {log.read()[-2000:].decode(errors='replace')}")
            time.sleep(0.3)
        yield ("127.0.0.1", port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        shutil.rmtree(home, ignore_errors=True)
