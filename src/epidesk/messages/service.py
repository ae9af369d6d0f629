"""Use cases of the messages domain: session first, keyword-only after; flush only."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epidesk.errors import ValidationFailedError
from epidesk.kit import clock, i18n
from epidesk.messages import repository
from epidesk.messages.models import OutboundMessage

CHANNELS = ("sms", "voice", "print")


def enqueue(session: Session, *, topic: str, reference: str, body: str, language: str,
            actor: str, resident_id: int | None = None, household_id: int | None = None,
            channel: str | None = None, recipient: str = "") -> OutboundMessage:
    """Queue a message once per (topic, reference): a second call returns the first row
    unchanged. `body` is the finished text in `language` (render it with
    `i18n.using(language)`); the dispatcher routes a message without a channel."""
    if resident_id is None and household_id is None:
        raise ValidationFailedError("a message needs a resident or a household")
    if channel is not None and channel not in CHANNELS:
        raise ValidationFailedError(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")
    if language not in i18n.LANGUAGES:
        raise ValidationFailedError(
            f"unknown language {language!r}; one of {', '.join(i18n.LANGUAGES)}")
    if not body.strip():
        raise ValidationFailedError("a message needs a text")
    found = repository.by_reference(session, topic, reference)
    if found is not None:
        return found
    moment = clock.now()
    message = OutboundMessage(
        topic=topic, reference=reference, resident_id=resident_id, household_id=household_id,
        channel=channel, recipient=recipient, language=language, body=body, state="queued",
        attempts=0, last_error="", created_at=moment, updated_at=moment, created_by=actor)
    session.add(message)
    session.flush()
    return message
