"""Run several long-lived child processes as one: prefixed output, one Ctrl-C stops all.

Used by `manage.py run_workers` (one qcluster per queue) and by the demo (web server,
workers, SMTP sink). Children get their own session so a terminal's Ctrl-C reaches
them only through us, and we make sure none outlives us.
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field


@dataclass
class ChildSpec:
    label: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


class ProcessGroup:
    def __init__(self, specs: list[ChildSpec], *, out=None, stop_timeout: float = 15.0):
        self.specs = specs
        self.out = out or sys.stdout
        self.stop_timeout = stop_timeout
        self.children: list[tuple[ChildSpec, subprocess.Popen]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.exit_code = 0  # non-zero when a child exited on its own
        width = max((len(s.label) for s in specs), default=5)
        self._fmt = f"{{label:<{width}}} | {{line}}"

    def _pump(self, spec: ChildSpec, stream):
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace").rstrip()
            with self._lock:
                self.out.write(self._fmt.format(label=spec.label, line=line) + "\n")
                self.out.flush()

    def start(self):
        for spec in self.specs:
            process = subprocess.Popen(
                spec.argv,
                env={**os.environ, **spec.env},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.children.append((spec, process))
            threading.Thread(target=self._pump, args=(spec, process.stdout), daemon=True).start()

    def wait(self) -> int:
        """Block until a signal or a child's own exit, then stop everything.

        Returns 0 after a signal, or the code of the child that exited on its own."""
        previous = {sig: signal.signal(sig, lambda *_: self._stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            while not self._stopping.is_set():
                for spec, process in self.children:
                    if process.poll() is not None:
                        self.out.write(f"{spec.label} exited with code {process.returncode}; stopping the rest\n")
                        self.exit_code = abs(process.returncode) or 1
                        self._stopping.set()
                        break
                self._stopping.wait(0.5)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.stop()
        return self.exit_code

    def stop(self) -> None:
        """SIGTERM each child's main process only, then, after ``stop_timeout``, SIGKILL its whole group.

        A qcluster's workers share its process group: a SIGTERM to the group killed them
        mid-task (the task's result never recorded; lost outright on the Redis broker),
        while the cluster's main process, asked alone, lets them finish and stops them.
        """
        for _, process in self.children:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for _, process in self.children:
            with contextlib.suppress(subprocess.TimeoutExpired):  # past the deadline: killed below
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # whatever of its group is left: nothing outlives us
            process.wait()
