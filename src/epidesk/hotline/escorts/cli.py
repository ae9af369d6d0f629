"""`epidesk hotline escorts ...`: escorted medical trips (the day's board, a trip from a
medical-emergency ticket, its steps), treatment plans and the scheduling job."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer

from epidesk.kit.console import cli_actor, console, table

app = typer.Typer(help="Escorted medical trips for residents under restriction.",
                  no_args_is_help=True)
out = console()
err = console(stderr=True)


@contextmanager
def _refusals() -> Iterator[Any]:
    """A session; a refused change prints why on stderr and exits 1 (nothing written)."""
    from epidesk.db import session_scope
    from epidesk.errors import DomainError

    try:
        with session_scope() as session:
            yield session
    except DomainError as exc:
        err.print(f"refused: {exc.detail}", highlight=False)
        raise typer.Exit(1) from exc


def _print_trip(trip: Any) -> None:
    from epidesk.kit.clock import format_local

    out.print(f"trip {trip.id}: {trip.kind}, {trip.status}"
              + (f" (missed: {trip.missed})" if trip.missed else ""), highlight=False)
    out.print(f"  patient {trip.resident_id} {trip.name} ({trip.restriction}) to "
              f"{trip.destination}", highlight=False)
    out.print(f"  pickup {format_local(trip.departs_at)}, at hospital "
              f"{format_local(trip.arrives_at)}, back by {format_local(trip.back_at)}",
              highlight=False)
    if trip.vehicle:
        out.print(f"  {trip.vehicle}, driver {trip.driver_name} {trip.driver_phone}, escort "
                  f"{trip.escort_name or '-'} {trip.escort_phone}", highlight=False)
    if trip.handed_off_at:
        out.print(f"  handed over {format_local(trip.handed_off_at)} to {trip.handed_off_to}",
                  highlight=False)
    if trip.closed_at:
        out.print(f"  closed {format_local(trip.closed_at)} {trip.outcome_note}",
                  highlight=False)


@app.command("board")
def board_cmd(day: str = typer.Option("", help="The city day (YYYY-MM-DD; default today)")
              ) -> None:
    """Trips due on the day, and every session missed now."""
    from datetime import date

    from epidesk.hotline.escorts import service
    from epidesk.hotline.escorts.deps import trips_out
    from epidesk.kit import clock
    from epidesk.kit.clock import format_local

    chosen = date.fromisoformat(day) if day else clock.city_today()
    with _refusals() as session:
        now = clock.now()
        missed = service.missed_sessions(session, area=None, now=now)
        why = {t.id: w for t, w in missed}
        sections = (("missed now", trips_out(session, [t for t, _ in missed], now, why)),
                    (f"due on {chosen.isoformat()}",
                     trips_out(session, service.due_on(session, area=None, day=chosen), now)))
        for title, trips in sections:
            found = table(out, "Trip", "Patient", "Kind", "Pickup", "To", "State",
                          title=f"{len(trips)} trip(s) {title}")
            for t in trips:
                found.add_row(str(t.id), f"{t.resident_id} {t.name}", t.kind,
                              format_local(t.departs_at), t.destination,
                              t.status + (f", {why.get(t.id) or t.missed}"
                                          if why.get(t.id) or t.missed else ""))
            out.print(found)


@app.command("show")
def show_cmd(trip_id: int = typer.Argument(..., help="The trip's number")) -> None:
    """One trip."""
    from epidesk.hotline.escorts import service
    from epidesk.hotline.escorts.deps import trip_out

    with _refusals() as session:
        _print_trip(trip_out(session, service.get_trip(session, trip_id=trip_id)))


def _crew(vehicle: str, driver: str, driver_phone: str, escort: str, escort_phone: str
          ) -> Any:
    from epidesk.hotline.escorts import service

    return service.Crew(vehicle=vehicle, driver_name=driver, driver_phone=driver_phone,
                        escort_name=escort, escort_phone=escort_phone)


VEHICLE = typer.Option(..., help="The vehicle")
DRIVER = typer.Option(..., help="The driver's name")
DRIVER_PHONE = typer.Option(..., help="The driver's phone")
ESCORT = typer.Option("", help="The escort's name")
ESCORT_PHONE = typer.Option("", help="The escort's phone")


@app.command("dispatch")
def dispatch_cmd(ticket_id: int = typer.Argument(..., help="The medical-emergency ticket"),
                 destination: str = typer.Option(..., help="The hospital"),
                 arrives_in: int = typer.Option(..., min=1, max=1440,
                                                help="Minutes to the arrival at hospital"),
                 back_in: int = typer.Option(0, min=0, max=1440,
                                             help="Minutes from arrival to back home "
                                                  "(0: six hours)"),
                 resident: int = typer.Option(0, help="The patient, when not the ticket's "
                                                      "resident"),
                 vehicle: str = VEHICLE, driver: str = DRIVER, driver_phone: str = DRIVER_PHONE,
                 escort: str = ESCORT, escort_phone: str = ESCORT_PHONE) -> None:
    """Dispatch an escorted trip for a ticket's patient (a restricted household only)."""
    from datetime import timedelta

    from epidesk.hotline import service as tickets
    from epidesk.hotline.escorts import service
    from epidesk.hotline.escorts.deps import trip_out
    from epidesk.kit import clock

    with _refusals() as session:
        now = clock.now()
        arrives = now + timedelta(minutes=arrives_in)
        trip = service.dispatch_emergency(
            session, ticket=tickets.get_ticket(session, ticket_id=ticket_id),
            crew=_crew(vehicle, driver, driver_phone, escort, escort_phone),
            destination=destination, arrives_at=arrives,
            back_at=arrives + timedelta(minutes=back_in) if back_in else None,
            resident_id=resident or None, actor=cli_actor(), now=now)
        _print_trip(trip_out(session, trip))


def _step(trip_id: int, act: Callable[[Any, Any], Any]) -> None:
    from epidesk.hotline.escorts import service
    from epidesk.hotline.escorts.deps import trip_out

    with _refusals() as session:
        trip = service.get_trip(session, trip_id=trip_id)
        changed = act(session, trip)
        _print_trip(trip_out(session, trip))
        if changed is False:
            out.print("already recorded: nothing changed", highlight=False)


@app.command("send")
def send_cmd(trip_id: int = typer.Argument(..., help="A scheduled trip"),
             vehicle: str = VEHICLE, driver: str = DRIVER, driver_phone: str = DRIVER_PHONE,
             escort: str = ESCORT, escort_phone: str = ESCORT_PHONE) -> None:
    """Give a scheduled treatment session its vehicle and crew."""
    from epidesk.hotline.escorts import service

    _step(trip_id, lambda s, t: service.dispatch_scheduled(
        s, trip=t, crew=_crew(vehicle, driver, driver_phone, escort, escort_phone),
        actor=cli_actor()))


@app.command("pickup")
def pickup_cmd(trip_id: int = typer.Argument(...)) -> None:
    """The patient boarded at the door."""
    from epidesk.hotline.escorts import service

    _step(trip_id, lambda s, t: service.pick_up(s, trip=t, actor=cli_actor()))


@app.command("handoff")
def handoff_cmd(trip_id: int = typer.Argument(...),
                received_by: str = typer.Option(..., help="Who received the patient")) -> None:
    """The patient handed over at the hospital (once: a repeat changes nothing)."""
    from epidesk.hotline.escorts import service

    _step(trip_id, lambda s, t: service.hand_off(s, trip=t, received_by=received_by,
                                                 actor=cli_actor()))


@app.command("back")
def back_cmd(trip_id: int = typer.Argument(...)) -> None:
    """The patient is back home: the trip closes."""
    from epidesk.hotline.escorts import service

    _step(trip_id, lambda s, t: service.back_home(s, trip=t, actor=cli_actor()))


@app.command("later")
def later_cmd(trip_id: int = typer.Argument(...),
              back_in: int = typer.Option(..., min=1, max=1440,
                                          help="Minutes from now to the return home")) -> None:
    """The patient stays longer at hospital: move the expected return."""
    from datetime import timedelta

    from epidesk.hotline.escorts import service
    from epidesk.kit import clock

    _step(trip_id, lambda s, t: service.expect_back(
        s, trip=t, back_at=clock.now() + timedelta(minutes=back_in), actor=cli_actor()))


@app.command("admitted")
def admitted_cmd(trip_id: int = typer.Argument(...),
                 reason: str = typer.Option(..., help="Ward and reason")) -> None:
    """The patient was admitted: the trip closes with the reason."""
    from epidesk.hotline.escorts import service

    _step(trip_id, lambda s, t: service.admitted(s, trip=t, reason=reason, actor=cli_actor()))


@app.command("cancel")
def cancel_cmd(trip_id: int = typer.Argument(...),
               reason: str = typer.Option(..., help="Why")) -> None:
    """Call a trip off before the pickup."""
    from epidesk.hotline.escorts import service

    _step(trip_id, lambda s, t: service.cancel(s, trip=t, reason=reason, actor=cli_actor()))


@app.command("plan")
def plan_cmd(resident_id: int = typer.Argument(..., help="The resident"),
             kind: str = typer.Option(..., help="dialysis, chemotherapy, antenatal_care or "
                                                "childbirth"),
             facility: str = typer.Option(..., help="The hospital or clinic"),
             starts_on: str = typer.Option(..., "--from", help="First day (YYYY-MM-DD)"),
             ends_on: str = typer.Option(..., "--until", help="Last day (YYYY-MM-DD)"),
             departs: str = typer.Option(..., help="Pickup at home, HH:MM local"),
             arrives: str = typer.Option(..., help="At the facility, HH:MM local"),
             back: str = typer.Option(..., help="Back home, HH:MM local"),
             weekdays: str = typer.Option("", help="ISO weekdays, e.g. 1,3,5"),
             dates: str = typer.Option("", help="Single days, e.g. 2026-12-08,2026-12-15")
             ) -> None:
    """Plan a recurring treatment; its sessions of the coming week become trips."""
    from datetime import date

    from epidesk.hotline.escorts import service

    try:
        first, last = date.fromisoformat(starts_on), date.fromisoformat(ends_on)
    except ValueError as exc:
        raise typer.BadParameter("days are written YYYY-MM-DD") from exc
    with _refusals() as session:
        plan, counts = service.create_plan(session, actor=cli_actor(), plan=service.PlanIn(
            resident_id=resident_id, kind=kind, facility=facility, starts_on=first,
            ends_on=last, departs=departs, arrives=arrives, back=back, weekdays=weekdays,
            dates=dates))
        out.print(f"plan {plan.id}: " + ", ".join(f"{k.replace('_', ' ')} {v}"
                                                   for k, v in counts.items()),
                  highlight=False)


@app.command("schedule")
def schedule_cmd(days: int = typer.Option(7, min=1, max=60, help="Days ahead")) -> None:
    """Schedule the plans' sessions of the coming days (restricted days only; daily)."""
    from datetime import timedelta

    from epidesk.hotline.escorts import service
    from epidesk.kit import clock

    with _refusals() as session:
        today = clock.city_today()
        counts = service.schedule(session, first=today, last=today + timedelta(days=days),
                                  actor=cli_actor())
    out.print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()),
              highlight=False)
