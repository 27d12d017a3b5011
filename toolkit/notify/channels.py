"""The chat webhook and email: each told of a failure or a recovery, failures reported.

A channel that fails does not stop the others or the GitHub issue: `send_all` returns
one line per channel that failed, and the command exits 1 at the end.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from email.message import EmailMessage

from toolkit.metadata.model import EmailNotice
from toolkit.notify import rules
from toolkit.notify.rules import Subject
from toolkit.notify.settings import NotifySettings

TIMEOUT = 15.0  # seconds a webhook or an SMTP server may take to answer


def post_webhook(url: str, text: str) -> str | None:
    """POST `{"text": ...}` (Slack and Teams both read it); a problem, or None."""
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": text}).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "autokit-notify"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            answer.read()
    except urllib.error.HTTPError as error:
        return f"the chat webhook answered {error.code} {error.reason}"
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", None) or error or "timed out"
        return f"the chat webhook did not answer ({reason})"
    except ValueError:
        return "the chat webhook's secret does not hold a URL"
    return None


def send_email(notice: EmailNotice, password: str | None, subject: str, text: str) -> str | None:
    """Mail `text` to the notice's recipients; a problem, or None."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = notice.sender or notice.username or f"autokit@{notice.smtp_host}"
    message["To"] = ", ".join(notice.to)
    message.set_content(text)
    where = f"{notice.smtp_host}:{notice.smtp_port}"
    try:
        with smtplib.SMTP(notice.smtp_host, notice.smtp_port, timeout=TIMEOUT) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if password is not None and notice.username:
                smtp.login(notice.username, password)
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as error:
        return f"the SMTP server {where} refused the login of {notice.username} ({error.smtp_code})"
    except smtplib.SMTPException as error:
        return f"the SMTP server {where} refused the email ({error})"
    except (OSError, ssl.SSLError) as error:
        return f"the SMTP server {where} could not be reached ({error})"
    return None


def tell_channels(
    subject: Subject, settings: NotifySettings, failures: int, environ: Mapping[str, str]
) -> list[str]:
    """Tell the webhook and email of failures (`failures` > 0) or the recovery (0);
    what went wrong, one line each."""
    recovered = failures == 0
    text = rules.chat_recovery(subject) if recovered else rules.chat_failure(subject, failures)
    problems: list[str | None] = []
    if settings.webhook_secret:
        url = environ.get(settings.webhook_secret)
        unset = f"{settings.webhook_secret} is not set, so the chat webhook was not told"
        problems.append(post_webhook(url, text) if url else unset)
    notice = settings.email
    if notice is not None:
        secret = notice.password_secret
        password = environ.get(secret) if secret else None
        if secret and not password:
            problems.append(f"{secret} is not set, so no email was sent")
        else:
            title = rules.recovery_title(subject) if recovered else rules.issue_title(subject)
            problems.append(send_email(notice, password, title, text))
    return [problem for problem in problems if problem]
