"""Mail, against a real SMTP server (aiosmtpd) started by the tests: each message arrives in its
recipient's language with a plain-text and an HTML part, whether the change came from the web,
the CLI or an operation; nothing is sent (and the pages say so) with no server configured; a
server that is down never fails the change, and the message arrives once it is back; failed
jobs come as one digest; STARTTLS and TLS with a certificate checked against a private CA."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from archive.access import grants
from archive.accounts import users
from archive.catalogue import items
from archive.cli.records import users_approve
from archive.db import db
from archive.holdings import derivatives, queue, storage
from archive.mail import messages, outbox
from archive.models import Mail, User, utcnow
from archive.uow import unit_of_work
from tests.conftest import PASSWORD, Auth
from tests.test_upload import make_tone, upload

BASE_URL = "https://archive.example.org"


class Inbox:
    """What the SMTP server received: each message parsed, with its envelope."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPServer:
    """A real SMTP server on a port of this machine, which a test can stop and start again."""

    def __init__(self, port: int | None = None, **options):
        self.port = port or free_port()
        self.inbox = Inbox()
        self.options = options
        self.controller = None

    def start(self) -> SMTPServer:
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, **self.options
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SMTPServer().start()
    yield server
    server.stop()


def mail_settings(port: int, **more) -> dict:
    return {"HOST": "127.0.0.1", "PORT": port, "STARTTLS": False, "TIMEOUT": 5,
            "SENDER": "archive@archive.example.org", **more}  # fmt: skip


@pytest.fixture
def mailing(app, smtp):
    """The test's app sending its mail to ``smtp``, links built on BASE_URL."""
    app.config["MAIL"].update(mail_settings(smtp.port))
    app.config["SERVER"]["BASE_URL"] = BASE_URL
    return app


def set_language(app, email_address: str, language: str) -> None:
    with app.app_context():
        users.set_language(users.by_email(email_address), language)


def parts(message) -> tuple[str, str]:
    """The plain text and the HTML of a message (multipart/alternative, text first)."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def assert_no_tracking(html: str) -> None:
    """No image, style sheet, script or frame; every link absolute, at BASE_URL."""
    assert not re.search(r"<(img|link|script|iframe|object|embed)\b", html, re.I)
    assert "src=" not in html and "url(" not in html
    for href in re.findall(r'href="([^"]+)"', html):
        assert href.startswith(BASE_URL + "/"), href


def register(client, language: str, email_address: str = "new@example.org", name="Nour Saleh"):
    auth = Auth(client)
    token = auth.csrf(f"/register?lang={language}")
    return client.post(
        "/register",
        data={
            "csrf_token": token, "name": name, "email": email_address,
            "password": PASSWORD, "password2": PASSWORD,
            "affiliation": "جامعة بيرزيت", "purpose": "Prison poetry & songs <1980s>",
        },
    )  # fmt: skip


# --- each message, in its recipient's language ---------------------------------------------


def test_registration_and_approval_arrive_in_each_recipients_language(mailing, smtp, client):
    set_language(mailing, "admin@example.org", "en")
    response = register(client, "fr")
    assert response.status_code == 302
    with mailing.app_context():
        assert users.by_email("new@example.org").language == "fr"  # the page's language

    (to_admin,) = smtp.inbox.to("admin@example.org")
    assert to_admin["Content-Language"] == "en"
    assert to_admin["Auto-Submitted"] == "auto-generated"
    assert "Nour Saleh" in to_admin["Subject"]
    text, html = parts(to_admin)
    assert "جامعة بيرزيت" in text and "Prison poetry & songs <1980s>" in text  # as given
    assert "Prison poetry &amp; songs &lt;1980s&gt;" in html  # escaped in HTML only
    assert f"{BASE_URL}/manage/users?lang=en" in text
    assert_no_tracking(html)
    assert smtp.inbox.to("archivist@example.org") == []  # registrations are the admins' work

    Auth(client).login("admin@example.org")
    with mailing.app_context():
        new_id = users.by_email("new@example.org").id
    token = Auth(client).csrf("/manage/users")
    client.post(f"/manage/users/{new_id}/approve", data={"csrf_token": token})
    (approved,) = smtp.inbox.to("new@example.org")
    assert approved["Content-Language"] == "fr"
    text, html = parts(approved)
    assert "Se connecter" in html  # French from the catalogue
    assert '<html lang="fr" dir="ltr">' in html
    assert f"{BASE_URL}/login?lang=fr" in text
    assert approved["From"].addresses[0].addr_spec == "archive@archive.example.org"
    assert_no_tracking(html)


def test_access_requests_and_answers_from_the_cli_and_operations(mailing, smtp, runner):
    """The same operations tell the same people, whatever face called them; Arabic mail is
    right to left and the Arabic note is kept exactly."""
    with mailing.app_context():
        researcher = users.by_email("researcher@example.org")
        users.set_language(researcher, "ar")
        users.set_language(users.by_email("admin@example.org"), "fr")
        items.create(identifier="R-1", title="شهادة", type="testimony", user=None)
        first = grants.request_access(researcher, "R-1", "لبحثي عن سجن نفحة").id
        second = grants.request_access(researcher, "R-404", "ولهذا أيضاً").id
    to_admin = smtp.inbox.to("admin@example.org")
    assert len(to_admin) == 2 and all(m["Content-Language"] == "fr" for m in to_admin)
    text, html = parts(to_admin[0])
    assert "R-1" in to_admin[0]["Subject"] and "لبحثي عن سجن نفحة" in text
    assert "researcher@example.org" in text  # a researcher without a name: their address
    assert f"{BASE_URL}/manage/access-requests?lang=fr" in text

    with mailing.app_context():
        admin = users.by_email("admin@example.org")
        until = utcnow().date() + dt.timedelta(days=30)
        grants.grant(grants.get_request(first), by=admin, until=until)
        grants.refuse(grants.get_request(second), by=admin, note="لا يوجد تسجيل بهذا الرقم")
    granted, refused = smtp.inbox.to("researcher@example.org")
    for message in (granted, refused):
        assert message["Content-Language"] == "ar"
        text, html = parts(message)
        assert '<html lang="ar" dir="rtl">' in html
        assert_no_tracking(html)
    text, html = parts(granted)
    assert until.isoformat() in text and f"{BASE_URL}/items/R-1?lang=ar" in text
    text, html = parts(refused)
    assert "لا يوجد تسجيل بهذا الرقم" in text and "R-404" in refused["Subject"]

    with mailing.app_context():
        pending = users.create_user("cli@example.org", PASSWORD, "researcher", approved=False)
        users.set_language(pending, "en")
    result = runner.invoke(users_approve, ["cli@example.org"])
    assert result.exit_code == 0, result.output
    (approved,) = smtp.inbox.to("cli@example.org")
    assert approved["Content-Language"] == "en" and "approved" in approved["Subject"]


def test_registering_an_address_that_has_an_account_tells_its_owner_only(mailing, smtp, client):
    response = register(client, "ar", email_address="researcher@example.org", name="Someone")
    assert response.status_code == 302
    (to_owner,) = smtp.inbox.to("researcher@example.org")
    text, _html = parts(to_owner)
    assert f"{BASE_URL}/login?lang=ar" in text
    assert smtp.inbox.to("admin@example.org") == []  # no registration to approve


def test_a_mail_is_queued_only_if_the_change_commits(mailing, smtp):
    with mailing.app_context():
        pending = users.create_user("later@example.org", PASSWORD, "researcher", approved=False)
        with pytest.raises(RuntimeError), unit_of_work():
            users.approve(pending, by=None)
            raise RuntimeError("the change fails after the mail was written")
        assert db.session.scalar(select(func.count()).select_from(Mail)) == 0
        assert not users.by_email("later@example.org").approved
    assert smtp.inbox.messages == []


def test_the_worker_sends_the_mail_queued_after_the_commit(mailing, smtp):
    """Outside tests the message goes to the worker as a Huey job, queued once committed."""
    mailing.config["QUEUE"]["IMMEDIATE"] = False
    huey = queue.huey(mailing)
    with mailing.app_context():
        pending = users.create_user("queued@example.org", PASSWORD, "researcher", approved=False)
        users.approve(pending, by=None)
        (waiting,) = huey.pending()
        assert waiting.name == "send_mail" and smtp.inbox.messages == []
        huey.execute(huey.dequeue())
        assert db.session.scalars(select(Mail.state)).all() == ["sent"]
    assert [m["To"] for m in smtp.inbox.messages] == ["queued@example.org"]


# --- no server configured ------------------------------------------------------------------


def test_with_no_host_nothing_is_sent_and_the_pages_say_so(app, smtp, client):
    app.config["MAIL"].update(mail_settings(smtp.port, HOST=""))
    page = client.get("/register?lang=en").get_data(as_text=True)
    assert "This archive sends no email" in page
    register(client, "en")
    auth = Auth(client)
    auth.login("admin@example.org")
    with app.app_context():
        new_id = users.by_email("new@example.org").id
    response = client.post(
        f"/manage/users/{new_id}/approve",
        data={"csrf_token": auth.csrf("/manage/users")},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "is approved" in page and "Mail is not configured" in page
    assert "Mail is not configured ([MAIL] HOST)" in client.get("/manage/attention").get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Mail)) == 0
    assert smtp.inbox.messages == []

    app.config["MAIL"]["HOST"] = "127.0.0.1"  # and with one, the pages say mail goes out
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    assert "You will get an email" in client.get("/register?lang=en").get_data(as_text=True)


# --- a server that is down -----------------------------------------------------------------


def test_a_server_that_is_down_never_fails_the_change_and_the_mail_follows(app, client):
    server = SMTPServer()  # its port, with nothing listening yet
    app.config["MAIL"].update(mail_settings(server.port))
    client.get("/?lang=en")
    auth = Auth(client)
    auth.login("admin@example.org")
    with app.app_context():
        pending = users.create_user("wait@example.org", PASSWORD, "researcher", approved=False)
        users.set_language(pending, "en")  # the mail in English (Arabic unless they chose)
        pending_id = pending.id
    response = client.post(
        f"/manage/users/{pending_id}/approve",
        data={"csrf_token": auth.csrf("/manage/users")},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "is approved" in response.get_data(as_text=True)
    with app.app_context():
        assert users.get_user(pending_id).approved
        (mail,) = db.session.scalars(select(Mail)).all()
        assert mail.state == "pending" and mail.attempts == 1
        assert "ConnectionRefusedError" in mail.error
        assert outbox.send_due() == []  # not due yet: it waits a minute first
    page = client.get("/manage/attention").get_data(as_text=True)
    assert "Waiting to be sent again" in page

    server.start()
    try:
        with app.app_context():
            assert outbox.send_due(now=utcnow() + dt.timedelta(minutes=2)) == [mail.id]
            mail = db.session.get(Mail, mail.id)
            assert mail.state == "sent" and mail.attempts == 2 and mail.error == ""
            assert outbox.send_due(now=utcnow() + dt.timedelta(hours=2)) == []  # sent once
    finally:
        server.stop()
    (arrived,) = server.inbox.to("wait@example.org")
    assert "approved" in arrived["Subject"]


def test_after_its_retry_hours_a_mail_is_listed_as_not_delivered_and_can_be_sent_again(app, client):
    server = SMTPServer()
    app.config["MAIL"].update(mail_settings(server.port, RETRY_HOURS=1))
    with app.app_context():
        pending = users.create_user("late@example.org", PASSWORD, "researcher", approved=False)
        users.approve(pending, by=None)
        later = utcnow()
        for minutes in (2, 5, 10, 20, 40):  # waits of 1, 2, 4, 8, 16 minutes, then given up
            later += dt.timedelta(minutes=minutes)
            outbox.send_due(now=later)
        (mail,) = db.session.scalars(select(Mail)).all()
        assert mail.state == "failed" and mail.attempts == 6
    auth = Auth(client)
    auth.login("admin@example.org")
    page = client.get("/manage/attention").get_data(as_text=True)
    assert "late@example.org" in page and f"/manage/mail/{mail.id}/retry" in page
    server.start()
    try:
        client.post(f"/manage/mail/{mail.id}/retry", data={"csrf_token": auth.csrf("/")})
    finally:
        server.stop()
    assert len(server.inbox.to("late@example.org")) == 1
    with app.app_context():
        assert db.session.get(Mail, mail.id).state == "sent"


def test_an_address_the_server_refuses_for_good_is_not_retried(mailing, smtp):
    with mailing.app_context():
        pending = users.create_user("nobody@example.org", PASSWORD, "researcher", approved=False)
        users.approve(pending, by=None)
        (mail,) = db.session.scalars(select(Mail)).all()
        assert mail.state == "failed" and mail.attempts == 1
        assert mail.error.startswith("nobody@example.org: 550")
        assert users.by_email("nobody@example.org").approved  # the change stands


# --- failed jobs: one digest ---------------------------------------------------------------


def test_failed_jobs_come_as_one_digest_per_member_of_staff(mailing, smtp, client, tmp_path):
    set_language(mailing, "archivist@example.org", "en")
    auth = Auth(client)
    auth.login("archivist@example.org")
    result = upload(client, auth.csrf("/manage/upload"), make_tone(tmp_path / "t.wav", seconds=1))
    identifier = result.get_json()["results"][0]["item"]
    with mailing.app_context():
        item = items.find_item(identifier)
        original = storage.absolute(item.recordings[0].file("original").relpath)
        os.chmod(original, 0o644)
        original.write_bytes(b"not a recording any more")
        for _ in range(3):  # three transcodes fail on the broken original
            derivatives.regenerate([items.find_item(identifier)], user=None)
        assert smtp.inbox.messages == []  # not one mail per failure
        now = utcnow()
        assert messages.failed_jobs_digest(now=now) == 3
        assert messages.failed_jobs_digest(now=now + dt.timedelta(minutes=1)) == 0
    digests = [m for m in smtp.inbox.messages if m["Content-Language"]]
    assert sorted(m["To"] for m in digests) == ["admin@example.org", "archivist@example.org"]
    (to_archivist,) = smtp.inbox.to("archivist@example.org")
    text, html = parts(to_archivist)
    assert "3" in to_archivist["Subject"]
    assert text.count(f"{BASE_URL}/manage/items/{identifier}?lang=en") == 3
    assert f"{BASE_URL}/manage/attention?lang=en" in text
    assert_no_tracking(html)

    with mailing.app_context():  # one more failure: told after DIGEST_MINUTES, alone
        derivatives.regenerate([items.find_item(identifier)], user=None)
        assert messages.failed_jobs_digest(now=utcnow() + dt.timedelta(minutes=5)) == 0
        assert messages.failed_jobs_digest(now=utcnow() + dt.timedelta(minutes=16)) == 1
    assert len(smtp.inbox.to("archivist@example.org")) == 2


# --- encrypted connections -----------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), which the test trusts as its CA."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate for the TLS tests")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def approve_someone(app, email_address: str) -> Mail:
    with app.app_context():
        pending = users.create_user(email_address, PASSWORD, "researcher", approved=False)
        users.approve(pending, by=None)
        return db.session.scalars(select(Mail).where(Mail.recipient == email_address)).one()


def test_starttls_checks_the_servers_certificate(app, certificate):
    server = SMTPServer(tls_context=server_context(certificate), require_starttls=True).start()
    try:
        app.config["MAIL"].update(mail_settings(server.port, STARTTLS=True))
        refused = approve_someone(app, "untrusted@example.org")  # not signed by a trusted CA
        assert refused.state == "pending" and "CERTIFICATE_VERIFY_FAILED" in refused.error
        app.config["MAIL"]["CA_FILE"] = str(certificate[0])
        sent = approve_someone(app, "trusted@example.org")
        assert sent.state == "sent"
        app.config["MAIL"]["STARTTLS"] = False  # the server refuses mail in clear
        clear = approve_someone(app, "clear@example.org")
        assert clear.state == "pending" and "530" in clear.error
    finally:
        server.stop()
    assert [m["To"] for m in server.inbox.messages] == ["trusted@example.org"]


def test_tls_from_the_first_byte(app, certificate):
    server = SMTPServer(ssl_context=server_context(certificate)).start()
    try:
        app.config["MAIL"].update(mail_settings(server.port, TLS=True, CA_FILE=str(certificate[0])))
        assert approve_someone(app, "smtps@example.org").state == "sent"
    finally:
        server.stop()
    assert [m["To"] for m in server.inbox.messages] == ["smtps@example.org"]


def test_a_password_is_never_sent_in_clear(mailing, smtp):
    mailing.config["MAIL"].update(HOST="mail.example.org", USERNAME="archive", PASSWORD="x")
    mail = approve_someone(mailing, "secret@example.org")
    assert mail.state == "pending"
    assert "the password is never sent in clear" in mail.error


def test_a_user_chooses_the_language_of_their_mail(app, client):
    auth = Auth(client)
    auth.login("researcher@example.org")
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert 'name="language"' in page
    client.post("/account/language", data={"csrf_token": auth.csrf("/account"), "language": "fr"})
    bad = client.post(
        "/account/language",
        data={"csrf_token": auth.csrf("/account"), "language": "de"},
        follow_redirects=True,
    )
    assert "Arabic, English or French" in bad.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(select(User.language).where(User.email == "researcher@example.org"))
            == "fr"
        )
