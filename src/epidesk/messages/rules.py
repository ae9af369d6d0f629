"""How a message reaches a resident: the channel, retries and the outcomes of a call.
Pure: no session, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

# A resident of this age or older is called by an operator rather than sent an SMS.
ELDERLY_AGE = 70
# An SMS is tried this many times (waiting these minutes between), then the message is
# printed and delivered by a community worker instead.
SMS_RETRY_MINUTES = (5, 30, 120)
# A call that is not answered is tried this many times, then printed instead.
CALL_ATTEMPTS = 3
CALL_RESULTS = ("called", "no_answer", "wrong_number")
STATES = ("queued", "sent", "delivered", "failed", "cancelled")


@dataclass(frozen=True)
class Route:
    """The channel chosen and where it goes (a phone number, or "" for print)."""

    channel: str
    recipient: str


def age_on(birth: date, day: date) -> int:
    """Whole years of age on a day."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def route(*, phone: str | None, birth_date: date | None, today: date,
          wants_voice: bool = False) -> Route:
    """SMS when a phone is known; a call by an operator when asked, or for the elderly
    (who have a phone); else a printed notice delivered by a community worker."""
    number = (phone or "").strip()
    if not number:
        return Route("print", "")
    elderly = birth_date is not None and age_on(birth_date, today) >= ELDERLY_AGE
    if wants_voice or elderly:
        return Route("voice", number)
    return Route("sms", number)


def after_sms_failure(attempts: int, at: datetime) -> tuple[str, datetime | None]:
    """After `attempts` failed tries of an SMS: ("sms", when to retry) or ("print", None)."""
    if attempts <= len(SMS_RETRY_MINUTES):
        return "sms", at + timedelta(minutes=SMS_RETRY_MINUTES[attempts - 1])
    return "print", None


def after_call(result: str, attempts: int) -> tuple[str, str]:
    """A call's result as (state, channel): answered is delivered; no answer is tried
    again until CALL_ATTEMPTS, then printed; a wrong number is printed at once."""
    if result == "called":
        return "delivered", "voice"
    if result == "no_answer" and attempts < CALL_ATTEMPTS:
        return "queued", "voice"
    return "queued", "print"
