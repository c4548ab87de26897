"""A throwaway Dovecot IMAP server for tests and benchmarks (Debian's dovecot-imapd).

``DovecotServer(users=[...]).start()`` writes a minimal configuration into a temporary
directory — passwd-file authentication, Maildir under the directory, plaintext login on
127.0.0.1 and a free port, no SSL, every process running as the current user — starts
``dovecot -F`` as a subprocess and waits for the greeting. ``deliver(user, raw)`` drops
a message into the user's Maildir (Dovecot picks new files up on the next SELECT/poll).
``reset_uidvalidity(user)`` deletes the mailbox's index and UID list, which makes
Dovecot assign a new UIDVALIDITY: what a restored or rebuilt mailbox looks like.
"""

from __future__ import annotations

import grp
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "imap-test-password"
_counter = itertools.count()


def dovecot_available() -> bool:
    return os.path.exists(DOVECOT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DovecotServer:
    def __init__(self, users: list[str], *, process_limit: int = 600, high_performance: bool = False):
        """``high_performance``: login processes serve many connections each (Dovecot's
        "high-performance mode") instead of one forked process per connection. Faster —
        what the benchmark uses — but there one failed login stalls the others sharing its
        login process for the failure delay, so the tests keep the default mode."""
        self.users = list(users)
        self.root = Path(tempfile.mkdtemp(prefix="jengu-dovecot-"))
        self.port = _free_port()
        self.process_limit = process_limit
        self.process: subprocess.Popen | None = None
        self.login_mode = "service_count = 0\n  client_limit = 1000" if high_performance else "service_count = 1"

    # --- configuration ---------------------------------------------------------------
    def _accounts(self) -> tuple[str, str, str, int, int]:
        """(internal user, its group, login user, mail uid, mail gid).

        Dovecot refuses to run its login processes as root; under root (CI containers)
        the Debian package's own unprivileged users take over and own the mail.
        """
        if os.getuid() != 0:
            user = pwd.getpwuid(os.getuid()).pw_name
            return user, grp.getgrgid(os.getgid()).gr_name, user, os.getuid(), os.getgid()
        internal = pwd.getpwnam("dovecot")
        return "dovecot", grp.getgrgid(internal.pw_gid).gr_name, "dovenull", internal.pw_uid, internal.pw_gid

    def _own(self, path: Path) -> None:
        if os.getuid() == 0:
            _user, _group, _login, uid, gid = self._accounts()
            os.chown(path, uid, gid)

    def _config(self) -> str:
        user, group, login_user, uid, gid = self._accounts()
        root = self.root
        return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# tests log in with a wrong password on purpose: no penalty delay for the next logins
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
mail_location = maildir:{root}/mail/%u
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 0
mail_max_userip_connections = 1000
default_process_limit = {self.process_limit}
default_client_limit = 4000
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  process_min_avail = 8
  {self.login_mode}
}}
service imap {{
  process_limit = {self.process_limit}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0600
  }}
}}
"""

    def add_users(self, users: list[str]) -> None:
        self.users += users
        self._write_passwd()

    def _write_passwd(self) -> None:
        lines = [f"{u}:{{PLAIN}}{PASSWORD}::::::" for u in self.users]
        (self.root / "passwd").write_text("\n".join(lines) + "\n")

    def start(self) -> DovecotServer:
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
            self._own(self.root / sub)
        self.root.chmod(0o755)
        self._write_passwd()
        for user in self.users:
            self._maildir(user)
        config = self.root / "dovecot.conf"
        config.write_text(self._config())
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode()} {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("dovecot did not answer within 15 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- mailboxes -------------------------------------------------------------------
    def _maildir(self, user: str) -> Path:
        path = self.root / "mail" / user
        if not path.exists():
            for sub in ("cur", "new", "tmp"):
                (path / sub).mkdir(parents=True, exist_ok=True)
                self._own(path / sub)
            self._own(path)
        return path

    def deliver(self, user: str, raw: bytes) -> None:
        path = self._maildir(user)
        name = f"{time.time():.6f}.{os.getpid()}_{next(_counter)}.jengu"
        (path / "tmp" / name).write_bytes(raw)
        self._own(path / "tmp" / name)
        os.rename(path / "tmp" / name, path / "new" / name)

    def reset_uidvalidity(self, user: str) -> None:
        path = self._maildir(user)
        for leftover in path.glob("dovecot*"):
            leftover.unlink()
        for message in (path / "cur").iterdir():  # back to "new": the rebuilt mailbox renumbers them
            os.rename(message, path / "new" / message.name.split(":")[0])
