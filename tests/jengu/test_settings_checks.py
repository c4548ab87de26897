"""Malformed settings are reported by a system check, by name, without tracebacks or secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.config import parse_smtp_inbox, read_smtp_inboxes

ROOT = Path(__file__).resolve().parents[2]


def run_check(tmp_path, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_INBOX_")}
    environment.update(JENGU_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/check.sqlite3")
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_good_settings_pass_the_check(tmp_path):
    result = run_check(
        tmp_path,
        SMTP_INBOX_1="edd@jengu.ai|pa55word|smtp.jengu.ai|587|Edd Chen",
        SMTP_INBOX_2="anna@jengu.ai|other-pass|smtp.jengu.ai|465|Anna Berg",
        ALERT_WEBHOOK_URL="https://hooks.slack.com/services/T/B/X",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "value, problem",
    [
        ("foo|bar", "expected 5 fields"),
        ("not-an-email|topsecretpw|smtp.x.com|587|Edd", "field 1 (email)"),
        ("edd@jengu.ai||smtp.x.com|587|Edd", "field 2 (password) is empty"),
        ("edd@jengu.ai|topsecretpw|smtp.x.com|eighty|Edd", "field 4 (port)"),
        ("edd@jengu.ai|topsecretpw|smtp.x.com|70000|Edd", "field 4 (port)"),
        ("edd@jengu.ai|topsecretpw|smtp.x.com|587|", "field 5 (displayName)"),
    ],
)
def test_malformed_smtp_inbox_is_named_without_traceback_or_password(tmp_path, value, problem):
    result = run_check(tmp_path, SMTP_INBOX_1="edd@jengu.ai|pa55word|smtp.jengu.ai|587|Edd", SMTP_INBOX_2=value)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "SMTP_INBOX_2" in output and problem in output
    assert "SMTP_INBOX_1" not in output
    assert "Traceback" not in output
    assert "topsecretpw" not in output and "pa55word" not in output and "bar" not in output.replace("|", "")


@pytest.mark.parametrize(
    "variable, value, problem",
    [
        ("DATABASE_URL", "nosuchdb://x", "DATABASE_URL"),
        ("ALERT_WEBHOOK_URL", "hooks.slack.com/no-scheme", "ALERT_WEBHOOK_URL: must be an http(s) URL"),
        ("SMTP_INBOX_X", "a|b|c|1|d", "SMTP_INBOX_X"),
    ],
)
def test_other_malformed_values_are_reported_by_name(tmp_path, variable, value, problem):
    result = run_check(tmp_path, **{variable: value})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert problem in output
    assert "Traceback" not in output


def test_parse_smtp_inbox_reads_every_field_and_hides_the_password_in_repr():
    inbox = parse_smtp_inbox("SMTP_INBOX_1", "edd@jengu.ai|s3cr3t|smtp.jengu.ai|587|Edd Chen")
    assert (inbox.email, inbox.password, inbox.host, inbox.port, inbox.display_name) == (
        "edd@jengu.ai",
        "s3cr3t",
        "smtp.jengu.ai",
        587,
        "Edd Chen",
    )
    assert "s3cr3t" not in repr(inbox)


def test_inboxes_are_read_in_numeric_order():
    environ = {f"SMTP_INBOX_{n}": f"u{n}@jengu.ai|pw|smtp.jengu.ai|587|U{n}" for n in (10, 2, 1)}
    assert [i.variable for i in read_smtp_inboxes(environ)] == ["SMTP_INBOX_1", "SMTP_INBOX_2", "SMTP_INBOX_10"]
