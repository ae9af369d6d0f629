"""Use cases of reading contacts: why a resident is a contact (for staff, and the letter
for the resident), a case's contacts, missed follow-up tests and cases as traced."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from epidesk.cases import repository as cases_repository
from epidesk.cases.models import CaseEpisode
from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.kit import clock
from epidesk.kit.access import AreaFilter, outside
from epidesk.kit.i18n import _
from epidesk.kit.orders import governing_order
from epidesk.kit.paging import COUNT_CAP, PageCount, page_count
from epidesk.people import repository as people_repository
from epidesk.people.models import Resident
from epidesk.policy.rules import quarantine_plan
from epidesk.policy.schemas import PLACE_LABELS, Preset
from epidesk.policy.service import active_preset
from epidesk.testing import repository as testing_repository
from epidesk.testing import service as testing
from epidesk.tracing import rules
from epidesk.tracing.contacts import repository
from epidesk.tracing.contacts.rules import (
    CaseContactRow,
    CaseContacts,
    ContactDetail,
    EvidenceFacts,
    EvidenceView,
    LetterStage,
    PlannedTestView,
    ResidentLetter,
    explain_for_resident,
    explain_for_staff,
    group_evidence,
)
from epidesk.tracing.decisions import repository as decisions_repository
from epidesk.tracing.exposures import repository as exposures_repository
from epidesk.tracing.models import Contact, ContactEvidence, FollowUpTest, TracedCase
from epidesk.tracing.rules import MAX_LIST
from epidesk.tracing.runs import repository as runs_repository


def _labels(session: Session, rows: Sequence[ContactEvidence]) -> dict[tuple[str, int], str]:
    by_setting: dict[str, set[int]] = {}
    for row in rows:
        by_setting.setdefault(row.setting, set()).add(row.place_id)
    out: dict[tuple[str, int], str] = {}
    readers = {rules.HOUSEHOLD: people_repository.household_labels,
               rules.WORK_GROUP: people_repository.work_group_labels,
               rules.SCHOOL_CLASS: people_repository.class_labels,
               rules.VENUE: people_repository.venue_labels}
    for setting, ids in by_setting.items():
        if setting in readers:
            for key, label in readers[setting](session, sorted(ids)).items():
                out[(setting, key)] = label
    return out


def _case_label(episode: CaseEpisode | None, resident: Resident | None, *,
                named: bool = True) -> str:
    if episode is None:
        return _("a case")
    if not named:
        return outside("case")
    if resident is None:
        return (_("confirmed case %(id)d", id=episode.id)
                if episode.classification == "confirmed"
                else _("asymptomatic case %(id)d", id=episode.id))
    if episode.classification == "confirmed":
        return _("confirmed case %(id)d (%(name)s, resident %(resident)d)", id=episode.id,
                 name=resident.name_latin, resident=resident.id)
    return _("asymptomatic case %(id)d (%(name)s, resident %(resident)d)", id=episode.id,
             name=resident.name_latin, resident=resident.id)


def _setting_label(key: str, settings: Mapping[str, str]) -> str | None:
    """An exposure's setting in words: the platform's translation, else the preset's text."""
    if key in rules.EXPOSURE_SETTING_LABELS:
        return str(rules.EXPOSURE_SETTING_LABELS[key])
    return settings.get(key)


def evidence_views(session: Session, rows: Sequence[ContactEvidence], *,
                   min_overlap_minutes: int, settings: Mapping[str, str],
                   zone: tzinfo | None = None, area: AreaFilter | None = None
                   ) -> list[EvidenceView]:
    """Evidence rows with names and reasons, for staff and for the resident; a case or a
    close contact living outside the area is named "... outside your area", without id."""
    zone = zone or clock.city_zone()
    communities = testing.communities_of(session, area)

    def named(person: Resident | None) -> bool:
        return person is not None and (communities is None
                                       or person.community_id in communities)

    labels = _labels(session, rows)
    exposures = exposures_repository.exposures_by_id(
        session, [r.place_id for r in rows if r.setting == rules.EXPOSURE])
    cases = {r.case_id: cases_repository.episode_by_id(session, r.case_id) for r in rows}
    people = people_repository.residents_by_id(
        session, [*(e.resident_id for e in cases.values() if e is not None),
                  *(r.via_resident_id for r in rows if r.via_resident_id is not None)])
    out: list[EvidenceView] = []
    for row in rows:
        derivation = rules.derivation_of(row.tier, row.via_resident_id)
        exposure = exposures.get(row.place_id) if row.setting == rules.EXPOSURE else None
        if exposure is not None:
            place = exposure.place or _("place not recorded")
        else:
            place = labels.get((row.setting, row.place_id),
                               f"{rules.SETTING_LABELS.get(row.setting, '')} {row.place_id}")
        episode = cases.get(row.case_id)
        patient = people.get(episode.resident_id) if episode else None
        case_named = named(patient)
        via = people.get(row.via_resident_id) if row.via_resident_id is not None else None
        via_named = named(via)
        facts = EvidenceFacts(
            tier=row.tier, derivation=derivation, setting=row.setting, place=place,
            case_label=_case_label(episode, patient, named=case_named),
            via_label=(None if row.via_resident_id is None
                       else _("%(name)s (resident %(id)d)", name=via.name_latin, id=via.id)
                       if via is not None
                       and via_named else outside("resident")),
            start=rules.seconds_of(row.overlap_start), end=rules.seconds_of(row.overlap_end),
            exposure_setting=exposure.setting if exposure else None,
            exposure_setting_label=_setting_label(exposure.setting, settings)
            if exposure else None)
        out.append(EvidenceView(
            row=row, derivation=derivation,
            rule=rules.rule_path(row.setting, row.tier, derivation, facts.exposure_setting),
            place=place, case_label=facts.case_label, via_label=facts.via_label,
            for_staff=explain_for_staff(facts, min_overlap_minutes=min_overlap_minutes,
                                          zone=zone),
            for_resident=explain_for_resident(facts, min_overlap_minutes=min_overlap_minutes,
                                              zone=zone),
            case_id=row.case_id if case_named else None,
            via_resident_id=row.via_resident_id if via_named else None))
    return out


def contact_detail(session: Session, *, resident_id: int, preset: Preset | None = None,
                   today: date | None = None, area: AreaFilter | None = None
                   ) -> ContactDetail:
    """A resident's classification with every piece of evidence and the follow-up plan;
    the cases and people of the evidence are named only inside the area."""
    preset = preset or active_preset()
    person = people_repository.resident_by_id(session, resident_id)
    path = people_repository.resident_area(session, resident_id)
    if person is None or path is None:
        raise NotFoundError(f"no resident {resident_id}")
    record = repository.contact(session, resident_id)
    minutes = preset.contacts.venue_co_visit.min_overlap_minutes
    settings = preset.contacts.close_settings.settings
    rows = repository.evidence_rows(session, resident_id)
    views = evidence_views(session, rows, min_overlap_minutes=minutes, settings=settings,
                           area=area)
    today = today or clock.city_today()
    became = cases_repository.first_active_sampling(session, [resident_id]).get(resident_id)
    follow: list[PlannedTestView] = []
    if record is not None and record.status == rules.ACTIVE:
        for test in repository.follow_up(session, resident_id):
            results = testing_repository.samples_between(session, resident_id,
                                                 clock.aware(test.due_from),
                                                 clock.aware(test.due_until))
            status = rules.test_status(test.due_on, [test.due_on] if results else [],
                                       today=today, ended_on=became)
            follow.append(PlannedTestView(test=test, status=status, results=results))
    return ContactDetail(
        resident=person, area=path, contact=record,
        evidence=[v for v in views if v.row.status == rules.ACTIVE],
        withdrawn_evidence=[v for v in views if v.row.status != rules.ACTIVE],
        follow_up=follow, events=repository.contact_events(session, resident_id),
        became_case_on=became, min_overlap_minutes=minutes, preset=preset.name,
        decisions=decisions_repository.of_resident(session, resident_id))


def resident_letter(session: Session, *, resident_id: int, preset: Preset | None = None
                    ) -> ResidentLetter:
    """The explanation given to the resident, in the current language: why (by setting,
    strongest first, no case and no other person named), the quarantine's stages and end,
    and the tests: the order's when one governs the resident (`kit.orders`), else the
    follow-up plan."""
    preset = preset or active_preset()
    detail = contact_detail(session, resident_id=resident_id, preset=preset)
    relevant = [v for v in detail.evidence if v.row.tier == detail.tier]
    grouped = group_evidence(relevant, tier=detail.tier)
    by_setting: dict[str, list[str]] = {}
    for group in grouped.groups:
        reasons = by_setting.setdefault(group.setting, [])
        reasons.extend(v.for_resident for v in group.pieces if v.for_resident not in reasons)
    cited = sorted({v.rule for v in relevant})
    tests = [(t.test.day, t.test.due_on, str(PLACE_LABELS.get(t.test.place, t.test.place)))
             for t in detail.follow_up]
    stages: list[LetterStage] = []
    exposure = detail.contact.last_exposure_on if detail.contact is not None else None
    order = governing_order(session, resident_id=resident_id) if detail.tier else None
    if order is not None and detail.tier is not None and (
            order.counted_from != exposure
            or order.category != rules.CATEGORY_OF_TIER[detail.tier]):
        # The order rests on an earlier classification and waits for its update (the
        # orders' sync): until then the letter gives the plan the order will take.
        order = None
    if order is not None:
        # The order is the single source of truth: its stages, end and tests as they
        # stand (an end extended or shortened with a reason included).
        tests = [(t.day, t.due_on, str(PLACE_LABELS.get(t.place, t.place)))
                 for t in order.tests]
        stages = [LetterStage(place=str(PLACE_LABELS.get(st.place, st.place)), start=st.start,
                              end=st.end, tests=[(t.day, t.due_on) for t in order.tests
                                                 if st.start <= t.due_on <= st.end])
                  for st in order.stages]
        exposure = order.counted_from
    elif detail.tier is not None and exposure is not None:
        for stage in quarantine_plan(rules.CATEGORY_OF_TIER[detail.tier], exposure, preset):
            # The plan's own place: a stage at home moved to a facility when unsuitable.
            planned = [t.test for t in detail.follow_up
                       if stage.start <= t.test.due_on <= stage.end]
            place = planned[0].place if planned else stage.place
            stages.append(LetterStage(
                place=str(PLACE_LABELS.get(place, place)), start=stage.start, end=stage.end,
                tests=[(t.day, t.due_on) for t in planned]))
    return ResidentLetter(
        tier=detail.tier, reasons=sorted({v.for_resident for v in relevant}), rules_cited=cited,
        tests=tests, preset=detail.preset, groups=list(by_setting.items()),
        derivation=grouped.groups[0].derivation if grouped.groups else None, stages=stages,
        last_exposure_on=exposure, order=order)


def case_contacts(session: Session, *, case_id: int, area: AreaFilter | None = None
                  ) -> CaseContacts:
    """A case's close and sub-close contacts inside the area (and how many are not shown)."""
    episode = cases_repository.episode_by_id(session, case_id)
    if episode is None:
        raise NotFoundError(f"no case {case_id}")
    person = people_repository.resident_by_id(session, episode.resident_id)
    path = people_repository.resident_area(session, episode.resident_id)
    if person is None or path is None:
        raise NotFoundError(f"no case {case_id}")
    grouped: dict[int, dict[str, Any]] = {}
    for resident_id, tier, setting, pieces in repository.case_contact_rows(session, case_id):
        entry = grouped.setdefault(resident_id, {"tiers": set(), "settings": set(),
                                                 "pieces": 0})
        entry["tiers"].add(tier)
        entry["settings"].add(setting)
        entry["pieces"] += pieces
    communities = testing.communities_of(session, area)
    visible = people_repository.residents_in(session, list(grouped), communities)
    people = people_repository.residents_by_id(session, sorted(visible))
    close: list[CaseContactRow] = []
    sub: list[CaseContactRow] = []
    for resident_id in sorted(visible):
        entry = grouped[resident_id]
        tier = rules.tier_of(entry["tiers"]) or rules.SUB_CLOSE
        row = CaseContactRow(resident=people[resident_id], tier=tier,
                             settings=sorted(entry["settings"]), pieces=entry["pieces"])
        (close if tier == rules.CLOSE else sub).append(row)
    traced = runs_repository.traced_cases(session, [case_id]).get(case_id)
    return CaseContacts(case=episode, resident=person, area=path, traced=traced, close=close,
                        sub_close=sub, hidden=len(grouped) - len(visible))


def missed_tests(session: Session, *, area: AreaFilter | None = None, today: date | None = None,
                 limit: int = 100, offset: int = 0
                 ) -> list[tuple[FollowUpTest, Resident, Contact]]:
    """Planned tests of active contacts inside the area whose day passed without a sample."""
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailedError(f"limit must be between 1 and {MAX_LIST}")
    communities = testing.communities_of(session, area)
    if communities == []:
        return []
    day = today or clock.city_today()
    found = repository.missed_tests(session, before=day, community_ids=communities,
                                    limit=limit, offset=offset)
    residents = people_repository.residents_by_id(session, [t.resident_id for t, _ in found])
    return [(t, residents[t.resident_id], c) for t, c in found]


def count_missed_tests(session: Session, *, area: AreaFilter | None = None,
                       today: date | None = None, offset: int = 0, shown: int = 0
                       ) -> PageCount:
    """Where a page of `missed_tests` (same area and day) lies among all missed tests."""
    communities = testing.communities_of(session, area)
    counted = 0 if communities == [] else repository.count_missed_tests(
        session, before=today or clock.city_today(), community_ids=communities, cap=COUNT_CAP)
    return page_count(offset=offset, shown=shown, counted=counted, cap=COUNT_CAP)


def recent_traced_cases(session: Session, *, area: AreaFilter | None = None, limit: int = 20
                        ) -> Sequence[TracedCase]:
    """Cases as last traced (window and contact counts), newest first, inside the area."""
    communities = testing.communities_of(session, area)
    if communities == []:
        return []
    return repository.recent_traced_cases(session, community_ids=communities, limit=limit)


def follow_up_counts(session: Session, *, area: AreaFilter | None = None,
                     today: date | None = None) -> dict[str, int]:
    """Active close and sub-close contacts in the area, and their tests missed so far."""
    communities = testing.communities_of(session, area)
    if communities == []:
        return {"close": 0, "sub_close": 0, "missed_tests": 0}
    counts = repository.contact_counts(session, community_ids=communities)
    missed = repository.missed_test_count(session, before=today or clock.city_today(),
                                          community_ids=communities)
    return {"close": counts.get(rules.CLOSE, 0), "sub_close": counts.get(rules.SUB_CLOSE, 0),
            "missed_tests": missed}


def traced_cases(session: Session, *, case_ids: Sequence[int]) -> dict[int, TracedCase]:
    """How each case was last traced (a case never traced is left out)."""
    return runs_repository.traced_cases(session, case_ids)
