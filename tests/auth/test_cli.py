"""`epidesk users`: create, grant, list, disable, and the demo administrator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from epidesk.db import make_engine
from epidesk.migrate import upgrade


def run(url: str, *args: str, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EPIDESK_DATABASE_URL": url, "COLUMNS": "200", **env_vars}
    cmd = [sys.executable, "-c", "from epidesk.cli import main; main()", "users", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def url(tmp_path: Path) -> str:
    u = f"sqlite:///{tmp_path}/users.db"
    engine = make_engine(u)
    upgrade(engine)
    engine.dispose()
    return u


def test_create_grant_list_disable(url: str) -> None:
    created = run(url, "create", "ann", "--display-name", "Ann Li", "--generate",
                  "--role", "epidemiologist")
    assert created.returncode == 0, created.stderr
    assert re.search(r"generated password: \S{12,}", created.stdout)
    assert run(url, "grant", "ann", "auditor").returncode == 0
    listed = run(url, "list")
    assert "ann" in listed.stdout and "epidemiologist" in listed.stdout
    assert "auditor" in listed.stdout
    assert run(url, "disable", "ann").returncode == 0
    assert "disabled" in run(url, "list").stdout


def test_list_fits_80_columns_and_says_how_many_accounts_exist(url: str) -> None:
    for name in ("ann", "bob"):
        assert run(url, "create", name, "--display-name", "王秀英 of the district office",
                   "--generate", "--role", "epidemiologist").returncode == 0
        run(url, "grant", name, "auditor")
    narrow = run(url, "list", COLUMNS="80")
    lines = narrow.stdout.splitlines()
    assert lines[-1] == "2 in all"
    assert max(cell_len(line) for line in lines) <= 80
    assert "王秀英" in narrow.stdout
    first = run(url, "list", "--limit", "1", COLUMNS="80").stdout.splitlines()
    assert first[-1] == "showing 1-1 of 2; use --limit/--offset (next: --offset 1)"
    assert any("ann" in line for line in first) and not any("bob" in line for line in first)
    rest = run(url, "list", "--offset", "1", COLUMNS="80").stdout.splitlines()
    assert rest[-1] == "showing 2-2 of 2" and any("bob" in line for line in rest)


def test_bad_requests_give_one_clear_line(url: str) -> None:
    weak = run(url, "create", "bob", "--password", "short")
    assert weak.returncode == 1
    assert "at least 12 characters" in weak.stderr
    assert "Traceback" not in weak.stderr
    run(url, "create", "ann", "--generate")
    bad_role = run(url, "grant", "ann", "mayor")
    assert bad_role.returncode == 1 and "unknown role 'mayor'" in bad_role.stderr
    no_area = run(url, "grant", "ann", "community_worker", "--scope", "community",
                  "--area-id", "424242")
    assert no_area.returncode == 1 and "no community with id 424242" in no_area.stderr
    nobody = run(url, "disable", "nobody")
    assert nobody.returncode == 1 and "no user named 'nobody'" in nobody.stderr


def test_demo_admin_password_is_new_every_time(url: str) -> None:
    first = run(url, "demo-admin")
    second = run(url, "demo-admin")
    assert first.returncode == 0 and second.returncode == 0
    pattern = r"password (\S+)"
    p1 = re.search(pattern, first.stdout)
    p2 = re.search(pattern, second.stdout)
    assert p1 and p2 and p1.group(1) != p2.group(1)
    assert "http://127.0.0.1:8000/signin" in first.stdout
    assert "one-time" not in first.stdout


def test_demo_admin_prints_the_address_really_served(url: str) -> None:
    shown = run(url, "demo-admin", EPIDESK_HOST="0.0.0.0", EPIDESK_PORT="8123")
    assert shown.returncode == 0, shown.stderr
    assert "http://0.0.0.0:8123/signin" in shown.stdout


def test_reset_totp_clears_a_lost_authenticator(url: str) -> None:
    import pyotp

    from epidesk.auth import service
    from epidesk.auth.totp import service as totp
    from epidesk.db import session_scope, sessionmaker

    engine = make_engine(url)
    try:
        with session_scope(sessionmaker(bind=engine)) as session:
            user = service.create_user(session, username="ann", display_name="Ann",
                                       password="correct horse battery staple")
            secret = totp.start_enrolment(session, user_id=user.id).secret
            service.confirm_totp(session, user_id=user.id, code=pyotp.TOTP(secret).now())
            token = service.create_token(session, user_id=user.id, name="script").secret
            user_id = user.id
        reset = run(url, "reset-totp", "ann")
        assert reset.returncode == 0, reset.stderr
        assert "one-time codes of ann are cleared" in reset.stdout
        with session_scope(sessionmaker(bind=engine)) as session:
            assert not service.totp_enrolled(session, user_id=user_id)
            assert service.resolve_token(session, token) is None
    finally:
        engine.dispose()
    nobody = run(url, "reset-totp", "nobody")
    assert nobody.returncode == 1 and "no user named 'nobody'" in nobody.stderr


def test_demo_admin_says_whether_administrators_need_codes(url: str) -> None:
    off = run(url, "demo-admin", EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS="false")
    assert "EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS=false" in off.stdout
    on = run(url, "demo-admin", EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS="true")
    assert "must set up TOTP codes at /account/totp" in on.stdout


def test_serve_prints_the_address_it_serves(url: str) -> None:
    env = {**os.environ, "EPIDESK_DATABASE_URL": url, "EPIDESK_PORT": "8123"}
    code = ("import sys, uvicorn; uvicorn.run = lambda *a, **k: print('uvicorn', k['port']); "
            "from epidesk.cli import main; sys.argv = ['epidesk', 'serve']; main()")
    served = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120)
    assert served.returncode == 0, served.stderr
    assert "Epidesk at http://127.0.0.1:8123  (staff sign-in: http://127.0.0.1:8123/signin)" \
        in served.stderr
    assert "uvicorn 8123" in served.stdout
