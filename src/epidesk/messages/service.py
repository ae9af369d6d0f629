"""Use cases of the messages domain: session first, keyword-only after; flush only."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.kit import clock, i18n
from epidesk.messages import repository, rules
from epidesk.messages.models import OutboundMessage
from epidesk.people import repository as people

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


def route_queued(session: Session, *, today: date, batch: int = 1000) -> int:
    """Choose the channel of every queued message that has none (rules.route), and note
    the community it is worked in; returns how many were routed."""
    routed = 0
    after = 0
    while found := repository.unrouted(session, after_id=after, limit=batch):
        after = found[-1].id
        residents = people.residents_by_id(
            session, [m.resident_id for m in found if m.resident_id is not None])
        for m in found:
            person = residents.get(m.resident_id) if m.resident_id is not None else None
            if person is not None:
                chosen = rules.route(phone=person.phone, birth_date=person.birth_date,
                                     today=today)
                m.community_id = person.community_id
            else:
                home = people.household(session, m.household_id) if m.household_id else None
                chosen = rules.route(phone=None, birth_date=None, today=today)
                m.community_id = home.community_id if home is not None else None
            if m.channel is None:
                m.channel = chosen.channel
                m.recipient = m.recipient or chosen.recipient
                routed += 1
            m.updated_at = clock.now()
        session.flush()
    return routed


def get_message(session: Session, *, message_id: int) -> OutboundMessage:
    """A message, or not found."""
    found = repository.message(session, message_id)
    if found is None:
        raise NotFoundError(f"no message {message_id}")
    return found


def mark_call(session: Session, *, message: OutboundMessage, result: str, actor: str
              ) -> OutboundMessage:
    """An operator's call: answered (delivered), no answer (tried again, then printed) or
    a wrong number (printed)."""
    if message.channel != "voice" or message.state != "queued":
        raise ValidationFailedError("this message is not on the call list", field="message_id")
    if result not in rules.CALL_RESULTS:
        raise ValidationFailedError(f"result: one of {', '.join(rules.CALL_RESULTS)}",
                                    field="result")
    moment = clock.now()
    message.attempts += 1
    state, channel = rules.after_call(result, message.attempts)
    message.state, message.channel = state, channel
    if state == "delivered":
        message.delivered_at = moment
    else:
        message.last_error = result.replace("_", " ")
    message.handled_by = actor
    message.updated_at = moment
    session.flush()
    return message


def mark_delivered(session: Session, *, message: OutboundMessage, actor: str
                   ) -> OutboundMessage:
    """A community worker handed over a printed notice."""
    if message.channel != "print" or message.state != "queued":
        raise ValidationFailedError("this message is not a notice to deliver",
                                    field="message_id")
    moment = clock.now()
    message.state = "delivered"
    message.delivered_at = moment
    message.handled_by = actor
    message.updated_at = moment
    session.flush()
    return message
