"""The dispatcher: route queued messages, then send the SMS that are due through the
configured adapter, recording each attempt; failures are retried, then printed.

The default adapter writes one JSON line per message to a file in a directory, so the
platform runs with no provider; `EPIDESK_MESSAGES_SMS_URL` switches to an HTTP provider
(a POST of JSON {"to", "text", "reference"} with a bearer key; any 2xx is accepted).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.orm import Session

from epidesk.kit import clock
from epidesk.messages import repository, rules, service
from epidesk.messages.models import OutboundMessage


class MessagesSettings(BaseSettings):
    """Where SMS go (environment variables prefixed EPIDESK_MESSAGES_)."""

    model_config = SettingsConfigDict(env_prefix="EPIDESK_MESSAGES_", extra="ignore")

    outbox_dir: Path = Field(default=Path("./outbox"),
                             description="Folder of the file adapter's JSON-lines files")
    sms_url: str | None = Field(default=None, description="An SMS provider's HTTP endpoint")
    sms_key: str | None = Field(default=None, description="The provider's bearer key")
    sms_timeout_seconds: float = Field(default=10.0, gt=0)
    batch: int = Field(default=500, gt=0, description="Messages sent per transaction step")


class SendFailed(Exception):
    """The adapter could not hand the message over."""


class SmsAdapter(Protocol):
    """Something that hands an SMS to a network."""

    def send(self, *, to: str, text: str, reference: str) -> None:
        """Send one message, or raise SendFailed."""
        ...


@dataclass
class FileAdapter:
    """Writes each SMS as a JSON line to `<dir>/sms-<city day>.jsonl`."""

    directory: Path

    def send(self, *, to: str, text: str, reference: str) -> None:
        """Append one line (the folder is created at first use)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.directory / f"sms-{clock.city_today().isoformat()}.jsonl"
            line = json.dumps({"to": to, "text": text, "reference": reference,
                               "at": clock.now().isoformat()}, ensure_ascii=False)
            with target.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
        except OSError as exc:
            raise SendFailed(f"cannot write the outbox: {exc.strerror}") from exc


@dataclass
class HttpAdapter:
    """POSTs each SMS to a provider."""

    url: str
    key: str | None
    timeout: float

    def send(self, *, to: str, text: str, reference: str) -> None:
        """One request; a non-2xx answer or a network error is a failure."""
        headers = {"Content-Type": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        body = json.dumps({"to": to, "text": text, "reference": reference},
                          ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            raise SendFailed(f"provider answered {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SendFailed(f"provider unreachable: {type(exc).__name__}") from exc
        if not 200 <= status < 300:
            raise SendFailed(f"provider answered {status}")


def configured_adapter(settings: MessagesSettings | None = None) -> SmsAdapter:
    """The HTTP provider when configured, else the file adapter."""
    chosen = settings or MessagesSettings()
    if chosen.sms_url:
        return HttpAdapter(chosen.sms_url, chosen.sms_key, chosen.sms_timeout_seconds)
    return FileAdapter(chosen.outbox_dir)


def _attempt(message: OutboundMessage, adapter: SmsAdapter, at: datetime) -> bool:
    message.attempts += 1
    message.updated_at = at
    try:
        adapter.send(to=message.recipient, text=message.body,
                     reference=f"{message.topic}:{message.reference}")
    except SendFailed as exc:
        message.last_error = str(exc)[:200]
        channel, retry = rules.after_sms_failure(message.attempts, at)
        message.channel = channel
        message.next_attempt_at = retry
        return False
    message.state = "sent"
    message.sent_at = at
    message.last_error = ""
    return True


def dispatch(session: Session, *, adapter: SmsAdapter | None = None,
             at: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Route what is unrouted, then send every SMS that is due; safe to run again (a sent
    message is never sent twice, a failed one waits for its retry time)."""
    moment = at or clock.now()
    chosen = adapter or configured_adapter()
    counts = {"routed": service.route_queued(session, today=clock.city_today(moment)),
              "sent": 0, "failed": 0}
    after = 0
    while found := repository.due_sms(session, moment, after_id=after, limit=batch):
        for message in found:
            counts["sent" if _attempt(message, chosen, moment) else "failed"] += 1
        after = found[-1].id
        session.flush()
    return counts
