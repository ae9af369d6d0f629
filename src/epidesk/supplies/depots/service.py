"""Use cases of depots: stock by item and lot, changed only through appended movements
(receipts through the kit's import lifecycle, issues picked first-expired-first-out,
transfers, adjustments with a reason), and the figures and forecast of each depot."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, NotFoundError, ValidationFailedError
from epidesk.geography.repository import district
from epidesk.kit import clock
from epidesk.kit.imports import Imported, Progress, Unreadable, run_import, unreadable_problem
from epidesk.kit.reports import FileFormat, Problem, Report, line_of, report_of
from epidesk.supplies.depots import repository
from epidesk.supplies.models import Depot, StockLot, StockMovement, StockReceipt
from epidesk.supplies.rules import (
    ITEMS,
    MAX_QUANTITY,
    StockFigures,
    fefo,
    is_vaccine,
    stock_figures,
    stocked_item,
)

# Days of issues the current rate is averaged over, and the days a resupply takes: a
# depot whose stock lasts less than that raises a shortage alert.
RATE_WINDOW = 7
LEAD_DAYS = 3
DEPOT_KINDS = ("supplies", "vaccination_site")


class ShortOfStock(ConflictError):
    """The depot holds too little of an item (the detail names it)."""


def create_depot(session: Session, *, code: str, name: str, district_id: int,
                 kind: str = "supplies") -> Depot:
    """A new depot (409 when the code is taken)."""
    if kind not in DEPOT_KINDS:
        raise ValidationFailedError(f"kind: one of {', '.join(DEPOT_KINDS)}")
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise ValidationFailedError("a depot needs a code and a name")
    if district(session, district_id) is None:
        raise ValidationFailedError(f"district_id: no district {district_id}", errors=[
            {"loc": ["body", "district_id"], "msg": f"no district {district_id}",
             "type": "value_error"}])
    if code in repository.depots_by_code(session):
        raise ConflictError(f"a depot with code {code!r} exists")
    depot = Depot(code=code, name=name, district_id=district_id, kind=kind)
    session.add(depot)
    session.flush()
    return depot


def site_depots(session: Session, sites: Sequence[tuple[str, str, int]]) -> dict[str, int]:
    """The depot of each vaccination site (code, name, district): the depot with the
    site's code, made (of kind "vaccination_site") where none exists yet; code -> id."""
    found = repository.depot_ids_by_code(session, [code for code, _, _ in sites])
    fresh = [Depot(code=code, name=name, district_id=district_id, kind="vaccination_site")
             for code, name, district_id in sites if code not in found]
    session.add_all(fresh)
    session.flush()
    return {**found, **{d.code: d.id for d in fresh}}


def get_depot(session: Session, depot_id: int) -> Depot:
    """One depot, or 404."""
    found = repository.depot(session, depot_id)
    if found is None:
        raise NotFoundError(f"no depot {depot_id}")
    return found


def _check_item(item: str) -> None:
    if not stocked_item(item):
        raise ValidationFailedError(f"unknown item {item!r}; one of {', '.join(ITEMS)} "
                                    "or vaccine:<product>")


def _move(session: Session, *, depot_id: int, item: str, lot: str, quantity: int, kind: str,
          actor: str, at: datetime, reason: str = "", expires_on: date | None = None,
          receipt_id: int | None = None, batch_id: int | None = None) -> StockMovement:
    """Change one lot's count and append the movement (never below zero)."""
    found = repository.lot(session, depot_id, item, lot)
    if found is None:
        if quantity < 0:
            raise ShortOfStock(f"no lot {lot!r} of {item} at this depot")
        if expires_on is None and is_vaccine(item):
            raise ValidationFailedError(f"a vaccine lot names its expiry (lot {lot!r})")
        found = StockLot(depot_id=depot_id, item=item, lot=lot, expires_on=expires_on,
                         on_hand=0)
        session.add(found)
    if found.on_hand + quantity < 0:
        raise ShortOfStock(f"lot {lot!r} of {item} holds {found.on_hand}, not {-quantity}")
    found.on_hand += quantity
    movement = StockMovement(depot_id=depot_id, item=item, lot=lot, kind=kind,
                             quantity=quantity, reason=reason, at=at,
                             on_day=clock.local_day(at), actor=actor, receipt_id=receipt_id,
                             batch_id=batch_id)
    session.add(movement)
    session.flush()
    return movement


def adjust(session: Session, *, depot_id: int, item: str, lot: str, change: int, reason: str,
           actor: str, expires_on: date | None = None) -> StockMovement:
    """A counted correction (damage, loss, a recount), which must say why."""
    get_depot(session, depot_id)
    _check_item(item)
    if not reason.strip():
        raise ValidationFailedError("an adjustment needs a reason")
    if change == 0 or abs(change) > MAX_QUANTITY:
        raise ValidationFailedError(f"change must be between -{MAX_QUANTITY} and "
                                    f"{MAX_QUANTITY}, not 0")
    if not lot.strip():
        raise ValidationFailedError("name the lot")
    return _move(session, depot_id=depot_id, item=item, lot=lot.strip(), quantity=change,
                 kind="adjustment", actor=actor, at=clock.now(), reason=reason.strip(),
                 expires_on=expires_on)


def short_items(session: Session, depot_id: int, wanted: Mapping[str, int], *, on: date
                ) -> dict[str, int]:
    """item -> how many units short, of what a depot could issue on a day (unexpired)."""
    have = repository.on_hand(session, [depot_id], usable_on=on)
    return {i: n - have.get((depot_id, i), 0) for i, n in sorted(wanted.items())
            if n > have.get((depot_id, i), 0)}


def issue(session: Session, *, depot_id: int, items: Mapping[str, int], actor: str,
          batch_id: int | None = None, reason: str = "", on: date | None = None
          ) -> list[StockMovement]:
    """Issue items, each picked first-expired-first-out across lots (expired lots never);
    all or nothing (409 naming the first item short)."""
    day = on or clock.city_today()
    at = clock.now()
    short = short_items(session, depot_id, items, on=day)
    if short:
        item, n = next(iter(short.items()))
        raise ShortOfStock(f"short of {item} by {n}")
    out: list[StockMovement] = []
    for item, quantity in sorted(items.items()):
        if quantity <= 0:
            continue
        lots = [(lt.lot, lt.expires_on, lt.on_hand) for lt in repository.lots(session,
                                                                              depot_id, item)]
        for lot, take in fefo(lots, quantity, on=day):
            out.append(_move(session, depot_id=depot_id, item=item, lot=lot, quantity=-take,
                             kind="issue", actor=actor, at=at, reason=reason,
                             batch_id=batch_id))
    return out


def take(session: Session, *, depot_id: int, item: str, quantity: int, actor: str,
         lot: str | None = None, reason: str = "", on: date | None = None
         ) -> list[StockMovement]:
    """Issue one item: from the named lot, else first-expired-first-out across lots; an
    expired lot never (409 naming what is short, 422 for an expired or unknown lot)."""
    day = on or clock.city_today()
    if lot is None:
        return issue(session, depot_id=depot_id, items={item: quantity}, actor=actor,
                     reason=reason, on=day)
    found = repository.lot(session, depot_id, item, lot)
    if found is None:
        raise ValidationFailedError(f"no lot {lot!r} of {item} at this depot")
    if found.expires_on is not None and found.expires_on < day:
        raise ValidationFailedError(f"lot {lot!r} of {item} expired on "
                                    f"{found.expires_on.isoformat()}")
    if found.on_hand < quantity:
        raise ShortOfStock(f"lot {lot!r} of {item} holds {found.on_hand}, not {quantity}")
    return [_move(session, depot_id=depot_id, item=item, lot=lot, quantity=-quantity,
                  kind="issue", actor=actor, at=clock.now(), reason=reason)]


def transfer(session: Session, *, from_depot: int, to_depot: int, item: str, quantity: int,
             actor: str, reason: str = "", lot: str | None = None) -> list[StockMovement]:
    """Move stock between depots, first-expired-first-out (or from the named lot), lots
    and expiry kept."""
    get_depot(session, from_depot)
    get_depot(session, to_depot)
    _check_item(item)
    if from_depot == to_depot:
        raise ValidationFailedError("a transfer goes to another depot")
    if not 0 < quantity <= MAX_QUANTITY:
        raise ValidationFailedError(f"quantity must be between 1 and {MAX_QUANTITY}")
    day, at = clock.city_today(), clock.now()
    lots = {lt.lot: lt for lt in repository.lots(session, from_depot, item)
            if lot is None or lt.lot == lot}
    if lot is not None and lot not in lots:
        raise ValidationFailedError(f"no lot {lot!r} of {item} at this depot")
    try:
        picked = fefo([(lt.lot, lt.expires_on, lt.on_hand) for lt in lots.values()], quantity,
                      on=day)
    except ValueError as exc:
        raise ShortOfStock(f"short of {item}: {exc}") from exc
    out = []
    for lot, take in picked:
        note = reason.strip() or "transfer"
        out.append(_move(session, depot_id=from_depot, item=item, lot=lot, quantity=-take,
                         kind="transfer", actor=actor, at=at, reason=note))
        out.append(_move(session, depot_id=to_depot, item=item, lot=lot, quantity=take,
                         kind="transfer", actor=actor, at=at, reason=note,
                         expires_on=lots[lot].expires_on))
    return out


def figures(session: Session, *, depot_id: int, day: date, window: int = RATE_WINDOW,
            lead_days: int = LEAD_DAYS) -> list[StockFigures]:
    """Each item's stock on hand, rate of issue over the last `window` days, days of stock,
    stock-out days in the window and the shortage forecast, as of the end of `day`."""
    first = day - timedelta(days=window - 1)
    moved = repository.daily_movements(session, depot_id, first, day + timedelta(days=3650))
    now = repository.on_hand(session, [depot_id], usable_on=day)
    out = []
    held = {i for i, _, _ in moved} | {i for _, i in now}
    for item in [*ITEMS, *sorted(i for i in held if i not in ITEMS)]:
        after = sum(n for (i, d, _), n in moved.items() if i == item and d > day)
        on_hand = now.get((depot_id, item), 0) - after
        days = [first + timedelta(days=k) for k in range(window)]
        issued = [-sum(n for (i, d, kind), n in moved.items()
                       if i == item and d == x and kind == "issue") for x in days]
        closing = []
        balance = on_hand
        for x in reversed(days):
            closing.append(balance)
            balance -= sum(n for (i, d, _), n in moved.items() if i == item and d == x)
        closing.reverse()
        if on_hand == 0 and not any(issued) and not any(closing):
            continue
        out.append(stock_figures(item, on_hand, issued, closing, lead_days=lead_days))
    return out


@dataclass(frozen=True)
class Alert:
    """A depot forecast to run out of an item before a resupply arrives."""

    depot_id: int
    depot: str
    item: str
    on_hand: int
    days_of_stock: float | None


def shortages(session: Session, *, day: date, district_ids: Sequence[int] | None = None
              ) -> list[Alert]:
    """Every shortage alert of the depots (of these districts) on a day; a depot with no
    protective equipment at all is always alerted, since no batch can leave it."""
    out = []
    for depot in repository.depots(session, district_ids):
        found = {f.item: f for f in figures(session, depot_id=depot.id, day=day)}
        for item in [*ITEMS, *sorted(i for i in found if i not in ITEMS)]:
            f = found.get(item)
            if f is not None and f.shortage:
                out.append(Alert(depot.id, depot.name, item, f.on_hand, f.days_of_stock))
            elif f is None and ITEMS.get(item) == "ppe" and depot.kind == "supplies":
                out.append(Alert(depot.id, depot.name, item, 0, None))
    return out


# ---------------------------------------------------------------- receipts (imported files)

RECEIPT_COLUMNS = ("depot", "item", "lot", "expires_on", "quantity")
RECEIPT_FORMAT = FileFormat(columns=RECEIPT_COLUMNS, kinds={
    "missing_column": "missing column", "unknown_depot": "unknown depot",
    "unknown_item": "unknown item", "bad_lot": "bad lot", "bad_date": "bad date",
    "bad_quantity": "bad quantity", "expired": "expired"})


@dataclass(frozen=True)
class ReceiptLine:
    """One line of a receipt file."""

    depot_id: int
    item: str
    lot: str
    expires_on: date | None
    quantity: int


@dataclass
class ParsedReceipt:
    """A receipt file read whole: its rows as text, checked by `validate`."""

    rows: list[dict[str, str]]
    lines: list[ReceiptLine]


class ReceiptImporter:
    """Receipt files (CSV: depot, item, lot, expires_on, quantity) for the kit's lifecycle."""

    def find(self, session: Session, digest: str) -> StockReceipt | None:
        """An earlier import of the same file."""
        return repository.receipt_by_digest(session, digest)

    def new_record(self, digest: str) -> StockReceipt:
        """A new record for the file."""
        return StockReceipt(digest=digest, attempts=0, lines=0)

    def read(self, session: Session, content: bytes, filename: str,
             step: Callable[..., None]) -> ParsedReceipt:
        """The whole CSV file (UTF-8, a header line naming the columns)."""
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Unreadable("the file is not UTF-8 text") from exc
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in RECEIPT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise Unreadable(f"missing columns: {', '.join(missing)}", 1, missing[0])
        rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
        if not rows:
            raise Unreadable("the file has no lines")
        step("read")
        return ParsedReceipt(rows=rows, lines=[])

    def unreadable(self, message: str, line: int = 0, column: str = "") -> Report:
        """The report of a file that cannot be read."""
        return report_of([unreadable_problem("CSV", message, line, column)],
                         file_format=RECEIPT_FORMAT)

    def validate(self, session: Session, parsed: ParsedReceipt, now: datetime) -> Report:
        """Every line checked: a known depot and item, a lot, a date, a positive count,
        nothing already expired."""
        depots = repository.depots_by_code(session)
        today = clock.local_day(now)
        problems: list[Problem] = []
        parsed.lines = []
        for n, row in enumerate(parsed.rows):
            line = line_of(n)
            found: list[Problem] = []
            depot = depots.get(row.get("depot", ""))
            if depot is None:
                found.append(Problem(line, "depot", "unknown_depot",
                                     f"no depot with code {row.get('depot', '')!r}"))
            item = row.get("item", "")
            if not stocked_item(item):
                found.append(Problem(line, "item", "unknown_item", f"unknown item {item!r}"))
            elif is_vaccine(item) and not row.get("expires_on"):
                found.append(Problem(line, "expires_on", "bad_date",
                                     "a vaccine lot names its expiry"))
            lot = row.get("lot", "")
            if not lot or len(lot) > 40:
                found.append(Problem(line, "lot", "bad_lot", "a lot code of 1 to 40 characters"))
            expires: date | None = None
            if row.get("expires_on"):
                try:
                    expires = date.fromisoformat(row["expires_on"])
                except ValueError:
                    found.append(Problem(line, "expires_on", "bad_date",
                                         "a date as YYYY-MM-DD, or empty"))
                else:
                    if expires < today:
                        found.append(Problem(line, "expires_on", "expired",
                                             "this lot has expired"))
            raw = row.get("quantity", "")
            if not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_QUANTITY * 100):
                found.append(Problem(line, "quantity", "bad_quantity",
                                     f"a whole number from 1 to {MAX_QUANTITY * 100}"))
            problems += found
            if not found and depot is not None:
                parsed.lines.append(ReceiptLine(depot.id, item, lot, expires, int(raw)))
        return report_of(problems, file_format=RECEIPT_FORMAT) if problems else Report()

    def write(self, session: Session, parsed: ParsedReceipt, record: StockReceipt,
              now: datetime, step: Callable[..., None]) -> None:
        """One receipt movement per line."""
        record.lines = len(parsed.lines)
        session.add(record)
        session.flush()
        for line in parsed.lines:
            _move(session, depot_id=line.depot_id, item=line.item, lot=line.lot,
                  quantity=line.quantity, kind="receipt", actor=record.received_by, at=now,
                  expires_on=line.expires_on, receipt_id=record.id)
            step("write")

    def conflicts(self, session: Session, parsed: ParsedReceipt) -> Report | None:
        """Receipts hit no unique key."""
        return None

    def rejected(self, record: StockReceipt, parsed: ParsedReceipt | None) -> None:
        """A rejected file received nothing."""
        record.lines = 0


def import_receipts(session: Session, *, content: bytes, filename: str, received_by: str,
                    progress: Progress | None = None) -> Imported[StockReceipt]:
    """Validate a receipt file whole, then book every line once, or record why not."""
    return run_import(session, ReceiptImporter(), content=content, filename=filename,
                      received_by=received_by, progress=progress)
