"""The rules of household supplies, pure: what a household needs per day, the priority
score of the delivery queue, request validation, stock figures and the shortage forecast.

The priority score (higher is served first) is a weighted sum, written out so that it
can be explained to a household and checked by hand:

    score = 40 * medical          (a member on chronic medication, pregnant, or a request
                                   marked "medical")
          + 30 * infant           (a member under 2)
          + 25 * elderly_alone    (one member, aged 70 or more)
          + 20 * disability       (a member with a disability)
          + 10 * elderly          (a member aged 70 or more, not alone)
          +  5 * diet             (a recorded special diet)
          + 10 * urgent           (a request marked "urgent")
          +  8 * min(days without a delivery, 10)

The days term grows each day a household waits, so nobody waits for ever behind
others' needs: after 10 days it is worth 80 points, more than any single need.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from math import ceil
from typing import Any

import numpy as np
from numpy.typing import NDArray

from epidesk.kit import i18n
from epidesk.kit.i18n import _l

# What depots keep and deliveries carry; each item belongs to one stock category.
ITEMS: dict[str, str] = {
    "food_pack": "food",
    "infant_formula": "food",
    "nappies": "hygiene",
    "diet_pack": "food",
    "medicine": "medicine",
    "disinfectant": "disinfectant",
    "masks": "ppe",
    "gloves": "ppe",
}
ITEM_LABELS = i18n.register_labels("supply_item", {
    "food_pack": _l("food pack (one person, one day)"),
    "infant_formula": _l("infant formula (one day)"),
    "nappies": _l("nappies"),
    "diet_pack": _l("special diet pack (one day)"),
    "medicine": _l("medicine refill"),
    "disinfectant": _l("disinfectant"),
    "masks": _l("masks"),
    "gloves": _l("gloves"),
})
# Vaccines are kept by the depots of vaccination sites as the item "vaccine:<product>",
# every lot with its expiry; households never request them.
VACCINE_PREFIX = "vaccine:"
_VACCINE_ITEM = re.compile(r"vaccine:[a-z0-9][a-z0-9_-]{0,15}")


def vaccine_item(product: str) -> str:
    """The depot item of a vaccine product."""
    return VACCINE_PREFIX + product


def is_vaccine(item: str) -> bool:
    """Whether a depot item is a vaccine (its lots must carry an expiry)."""
    return item.startswith(VACCINE_PREFIX)


def stocked_item(item: str) -> bool:
    """Whether a depot may hold the item: a household supply or a vaccine product."""
    return item in ITEMS or _VACCINE_ITEM.fullmatch(item) is not None


# What a volunteer carries for each batch: never sent out without it.
PPE_PER_BATCH: dict[str, int] = {"masks": 2, "gloves": 2}

NEED_KINDS = ("diet", "medication", "disability", "infant", "other")
NEED_LABELS = i18n.register_labels("supply_need", {
    "diet": _l("special diet"),
    "medication": _l("medication"),
    "disability": _l("disability"),
    "infant": _l("infant"),
    "other": _l("other need"),
})
URGENCIES = ("normal", "urgent", "medical")
URGENCY_LABELS = i18n.register_labels("supply_urgency", {
    "normal": _l("normal"), "urgent": _l("urgent"), "medical": _l("medical need"),
})
CHANNELS = ("web", "phone", "community")
MOVEMENT_KINDS = ("receipt", "issue", "transfer", "adjustment")
i18n.register_labels("supply_flag", {
    "medical": _l("medical need"), "infant": _l("infant"),
    "elderly_alone": _l("elderly, living alone"), "disability": _l("disability"),
    "elderly": _l("elderly"), "diet": _l("special diet"),
})
i18n.register_labels("supply_batch_status", {
    "ready": _l("ready"), "held": _l("held"), "done": _l("done"),
})
i18n.register_labels("supply_delivery_status", {
    "planned": _l("planned"), "delivered": _l("delivered"), "failed": _l("not delivered"),
})
i18n.register_labels("supply_request_status", {
    "open": _l("open"), "planned": _l("planned"), "delivered": _l("delivered"),
    "cancelled": _l("cancelled"), "merged": _l("merged"),
})
i18n.register_labels("supply_movement", {
    "receipt": _l("receipt"), "issue": _l("issue"), "transfer": _l("transfer"),
    "adjustment": _l("adjustment"),
})

INFANT_YEARS = 2
ELDERLY_YEARS = 70
DAYS_CAP = 10
WEIGHTS: dict[str, float] = {
    "medical": 40, "infant": 30, "elderly_alone": 25, "disability": 20, "elderly": 10,
    "diet": 5, "urgent": 10, "day": 8,
}
# How many days of supplies one delivery carries.
DAYS_PER_DELIVERY = 3
MAX_ITEMS_PER_REQUEST = 8
MAX_QUANTITY = 10_000


@dataclass(frozen=True)
class Member:
    """What the rules read of one member of a household."""

    birth_date: date
    pregnant: bool = False
    disability: bool = False
    chronic_medication: bool = False


@dataclass(frozen=True)
class Flags:
    """What raises a household's priority."""

    medical: bool
    infant: bool
    elderly_alone: bool
    disability: bool
    elderly: bool
    diet: bool

    def named(self) -> list[str]:
        """The flags that are set, by name."""
        return [k for k in ("medical", "infant", "elderly_alone", "disability", "elderly",
                            "diet") if getattr(self, k)]


def age(birth: date, on: date) -> int:
    """Age in whole years on a day."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def household_flags(members: Sequence[Member], recorded: Iterable[str], on: date) -> Flags:
    """The household's priority flags from its members and its recorded needs."""
    kinds = set(recorded)
    ages = [age(m.birth_date, on) for m in members]
    elderly = any(a >= ELDERLY_YEARS for a in ages)
    return Flags(
        medical=any(m.chronic_medication or m.pregnant for m in members)
        or "medication" in kinds,
        infant=any(a < INFANT_YEARS for a in ages) or "infant" in kinds,
        elderly_alone=elderly and len(members) == 1,
        disability=any(m.disability for m in members) or "disability" in kinds,
        elderly=elderly and len(members) > 1,
        diet="diet" in kinds)


def daily_needs(members: Sequence[Member], recorded: Iterable[str], on: date
                ) -> dict[str, float]:
    """What the household needs per day: a food pack per person (a diet pack instead for
    one person where a diet is recorded), formula and 6 nappies per infant, a medicine
    refill per week per member on chronic medication, disinfectant weekly."""
    kinds = set(recorded)
    ages = [age(m.birth_date, on) for m in members]
    infants = sum(1 for a in ages if a < INFANT_YEARS) + (
        1 if "infant" in kinds and not any(a < INFANT_YEARS for a in ages) else 0)
    eaters = max(len(members) - sum(1 for a in ages if a < INFANT_YEARS), 0)
    out: dict[str, float] = {}
    diet = 1 if "diet" in kinds and eaters else 0
    if eaters - diet:
        out["food_pack"] = float(eaters - diet)
    if diet:
        out["diet_pack"] = 1.0
    if infants:
        out["infant_formula"] = float(infants)
        out["nappies"] = 6.0 * infants
    medicated = sum(1 for m in members if m.chronic_medication) + (
        1 if "medication" in kinds and not any(m.chronic_medication for m in members) else 0)
    if medicated:
        out["medicine"] = medicated / 7
    if members or infants:
        out["disinfectant"] = 1 / 7
    return out


def delivery_items(needs: dict[str, float], days: int = DAYS_PER_DELIVERY) -> dict[str, int]:
    """Whole quantities covering `days` days of the needs."""
    return {item: max(1, ceil(rate * days - 1e-9)) for item, rate in sorted(needs.items())
            if rate > 0}


def days_without(day: date, since: date, last_delivery: date | None) -> int:
    """Days a household has gone without a delivery: since its last one, else since its
    restriction began."""
    start = last_delivery if last_delivery is not None and last_delivery > since else since
    return max((day - start).days, 0)


def score(flags: Flags, days: int, urgency: str | None = None) -> float:
    """The documented priority score of one household (module docstring)."""
    return float(scores(
        medical=np.asarray([flags.medical or urgency == "medical"]),
        infant=np.asarray([flags.infant]), elderly_alone=np.asarray([flags.elderly_alone]),
        disability=np.asarray([flags.disability]), elderly=np.asarray([flags.elderly]),
        diet=np.asarray([flags.diet]), urgent=np.asarray([urgency == "urgent"]),
        days=np.asarray([days]))[0])


def scores(*, medical: NDArray[Any], infant: NDArray[Any], elderly_alone: NDArray[Any],
           disability: NDArray[Any], elderly: NDArray[Any], diet: NDArray[Any],
           urgent: NDArray[Any], days: NDArray[Any]) -> NDArray[np.float64]:
    """The score of many households at once (boolean arrays and whole days)."""
    w = WEIGHTS
    total: NDArray[np.float64] = (w["medical"] * medical.astype(np.float64) + w["infant"] * infant
            + w["elderly_alone"] * elderly_alone + w["disability"] * disability
            + w["elderly"] * elderly + w["diet"] * diet + w["urgent"] * urgent
            + w["day"] * np.minimum(days, DAYS_CAP))
    return total


def stop_key(unit: int, floor: int, door: int) -> int:
    """The order of doors inside a building: unit by unit, floor by floor, door by door."""
    return (unit * 1000 + floor) * 100 + door


def parse_items(raw: Iterable[str]) -> list[str]:
    """Requested items: known keys, each once, sorted (ValueError naming an unknown one)."""
    found: set[str] = set()
    for item in raw:
        key = item.strip()
        if not key:
            continue
        if key not in ITEMS:
            raise ValueError(f"unknown item {key!r}; one of {', '.join(ITEMS)}")
        found.add(key)
    if not found:
        raise ValueError("name at least one item")
    if len(found) > MAX_ITEMS_PER_REQUEST:
        raise ValueError(f"at most {MAX_ITEMS_PER_REQUEST} items")
    return sorted(found)


def normalise_phone(raw: str) -> str:
    """A phone number's digits (and a leading +), or ValueError."""
    text = raw.strip().replace(" ", "").replace("-", "")
    digits = text[1:] if text.startswith("+") else text
    if not digits.isascii() or not digits.isdigit() or not 5 <= len(digits) <= 15:
        raise ValueError("a phone number has 5 to 15 digits")
    return text


@dataclass(frozen=True)
class StockFigures:
    """A depot's figures for one item: on hand, the current rate of issue, days of stock,
    stock-out days in the window, and whether it will run out within the lead time."""

    item: str
    on_hand: int
    rate: float  # issued per day, averaged over the window
    days_of_stock: float | None  # None when nothing is being issued
    stock_out_days: int
    shortage: bool


def stock_figures(item: str, on_hand: int, issued: Sequence[int], closing: Sequence[int],
                  *, lead_days: int) -> StockFigures:
    """Figures from the daily issues and closing balances of the last days (oldest first):
    a shortage is forecast when the stock lasts less than the lead time of a resupply
    (or is already out)."""
    rate = sum(issued) / len(issued) if issued else 0.0
    days = on_hand / rate if rate > 0 else None
    outs = sum(1 for c in closing if c <= 0)
    shortage = on_hand <= 0 or (days is not None and days < lead_days)
    return StockFigures(item=item, on_hand=on_hand, rate=round(rate, 2),
                        days_of_stock=None if days is None else round(days, 1),
                        stock_out_days=outs, shortage=shortage)


def fefo(lots: Sequence[tuple[str, date | None, int]], quantity: int, *, on: date
         ) -> list[tuple[str, int]]:
    """First expired, first out: which lots (lot, expiry, on hand) to pick `quantity`
    from on a day, soonest expiry first (undated lots last, expired lots never), as
    (lot, how many); ValueError when the lots hold too little."""
    picked: list[tuple[str, int]] = []
    left = quantity
    usable = [x for x in lots if x[1] is None or x[1] >= on]
    for lot, _, have in sorted(usable, key=lambda x: (x[1] is None, x[1] or date.max, x[0])):
        if left <= 0:
            break
        take = min(have, left)
        if take > 0:
            picked.append((lot, take))
            left -= take
    if left > 0:
        raise ValueError(f"short by {left}")
    return picked
