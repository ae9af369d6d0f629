"""`epidesk users` commands: accounts, roles and areas."""

from __future__ import annotations

import typer

from epidesk.auth.rules import ROLES, SCOPE_KINDS
from epidesk.kit.console import console, print_page, served_url, table
from epidesk.kit.paging import MAX_LIST

app = typer.Typer(help="Staff accounts: create, list, disable, grant roles.",
                  no_args_is_help=True)
out = console()


def _connected() -> None:
    from epidesk.db import check_connection, get_engine

    check_connection(get_engine())


@app.command("create")
def create(
    username: str,
    display_name: str = typer.Option("", help="Full name shown in pages"),
    role: list[str] = typer.Option([], help=f"Role to grant city-wide; one of {', '.join(ROLES)}"),
    password: str = typer.Option(None, help="Password (asked for when omitted)"),
    generate: bool = typer.Option(False, help="Generate a password and print it "
                                  "(the user changes it at /account/password)"),
) -> None:
    """Create a staff account."""
    from epidesk.auth import service
    from epidesk.db import session_scope

    _connected()
    if generate:
        password = service.generate_password()
    elif password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with session_scope() as session:
        user = service.create_user(session, username=username, display_name=display_name,
                                   password=password)
        for r in role:
            service.grant_role(session, username=user.username, role=r, granted_by="cli")
    out.print(f"created [bold]{user.username}[/]" + (f" with roles {', '.join(role)}" if role
                                                      else ""))
    if generate:
        out.print(f"generated password: [bold]{password}[/]")


@app.command("list")
def list_users(limit: int = typer.Option(100, min=1, max=MAX_LIST, help="Accounts to show"),
               offset: int = typer.Option(0, min=0, help="Accounts to skip")) -> None:
    """List accounts with their roles and areas, by username; says how many exist beyond
    those shown."""
    from epidesk.auth import service
    from epidesk.db import session_scope

    _connected()
    found = table(out, "username", "name", "state", "roles and areas")
    with session_scope() as session:
        users = service.list_users(session, limit=limit, offset=offset)
        page = service.count_users(session, offset=offset, shown=len(users))
        for u in users:
            grants = ", ".join(
                g.role if g.scope_kind == "city" else f"{g.role} ({g.scope_kind} {g.scope_id})"
                for g in u.grants
            )
            found.add_row(u.username, u.display_name, "disabled" if u.disabled else "active",
                          grants or "-")
    if users:
        out.print(found)
    print_page(out, page)


@app.command("grant")
def grant(
    username: str,
    role: str,
    scope: str = typer.Option("city", help=f"Area kind: {', '.join(SCOPE_KINDS)}"),
    area_id: int = typer.Option(None, help="Id of the district, subdistrict or community"),
) -> None:
    """Grant a role, city-wide or limited to one area."""
    from epidesk.auth import service
    from epidesk.db import session_scope

    _connected()
    with session_scope() as session:
        service.grant_role(session, username=username, role=role, scope_kind=scope,
                           scope_id=area_id, granted_by="cli")
    where = "the whole city" if scope == "city" else f"{scope} {area_id}"
    out.print(f"{username} is now {role} for {where}")


@app.command("revoke")
def revoke(username: str, role: str) -> None:
    """Take a role away (in every area)."""
    from epidesk.auth import service
    from epidesk.db import session_scope

    _connected()
    with session_scope() as session:
        n = service.revoke_role(session, username=username, role=role)
    out.print(f"removed {n} grant(s) of {role} from {username}")


@app.command("disable")
def disable(username: str) -> None:
    """Disable an account and end its sessions and tokens."""
    from epidesk.auth import service
    from epidesk.db import session_scope

    _connected()
    with session_scope() as session:
        service.set_disabled(session, username=username, disabled=True)
    out.print(f"{username} is disabled")


@app.command("enable")
def enable(username: str) -> None:
    """Enable a disabled account."""
    from epidesk.auth import service
    from epidesk.db import session_scope

    _connected()
    with session_scope() as session:
        service.set_disabled(session, username=username, disabled=False)
    out.print(f"{username} is enabled")


@app.command("reset-totp")
def reset_totp(username: str) -> None:
    """Clear a user's one-time codes (a lost authenticator); ends their sessions and tokens."""
    from epidesk.auth import service
    from epidesk.db import session_scope

    _connected()
    with session_scope() as session:
        user = service.reset_totp(session, username=username)
    out.print(f"one-time codes of {user.username} are cleared and their sessions and API tokens "
              "have ended; they set up a new authenticator at /account/totp after signing in")


@app.command("demo-admin")
def demo_admin(
    username: str = typer.Option("admin", help="The demo administrator's username"),
    url: str = typer.Option(None, help="Where the platform is served "
                                       "(default: EPIDESK_HOST and EPIDESK_PORT)"),
) -> None:
    """Create the demo administrator (or give it a new password) and print the password."""
    from epidesk.auth import service
    from epidesk.config import get_settings
    from epidesk.db import session_scope

    _connected()
    settings = get_settings()
    if not url:
        url = served_url(settings.host, settings.port)
    password = service.generate_password()
    with session_scope() as session:
        existing = service.list_users(session)
        if any(u.username == username for u in existing):
            service.set_password(session, username=username, password=password)
            service.set_disabled(session, username=username, disabled=False)
        else:
            service.create_user(session, username=username, display_name="Demo administrator",
                                password=password)
        service.grant_role(session, username=username, role="administrator", granted_by="demo")
    out.print(f"Epidesk at [bold]{url}[/]  —  staff sign-in: {url}/signin")
    out.print(f"  username [bold]{username}[/]   password [bold]{password}[/]"
              "   (a new one each time this runs; change it at /account/password; "
              "`epidesk users create` adds real accounts)")
    if settings.require_totp_for_administrators:
        out.print("  administrators must set up TOTP codes at /account/totp on first sign-in "
                  "(EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS is on)")
    else:
        out.print("  TOTP codes are not required of administrators here "
                  "(EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS=false, as `make demo` serves); "
                  "the setting is on by default")
