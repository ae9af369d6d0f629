"""Roles, permissions, area scopes and limits as plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from epidesk.auth.rules import (
    ROLES,
    AreaPath,
    Failures,
    Grant,
    Principal,
    SignInLimits,
    account_wait,
    password_problem,
    permissions_of,
    session_expired,
    sign_in_blocked,
    validate_role,
    validate_scope,
)
from epidesk.kit.access import PERMISSIONS

HERE = AreaPath(district_id=1, subdistrict_id=10, community_id=100)
ELSEWHERE = AreaPath(district_id=2, subdistrict_id=20, community_id=200)
SAME_SUBDISTRICT = AreaPath(district_id=1, subdistrict_id=10, community_id=101)


def test_every_role_names_only_known_permissions() -> None:
    assert set(ROLES) == {
        "administrator", "epidemiologist", "zoning_officer", "facility_manager",
        "transport_coordinator", "community_worker", "hotline_operator", "hotline_supervisor",
        "volunteer", "vaccinator", "auditor",
    }
    for role, perms in ROLES.items():
        assert set(perms) <= set(PERMISSIONS), role


def test_auditor_sees_the_log_but_no_medical_details_or_people() -> None:
    perms = permissions_of(["auditor"])
    assert "audit.read" in perms
    assert "medical.read" not in perms
    assert "people.read" not in perms


def test_roles_combine() -> None:
    assert permissions_of(["community_worker", "vaccinator"]) >= {"supplies.write",
                                                                  "vaccination.write"}


@pytest.mark.parametrize(
    ("grant", "path", "covered"),
    [
        (Grant("community_worker", "community", 100), HERE, True),
        (Grant("community_worker", "community", 100), SAME_SUBDISTRICT, False),
        (Grant("community_worker", "subdistrict", 10), SAME_SUBDISTRICT, True),
        (Grant("community_worker", "subdistrict", 10), ELSEWHERE, False),
        (Grant("epidemiologist", "district", 1), HERE, True),
        (Grant("epidemiologist", "district", 1), ELSEWHERE, False),
        (Grant("administrator", "city", None), ELSEWHERE, True),
    ],
)
def test_grant_covers_its_area_only(grant: Grant, path: AreaPath, covered: bool) -> None:
    assert grant.covers(path) is covered


def test_area_filter_is_per_permission() -> None:
    p = Principal(1, "ann", (Grant("community_worker", "community", 100),
                             Grant("auditor", "city", None)))
    assert p.may("people.read", HERE)
    assert not p.may("people.read", ELSEWHERE)
    # The auditor grant is city-wide but does not carry people.read.
    assert p.area_for("audit.read").everywhere
    assert p.area_for("people.read").community_ids == {100}
    assert p.area_for("medical.read").nowhere


def test_validation_messages_name_the_problem() -> None:
    assert validate_role("mayor") is not None and "mayor" in validate_role("mayor")  # type: ignore[operator]
    assert validate_role("auditor") is None
    assert validate_scope("street", 1) is not None
    assert validate_scope("city", 3) == "a city-wide grant names no area id"
    assert validate_scope("community", None) == "a community grant needs the community's id"
    assert validate_scope("district", 4) is None


@pytest.mark.parametrize(
    ("password", "ok"),
    [("short", False), ("annannannannann", False), ("aaaaaaaaaaaaaaaa", False),
     ("a long enough passphrase", True)],
)
def test_password_rules(password: str, ok: bool) -> None:
    assert (password_problem(password, "ann") is None) is ok


def test_sign_in_limits() -> None:
    limits = SignInLimits(per_account=5, per_address=20, wait_after=5,
                          max_wait=timedelta(seconds=30))
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)

    def blocked(pair: int, address: int, account: int, ago: float | None) -> str | None:
        last = None if ago is None else now - timedelta(seconds=ago)
        return sign_in_blocked(Failures(pair, address, account, last), limits, now)

    assert blocked(4, 19, 4, 0) is None
    assert "this account from this address" in (blocked(5, 5, 5, 0) or "")
    assert "from this address" in (blocked(0, 20, 0, None) or "")
    # Failures from many addresses make the account wait, doubling, at most 30 s...
    assert "wait 1 s" in (blocked(1, 1, 5, 0) or "")
    assert "wait 4 s" in (blocked(1, 1, 7, 0) or "")
    assert "wait 30 s" in (blocked(1, 1, 50, 0) or "")
    # ...and never lock the account: once the wait is over, a try is allowed.
    assert blocked(1, 1, 50, 30) is None
    assert blocked(1, 1, 7, 4.5) is None
    assert account_wait(4, limits) == timedelta(0)


def test_session_expiry_edges() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    assert not session_expired(t, t + timedelta(seconds=1), t + timedelta(seconds=1))
    assert session_expired(t, t, t + timedelta(hours=1))
    assert session_expired(t, t + timedelta(hours=1), t)
