"""FastAPI dependencies of the tracing domain, shared by its api and pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.errors import ConflictError
from epidesk.kit import clock
from epidesk.kit.access import MEDICAL_READ, TRACING_RUN, AreaPath, Caller
from epidesk.kit.i18n import _
from epidesk.kit.links import Link
from epidesk.kit.merges import MergePart
from epidesk.kit.panels import Audit, Panel
from epidesk.kit.tiles import Tile
from epidesk.kit.web import ensure_in_scope, require
from epidesk.tracing import service
from epidesk.tracing.contacts import service as contacts
from epidesk.tracing.contacts.rules import CaseContacts, ContactDetail
from epidesk.tracing.models import TracingRun
from epidesk.tracing.runs import service as runs
from epidesk.tracing.visits import service as visits

MedicalReader = Annotated[Caller, Depends(require(MEDICAL_READ))]
Tracer = Annotated[Caller, Depends(require(TRACING_RUN))]


def import_message(result: visits.VisitImport) -> str:
    """One sentence on what an upload did."""
    log = result.log
    if result.already_imported:
        return (f"this file was already imported as visit log {log.id} on "
                f"{clock.format_local(log.received_at)} ({clock.zone_label()}); nothing changed")
    if result.accepted:
        return (f"accepted: {log.rows:,} visits of {log.residents:,} residents to "
                f"{log.venues:,} venues")
    return f"rejected, nothing written: {result.report.summary()}"


def start_run(session: Session, principal: Caller, case_ids: list[int] | None,
              *, changes: bool = False) -> TracingRun:
    """Run tracing for a caller: every case, or the changed ones, need a city-wide grant;
    named cases their area. ConflictError when `changes` finds no change to follow."""
    area = principal.area_for(TRACING_RUN)
    paths = (None if case_ids is None
             else [service.case_area(session, case_id=i) for i in case_ids])
    runs.ensure_run_allowed(area, paths)
    if changes:
        run = service.follow_case_changes(session, actor=principal.username)
        if run is None:
            raise ConflictError(_("no case has been reported, reclassified, withdrawn or "
                                  "given new evidence since the last tracing run"))
        return run
    return runs.run_tracing(session, actor=principal.username, case_ids=case_ids)


def contact_for(session: Session, reader: Caller, resident_id: int) -> ContactDetail:
    """A contact inside the reader's area (else not found), the cases and people of its
    evidence named only inside that area."""
    ensure_in_scope(reader, MEDICAL_READ,
                    service.resident_area(session, resident_id=resident_id), "resident")
    return contacts.contact_detail(session, resident_id=resident_id,
                                   area=reader.area_for(MEDICAL_READ))


def contact_people(detail: ContactDetail) -> list[int]:
    """Every resident a contact's record names: the contact, and the named close contacts."""
    views = [*detail.evidence, *detail.withdrawn_evidence]
    return sorted({detail.resident.id, *(v.via_resident_id for v in views
                                         if v.via_resident_id is not None)})


def case_contact_people(found: CaseContacts) -> list[int]:
    """Every resident a case's contact list shows: the case's and its listed contacts."""
    return sorted({found.case.resident_id,
                   *(r.resident.id for r in [*found.close, *found.sub_close])})


def person_panel(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                 audit: Audit) -> Panel | None:
    """The person's record: their classification as a contact, the cases behind it (those
    outside the reader's area unnamed), and the follow-up tests due, done and missed."""
    if not caller.may(MEDICAL_READ, area):
        return None
    detail = contacts.contact_detail(session, resident_id=resident_id,
                                     area=caller.area_for(MEDICAL_READ))
    if detail.contact is None:
        return None
    audit("read", "contact", resident_id, person_id=resident_id,
          people=contact_people(detail))
    case_ids = sorted({e.row.case_id for e in detail.evidence})
    visible = {e.case_id for e in detail.evidence if e.case_id is not None}
    record = detail.contact
    tests = [{"day": t.test.day, "due_on": t.test.due_on.isoformat(), "status": t.status}
             for t in detail.follow_up]
    data = {"resident_id": resident_id, "tier": detail.tier, "status": record.status,
            "preset": record.preset,
            "last_exposure_on": record.last_exposure_on.isoformat(),
            "cases": [{"case_id": i} if i in visible else {"case_id": None}
                      for i in case_ids],
            "follow_up": tests, "missed": detail.missed,
            "follow_up_ends_on": tests[-1]["due_on"] if tests else None}
    where = f"{detail.tier.replace('_', '-')} contact" if detail.tier else "no longer a contact"
    return Panel(key="tracing", title=_("Contact tracing"), template="tracing/_person_panel.html",
                 data=data, view=data,
                 summary=f"{where} of {len(case_ids)} case(s); {detail.missed} tests missed")


def classification_panel(session: Session, *, caller: Caller, resident_id: int,
                         area: AreaPath, audit: Audit) -> Panel | None:
    """The evidence behind a resident's classification, for whoever reviews it (an
    appeal): the tier, every active piece of evidence (setting, place, dates, case, the
    preset's rule), the end of quarantine and the investigators' decisions. Cases and
    close contacts outside the reader's area are not named; to readers of medical details
    in the area only."""
    if not caller.may(MEDICAL_READ, area):
        return None
    detail = contacts.contact_detail(session, resident_id=resident_id,
                                     area=caller.area_for(MEDICAL_READ))
    record = detail.contact
    if record is None:
        return None
    audit("read", "contact", resident_id, person_id=resident_id,
          people=contact_people(detail))
    evidence = [{"tier": e.row.tier, "setting": e.row.setting, "derivation": e.derivation,
                 "place": e.place, "case_id": e.case_id,
                 "via_resident_id": e.via_resident_id,
                 "start": clock.aware(e.row.overlap_start).isoformat(),
                 "end": clock.aware(e.row.overlap_end).isoformat(), "rule": e.rule}
                for e in detail.evidence]
    decisions = [{"id": d.id, "kind": d.kind, "tier": d.tier, "status": d.status,
                  "previous_tier": d.previous_tier, "end_on": _day(d.end_on),
                  "reason": d.reason, "source": d.source, "decided_by": d.decided_by,
                  "decided_at": clock.aware(d.decided_at).isoformat(),
                  "holds": d.ended_at is None, "ended_reason": d.ended_reason}
                 for d in detail.decisions]
    data = {"resident_id": resident_id, "tier": detail.tier, "status": record.status,
            "preset": record.preset, "last_exposure_on": record.last_exposure_on.isoformat(),
            "decided_end_on": _day(record.decided_end_on), "evidence": evidence,
            "decisions": decisions}
    return Panel(key="tracing", title=_("Contact tracing"),
                 template="tracing/_classification_panel.html", data=data,
                 view={"data": data, "evidence": detail.evidence,
                       "decisions": detail.decisions, "contact": record},
                 summary=f"{len(evidence)} piece(s) of evidence, "
                         f"{len(decisions)} decision(s)")


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def overview_tiles(session: Session, *, caller: Caller, today: date) -> list[Tile]:
    """The command centre: contacts under follow-up in the reader's area, tests missed."""
    if not caller.can(MEDICAL_READ):
        return []
    counts = contacts.follow_up_counts(session, area=caller.area_for(MEDICAL_READ),
                                       today=today)
    return [Tile(key="tracing.follow_up", title=_("Contacts under follow-up"),
                 template="tracing/_follow_up_tile.html", link="/tracing", data=counts)]


def record_links(session: Session, *, caller: Caller, kind: str, ids: Sequence[int]
                 ) -> dict[int, list[Link]]:
    """Links from cases (the caller may see) to their contacts: how many, and where."""
    if kind != "case" or not ids or not caller.can(MEDICAL_READ):
        return {}
    traced = contacts.traced_cases(session, case_ids=ids)
    out: dict[int, list[Link]] = {}
    for case_id in ids:
        record = traced.get(case_id)
        if record is None:
            label, note = _("contacts not traced yet"), ""
        elif record.status != "active":
            label, note = _("contacts withdrawn with the case"), ""
        else:
            label = _("%(close)d close and %(sub_close)d sub-close contacts",
                      close=record.close_contacts, sub_close=record.sub_close_contacts)
            note = _("traced %(when)s (%(zone)s)", when=clock.format_local(record.traced_at),
                     zone=clock.zone_label())
        out[case_id] = [Link(kind="contacts", label=label, href=f"/tracing/cases/{case_id}",
                             id=case_id, note=note)]
    return out


# Two records of one person merged: visits, exposures, the contact classification and
# its evidence, follow-up tests and events become the survivor's.
person_merge = MergePart(
    covers=("venue_visit.resident_id", "exposure.resident_a_id", "exposure.resident_b_id",
            "contact.resident_id", "contact_evidence.resident_id",
            "contact_evidence.via_resident_id", "follow_up_test.resident_id",
            "contact_event.resident_id", "contact_decision.resident_id"),
    apply=service.merge_person_rows)
