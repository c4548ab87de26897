"""Inbox passwords and webhook signing secrets: write-only, encrypted at rest, only over TLS.

Issue 16, item 4. A view-only (Sales) user saw the inbox passwords as read-only text on
the inbox page; the database held them in plain text; an operator could point an
inbox's IMAP server at their own machine and Jengu would log in there with the stored
password; and the SMTP/IMAP clients fell back to plaintext when a server (or someone
in the middle) did not offer STARTTLS.
"""

from __future__ import annotations

import io
import socket
import ssl
import threading
from contextlib import contextmanager

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection

from infra.config import read_smtp_inboxes
from infra.http import override_transport
from infra.models import WebhookDelivery, WebhookSubscriber
from infra.webhooks_outbound import sign, webhook_fan_out
from outreach.models import Inbox
from outreach.providers.base import OutgoingMessage, ProviderError
from outreach.providers.smtp import SmtpProvider
from replies.inbound.imap import imap_poll
from replies.models import InboxCursor
from tests.factories import InboxFactory
from tests.support.smtp_sink import RecordingSink, free_port

pytestmark = pytest.mark.django_db

SMTP_PASSWORD = "S3cret-SMTP-pw!"
IMAP_PASSWORD = "S3cret-IMAP-pw!"
CHANGE = "/admin/outreach/inbox/{}/change/"


@pytest.fixture
def inbox():
    return InboxFactory(
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        smtp_password=SMTP_PASSWORD,
        imap_host="127.0.0.1",
        imap_port=free_port(),  # nothing listens there: a poll fails to connect
        imap_password=IMAP_PASSWORD,
    )


def form_data(inbox: Inbox, **changes) -> dict:
    """The inbox change form as a browser posts it (passwords blank: 'keep')."""
    data = {
        "email": inbox.email,
        "display_name": inbox.display_name,
        "smtp_host": inbox.smtp_host,
        "smtp_port": inbox.smtp_port,
        "smtp_username": inbox.smtp_username,
        "smtp_password": "",
        "imap_host": inbox.imap_host,
        "imap_port": inbox.imap_port,
        "imap_password": "",
        "warmup_started_on": inbox.warmup_started_on.isoformat(),
        "daily_ceiling": inbox.daily_ceiling,
        "health_score": inbox.health_score,
        "reputation_score": inbox.reputation_score,
    }
    data.update(changes)
    return data


def raw_columns(table: str, columns: list[str], pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s", [pk])  # noqa: S608 (our names)
        return cursor.fetchone()


# --- never rendered ------------------------------------------------------------------


def test_a_view_only_user_never_sees_the_inbox_passwords(client, sales_user, inbox):
    client.force_login(sales_user)
    response = client.get(CHANGE.format(inbox.pk))
    html = response.content.decode()
    assert response.status_code == 200 and inbox.email in html  # the page itself is there
    assert SMTP_PASSWORD not in html and IMAP_PASSWORD not in html
    assert "SMTP password" in html  # shown as set / not set, not as its value


def test_the_change_page_renders_write_only_password_inputs(client, ops_user, inbox):
    client.force_login(ops_user)
    response = client.get(CHANGE.format(inbox.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert SMTP_PASSWORD not in html and IMAP_PASSWORD not in html
    assert 'type="password" name="smtp_password"' in html
    form = response.context["adminform"].form
    assert "smtp_password" not in form.initial and "imap_password" not in form.initial


def test_saving_with_blank_passwords_keeps_the_stored_ones(client, ops_user, inbox):
    client.force_login(ops_user)
    response = client.post(CHANGE.format(inbox.pk), form_data(inbox, display_name="Edd C."))
    assert response.status_code == 302, response.content.decode()[:2000]
    inbox.refresh_from_db()
    assert (inbox.display_name, inbox.smtp_password, inbox.imap_password) == ("Edd C.", SMTP_PASSWORD, IMAP_PASSWORD)


# --- encrypted at rest ---------------------------------------------------------------


def test_inbox_passwords_are_ciphertext_in_the_database(inbox):
    smtp, imap = raw_columns("outreach_inbox", ["smtp_password", "imap_password"], inbox.pk)
    assert SMTP_PASSWORD not in smtp and IMAP_PASSWORD not in imap
    assert smtp.startswith("gAAAA") and imap.startswith("gAAAA")  # Fernet tokens
    assert smtp != raw_columns("outreach_inbox", ["smtp_password"], InboxFactory(smtp_password=SMTP_PASSWORD).pk)[0]
    fresh = Inbox.objects.get(pk=inbox.pk)
    assert (fresh.smtp_password, fresh.imap_password) == (SMTP_PASSWORD, IMAP_PASSWORD)


def test_dumpdata_writes_the_passwords_as_ciphertext_and_loaddata_reads_them_back(inbox, tmp_path):
    # a backup made with dumpdata must not hold the inbox passwords in plain text
    out = io.StringIO()
    call_command("dumpdata", "outreach.Inbox", format="json", stdout=out)
    dump = out.getvalue()
    assert SMTP_PASSWORD not in dump and IMAP_PASSWORD not in dump
    assert '"smtp_password": "gAAAA' in dump
    Inbox.objects.all().delete()
    fixture = tmp_path / "inboxes.json"
    fixture.write_text(dump)
    call_command("loaddata", str(fixture), verbosity=0)
    restored = Inbox.objects.get(pk=inbox.pk)
    assert (restored.smtp_password, restored.imap_password) == (SMTP_PASSWORD, IMAP_PASSWORD)
    smtp, imap = raw_columns("outreach_inbox", ["smtp_password", "imap_password"], inbox.pk)
    assert SMTP_PASSWORD not in smtp and IMAP_PASSWORD not in imap


def test_webhook_secret_is_encrypted_at_rest_and_still_signs(django_capture_on_commit_callbacks, settings):
    settings.JENGU_TASKS_SYNC = True
    created = WebhookSubscriber.objects.create(name="booking-sync", url="https://hooks.example/jengu")
    secret = created.secret
    (raw,) = raw_columns("infra_webhooksubscriber", ["secret"], created.pk)
    assert secret.startswith("whsec_") and secret not in raw and raw.startswith("gAAAA")

    requests = []
    transport = httpx.MockTransport(lambda request: requests.append(request) or httpx.Response(200))
    with override_transport(transport), django_capture_on_commit_callbacks(execute=True):
        webhook_fan_out("email.sent", {"email_id": 1})
    (request,) = requests
    timestamp = request.headers["X-Jengu-Timestamp"]
    assert request.headers["X-Jengu-Signature"] == sign(secret, timestamp, request.content)
    assert WebhookDelivery.objects.get().status == "delivered"


def test_the_signing_secret_is_shown_once_at_creation_and_never_again(admin_client):
    response = admin_client.post(
        "/admin/infra/webhooksubscriber/add/",
        {"name": "crm-sync", "url": "https://crm.example/hook", "events": ["email.sent"], "active": "on"},
    )
    secret = WebhookSubscriber.objects.get(name="crm-sync").secret
    assert response.status_code == 200 and secret in response.content.decode()  # the one time: the answer
    page = admin_client.get(f"/admin/infra/webhooksubscriber/{WebhookSubscriber.objects.get().pk}/change/")
    assert page.status_code == 200 and secret not in page.content.decode()


def test_key_rotation_re_encrypts_every_row_with_the_current_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    inbox = InboxFactory(smtp_password=SMTP_PASSWORD, imap_password=IMAP_PASSWORD)
    subscriber = WebhookSubscriber.objects.create(name="s", url="https://hooks.example/s")
    secret = subscriber.secret

    settings.FIELD_ENCRYPTION_KEYS = [new, old]  # the new key first, the old one still reads
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "3 value(s) re-encrypted" in out.getvalue() and SMTP_PASSWORD not in out.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key retired: everything still reads
    inbox.refresh_from_db()
    assert (inbox.smtp_password, inbox.imap_password) == (SMTP_PASSWORD, IMAP_PASSWORD)
    assert WebhookSubscriber.objects.get().secret == secret
    (raw,) = raw_columns("outreach_inbox", ["smtp_password"], inbox.pk)
    with pytest.raises(InvalidToken):
        Fernet(old.encode()).decrypt(raw.encode())


def test_without_keys_the_demo_key_comes_from_secret_key_and_a_lost_key_is_named_not_guessed(settings):
    from django.core.management.base import CommandError

    from infra.encryption import SecretUndecryptable, derived_dev_keys

    settings.FIELD_ENCRYPTION_KEYS = []  # the demo: DEBUG on, no keys
    inbox = InboxFactory(smtp_password=SMTP_PASSWORD)
    (raw,) = raw_columns("outreach_inbox", ["smtp_password"], inbox.pk)
    assert Fernet(derived_dev_keys()[0].encode()).decrypt(raw.encode()).decode() == SMTP_PASSWORD

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the key it was written with is gone
    with pytest.raises(SecretUndecryptable, match="outreach.Inbox.smtp_password") as lost:
        Inbox.objects.get(pk=inbox.pk)
    assert SMTP_PASSWORD not in str(lost.value) and raw not in str(lost.value)
    with pytest.raises(CommandError, match=f"outreach.Inbox.smtp_password id {inbox.pk}") as unreadable:
        call_command("rotate_field_keys", stdout=io.StringIO())
    assert raw not in str(unreadable.value)
    assert raw_columns("outreach_inbox", ["smtp_password"], inbox.pk) == (raw,)  # left as it was

    call_command("rotate_field_keys", "--include-dev-key", stdout=io.StringIO())  # moves it to the real key
    assert Inbox.objects.get(pk=inbox.pk).smtp_password == SMTP_PASSWORD


def test_production_without_encryption_keys_fails_the_deploy_check(settings):
    settings.DEBUG = False
    settings.FIELD_ENCRYPTION_KEYS = []
    errors = [m for m in run_checks(include_deployment_checks=True) if m.id == "jengu.E040"]
    assert errors and "FIELD_ENCRYPTION_KEYS" in errors[0].msg
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert not [m for m in run_checks(include_deployment_checks=True) if m.id == "jengu.E040"]


def test_a_malformed_key_is_a_config_error_without_the_key():
    from infra.config import CONFIG_ERRORS, fernet_keys

    before = len(CONFIG_ERRORS)
    good = Fernet.generate_key().decode()
    try:
        assert fernet_keys(f"{good}, not-a-key-at-all") == [good]
        ((variable, problem),) = CONFIG_ERRORS[before:]
        assert variable == "FIELD_ENCRYPTION_KEYS" and "key 2" in problem and "not-a-key" not in problem
    finally:
        del CONFIG_ERRORS[before:]


# --- a changed server needs the password again ----------------------------------------


class RecordingServer:
    """A TCP server on 127.0.0.1 that greets like an IMAP or SMTP server and records every line.

    It stands for the operator's own machine: whatever Jengu sends it is kept in ``lines``.
    """

    def __init__(self, greeting: bytes, answers: dict[bytes, bytes]):
        self.greeting, self.answers, self.lines = greeting, answers, []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn):
        imap = self.greeting.startswith(b"*")
        with conn, conn.makefile("rb") as reader:
            conn.sendall(self.greeting)
            for line in reader:
                self.lines.append(line)
                parts = line.split(b" ", 2)
                tag, verb = (parts[0], parts[1] if len(parts) > 1 else b"") if imap else (b"", parts[0])
                answer = self.answers.get(verb.strip().upper(), b"{tag} BAD unknown\r\n")
                conn.sendall(answer.replace(b"{tag}", tag))

    @contextmanager
    def running(self):
        self.thread.start()
        try:
            yield self
        finally:
            self.sock.close()

    def received(self) -> bytes:
        return b"".join(self.lines)


def imap_recorder() -> RecordingServer:
    return RecordingServer(
        b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n",
        {
            b"CAPABILITY": b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n",
            b"LOGIN": b"{tag} NO thanks for the password\r\n",
            b"LOGOUT": b"* BYE\r\n{tag} OK bye\r\n",
        },
    )


def test_moving_the_imap_server_without_the_password_is_refused(client, ops_user, inbox):
    with imap_recorder().running() as theirs:
        client.force_login(ops_user)
        response = client.post(CHANGE.format(inbox.pk), form_data(inbox, imap_port=theirs.port))
        assert response.status_code == 200  # the form again, with the error
        assert "enter the IMAP password again" in response.content.decode()
        inbox.refresh_from_db()
        assert inbox.imap_port != theirs.port
        imap_poll(inboxes=[inbox], timeout=2)
    assert IMAP_PASSWORD.encode() not in theirs.received() and SMTP_PASSWORD.encode() not in theirs.received()


def test_moving_the_smtp_server_without_the_password_is_refused(client, ops_user, inbox):
    client.force_login(ops_user)
    response = client.post(CHANGE.format(inbox.pk), form_data(inbox, smtp_host="smtp.operator.example"))
    assert response.status_code == 200 and "enter the SMTP password again" in response.content.decode()
    response = client.post(CHANGE.format(inbox.pk), form_data(inbox, smtp_username="someone-else"))
    assert response.status_code == 200 and "enter the SMTP password again" in response.content.decode()
    inbox.refresh_from_db()
    assert (inbox.smtp_host, inbox.smtp_username) == ("127.0.0.1", "")


def test_moving_a_server_with_the_password_entered_again_is_saved(client, ops_user, inbox):
    client.force_login(ops_user)
    data = form_data(inbox, smtp_host="smtp.jengu.example", smtp_password="new-smtp", imap_port=993,
                     imap_password="new-imap")  # fmt: skip
    response = client.post(CHANGE.format(inbox.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    inbox.refresh_from_db()
    assert (inbox.smtp_host, inbox.smtp_password, inbox.imap_port, inbox.imap_password) == (
        "smtp.jengu.example",
        "new-smtp",
        993,
        "new-imap",
    )


def test_an_imap_server_sharing_the_smtp_password_takes_the_smtp_one_entered_again(client, ops_user):
    shared = InboxFactory(smtp_password=SMTP_PASSWORD, imap_host="imap.jengu.example", imap_password="")
    client.force_login(ops_user)
    data = form_data(shared, smtp_host="smtp2.jengu.example", imap_host="imap2.jengu.example")
    response = client.post(CHANGE.format(shared.pk), {**data, "smtp_password": SMTP_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]


def test_sync_never_sends_a_separately_stored_imap_password_to_a_new_imap_server(settings):
    settings.SMTP_INBOXES = read_smtp_inboxes(
        {"SMTP_INBOX_1": "edd@getjengu.example|env-pw|smtp.getjengu.example|587|Edd Chen"}
    )
    call_command("sync_inboxes", stdout=io.StringIO())
    inbox = Inbox.objects.get(email="edd@getjengu.example")
    inbox.imap_password = IMAP_PASSWORD  # an operator set a separate IMAP password in the admin
    inbox.save()
    call_command("sync_inboxes", stdout=io.StringIO())  # same servers: it stays
    inbox.refresh_from_db()
    assert inbox.imap_password == IMAP_PASSWORD

    settings.SMTP_INBOXES = read_smtp_inboxes(
        {"SMTP_INBOX_1": "edd@getjengu.example|env-pw-2|smtp.other.example|587|Edd Chen"}
    )
    call_command("sync_inboxes", stdout=io.StringIO())
    inbox.refresh_from_db()
    assert inbox.imap_host == "imap.other.example"
    assert inbox.imap_password == ""  # the environment's password (fresh) goes there, not the stored one
    assert inbox.smtp_password == "env-pw-2"


# --- TLS or nothing ----------------------------------------------------------------------


def message() -> OutgoingMessage:
    return OutgoingMessage(
        from_email="edd@mail.jengu.test",
        from_name="Edd Chen",
        to="anna@hotel.example",
        subject="Check-in times",
        text="Hello",
        message_id="<tls-test@mail.jengu.test>",
        idempotency_key="k",
        headers={},
    )


class AuthRecordingSink(RecordingSink):
    """An SMTP server without STARTTLS that offers AUTH in the clear and records any attempt."""

    def __init__(self, **kwargs):
        super().__init__(password=SMTP_PASSWORD, **kwargs)
        self.auth_attempts = []
        check = self.controller.SMTP_kwargs["authenticator"]

        def recording(server, session, envelope, mechanism, auth_data):
            self.auth_attempts.append(auth_data)
            return check(server, session, envelope, mechanism, auth_data)

        self.controller.SMTP_kwargs["authenticator"] = recording


def test_smtp_without_starttls_is_refused_before_auth_unless_the_host_is_allow_listed(settings):
    settings.MAIL_PLAINTEXT_HOSTS = []
    with AuthRecordingSink() as sink:
        provider = SmtpProvider(host="127.0.0.1", port=sink.port, username="edd", password=SMTP_PASSWORD)
        with pytest.raises(ProviderError, match="STARTTLS") as refused:
            provider.send(message())
        assert SMTP_PASSWORD not in str(refused.value)
        assert sink.auth_attempts == [] and sink.messages == []

        settings.MAIL_PLAINTEXT_HOSTS = ["127.0.0.1"]  # the demo sink's case: loopback, allow-listed
        assert provider.send(message()) == "<tls-test@mail.jengu.test>"
        assert len(sink.auth_attempts) == 1 and len(sink.messages) == 1


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 and the file that makes clients trust it."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


def test_smtp_starttls_must_succeed_and_a_verified_one_carries_the_login(settings, tmp_path, monkeypatch):
    settings.MAIL_PLAINTEXT_HOSTS = []
    server_context, ca_file = _self_signed(tmp_path)
    with AuthRecordingSink() as sink:
        sink.controller.SMTP_kwargs.update(tls_context=server_context, require_starttls=True)
        sink.controller.SMTP_kwargs["auth_require_tls"] = True
        provider = SmtpProvider(host="127.0.0.1", port=sink.port, username="edd", password=SMTP_PASSWORD)
        # a certificate nobody vouches for (a man in the middle's): no login, nothing sent
        with pytest.raises(ProviderError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            provider.send(message())
        assert sink.auth_attempts == [] and sink.messages == []

        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # now the certificate is trusted
        assert provider.send(message()) == "<tls-test@mail.jengu.test>"
        assert len(sink.auth_attempts) == 1 and len(sink.messages) == 1


def test_imap_without_starttls_is_refused_before_login_unless_the_host_is_allow_listed(settings, inbox):
    settings.MAIL_PLAINTEXT_HOSTS = []
    with imap_recorder().running() as server:
        Inbox.objects.filter(pk=inbox.pk).update(imap_port=server.port)
        inbox.refresh_from_db()
        summary = imap_poll(inboxes=[inbox], timeout=5)
        assert summary.errors == 1
        assert "STARTTLS" in InboxCursor.objects.get(inbox=inbox).last_error
        assert b"LOGIN" not in server.received().upper() and IMAP_PASSWORD.encode() not in server.received()

        settings.MAIL_PLAINTEXT_HOSTS = ["127.0.0.1", "localhost", "::1"]
        imap_poll(inboxes=[inbox], timeout=5)
        assert IMAP_PASSWORD.encode() in server.received()  # allow-listed loopback: it logs in


def test_a_non_loopback_plaintext_host_is_a_deploy_warning(settings):
    settings.MAIL_PLAINTEXT_HOSTS = ["127.0.0.1", "smtp.jengu.example"]
    warnings = [m for m in run_checks(include_deployment_checks=True) if m.id == "jengu.W040"]
    assert warnings and "smtp.jengu.example" in warnings[0].msg
    settings.MAIL_PLAINTEXT_HOSTS = ["127.0.0.1", "localhost", "::1"]
    assert not [m for m in run_checks(include_deployment_checks=True) if m.id == "jengu.W040"]


@pytest.mark.django_db(transaction=True)
def test_the_migrations_encrypt_existing_rows_and_reverse_to_plain_text():
    from django.db.migrations.executor import MigrationExecutor

    before = [("outreach", "0002_composition_sending_sequences"), ("infra", "0003_api_keys_and_webhooks")]
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    MigrationExecutor(connection).migrate(before)
    try:
        with connection.cursor() as cursor:  # rows as the old code wrote them: plain text
            cursor.execute(
                "INSERT INTO outreach_inbox (email, display_name, smtp_host, smtp_port, smtp_username, smtp_password,"
                " imap_host, imap_port, imap_password, source, warmup_started_on, daily_ceiling, state,"
                " state_changed_at, state_reason, health_score, reputation_score, created_at) VALUES"
                " ('old@mail.jengu.test', 'Old', 'smtp.jengu.example', 587, '', %s, '', 993, '', '', '2026-01-05',"
                " 40, 'active', '2026-01-05 00:00:00', '', 1, 1, '2026-01-05 00:00:00')",
                [SMTP_PASSWORD],
            )
            cursor.execute(
                "INSERT INTO infra_webhooksubscriber (name, url, secret, events, active, consecutive_failures,"
                " disabled_reason, created_at) VALUES ('old', 'https://hooks.example/old', 'whsec_old-plain',"
                " '[]', true, 0, '', '2026-01-05 00:00:00')"
            )
        MigrationExecutor(connection).migrate(latest)
        inbox = Inbox.objects.get(email="old@mail.jengu.test")
        (smtp, imap) = raw_columns("outreach_inbox", ["smtp_password", "imap_password"], inbox.pk)
        assert smtp.startswith("gAAAA") and SMTP_PASSWORD not in smtp and imap == ""
        assert inbox.smtp_password == SMTP_PASSWORD and inbox.imap_password == ""
        subscriber = WebhookSubscriber.objects.get(name="old")
        assert subscriber.secret == "whsec_old-plain"
        assert "whsec_old-plain" not in raw_columns("infra_webhooksubscriber", ["secret"], subscriber.pk)[0]

        MigrationExecutor(connection).migrate(before)  # backwards: plain text again
        assert raw_columns("outreach_inbox", ["smtp_password"], inbox.pk) == (SMTP_PASSWORD,)
        assert raw_columns("infra_webhooksubscriber", ["secret"], subscriber.pk) == ("whsec_old-plain",)
    finally:
        MigrationExecutor(connection).migrate(latest)
