from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest
from shopkit import ShopkitError, check_sender, connect, send_one, write_outbox
from shopkit.testing import SMTP_LOGIN, Mailbox


def message(to: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "shop@example-shop.test"
    mail["To"] = to
    mail["Subject"] = "Hello"
    mail.set_content("Hello there")
    return mail


def test_messages_are_sent_and_a_refused_one_says_why(smtp_server: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp_server
    mailbox.refuse.add("gone@example.test")
    mailbox.reject_data.add("spam@example.test")
    with connect("127.0.0.1", port, "none", "") as client:
        results = [
            send_one(client, message(to))
            for to in (
                "ann@example.test",
                "gone@example.test",
                "spam@example.test",
                "bob@example.test",
            )
        ]
    assert results[0] == results[3] == "sent"
    assert results[1] == "refused by the server: 550 5.1.1 mailbox unavailable"
    assert results[2] == "refused by the server: 554 5.7.1 message rejected as spam"
    assert sorted(mailbox.by_recipient()) == ["ann@example.test", "bob@example.test"]


def test_a_lost_connection_raises(smtp_server: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp_server
    mailbox.hang_up.add("ann@example.test")
    client = connect("127.0.0.1", port, "none", "")
    with client, pytest.raises((OSError, smtplib.SMTPException)):
        send_one(client, message("ann@example.test"))


def test_a_server_that_cannot_be_used_is_named_without_the_password(
    closed: int, smtp_server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2-secret")
    with pytest.raises(
        ShopkitError, match=rf"cannot use the SMTP server 127.0.0.1:{closed}"
    ) as error:
        connect("127.0.0.1", closed, "none", "shop")
    assert "hunter2" not in str(error.value)
    _, port = smtp_server  # this server offers no STARTTLS
    with pytest.raises(ShopkitError, match=r"STARTTLS"):
        connect("127.0.0.1", port, "starttls", "shop")
    with pytest.raises(ShopkitError, match=r"smtp_security 'tls' is not one of"):
        connect("127.0.0.1", port, "tls", "shop")


def test_the_password_logs_in_and_a_wrong_one_is_refused(
    smtp_login_server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox, port = smtp_login_server
    user, password = SMTP_LOGIN
    monkeypatch.setenv("SMTP_PASSWORD", password)
    connect("127.0.0.1", port, "none", user).quit()
    assert mailbox.logins == [user]
    monkeypatch.setenv("SMTP_PASSWORD", "wrong")
    with pytest.raises(ShopkitError, match=r"cannot use the SMTP server") as error:
        connect("127.0.0.1", port, "none", user)
    assert "wrong" not in str(error.value)


def test_the_outbox_holds_one_whole_file_per_message(tmp_path: Path) -> None:
    written = write_outbox(
        [
            ("ann_at_example.test", message("ann@example.test")),
            ("../shop 1/2", message("b@x.test")),
        ],
        tmp_path / "outbox",
    )
    assert [path.name for path in written] == ["ann_at_example.test.eml", "_shop_1_2.eml"]
    assert all(path.parent == tmp_path / "outbox" for path in written)
    assert b"To: ann@example.test" in written[0].read_bytes()


@pytest.mark.parametrize("sender", ["shop", "shop@", "Shop <shop@example>", ""])
def test_a_sender_mail_cannot_come_from_is_refused(sender: str) -> None:
    with pytest.raises(ShopkitError, match=r"is not an email address"):
        check_sender(sender)
    check_sender("Example Shop <shop@example-shop.com>")
