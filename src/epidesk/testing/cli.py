"""`epidesk testing` commands: batches and their reports, tubes, histories, retests.

Ingesting a batch registers cases too: `epidesk cases ingest FILE` (or `epidesk ingest
results FILE`).
"""

from __future__ import annotations

import typer

from epidesk.kit.console import console, print_page, table, wide
from epidesk.kit.paging import MAX_LIST

app = typer.Typer(help="Lab batches, tubes, testing histories and retest orders.",
                  no_args_is_help=True)
out = console()


@app.command("batches")
def batches_cmd(limit: int = typer.Option(20, min=1, max=MAX_LIST, help="Batches to show"),
                offset: int = typer.Option(0, min=0, help="Batches to skip")) -> None:
    """List lab batches, newest first; says how many exist beyond those shown."""
    from epidesk.db import session_scope
    from epidesk.kit import clock
    from epidesk.testing import service

    # Tubes and retests need a wide console (`testing batch ID` has them all).
    counts: tuple[str, ...] = ("Samples", "Tubes", "Positive tubes", "Retests", "New cases",
                               "Problems")
    if not wide(out):
        counts = ("Samples", "Positive tubes", "New cases", "Problems")
    with session_scope() as session:
        batches = service.list_batches(session, limit=limit, offset=offset)
        page = service.count_batches(session, offset=offset, shown=len(batches))
        found = table(out, "Id", "File", "Received", "Status", *counts, right=("Id", *counts),
                      title=f"Lab batches (received, {clock.zone_label()})")
        for b in batches:
            values = {"Samples": b.rows, "Tubes": b.tubes, "Positive tubes": b.positive_tubes,
                      "Retests": b.retests_ordered, "New cases": b.cases_created,
                      "Problems": b.problem_count}
            found.add_row(str(b.id), b.filename, clock.format_local(b.received_at), b.status,
                          *(f"{values[name]:,}" for name in counts))
    if batches:
        out.print(found)
    else:
        out.print("no lab batch")
    print_page(out, page)


@app.command("batch")
def batch_cmd(batch_id: int = typer.Argument(..., help="Batch id")) -> None:
    """Show a batch: what it wrote, or its validation report."""
    from epidesk.db import session_scope
    from epidesk.testing import service
    from epidesk.testing.deps import print_batch

    with session_scope() as session:
        print_batch(out, service.get_batch(session, batch_id=batch_id))


@app.command("tube")
def tube_cmd(code: str = typer.Argument(..., help="Tube barcode")) -> None:
    """Show a tube's result and its samples."""
    from epidesk.db import session_scope
    from epidesk.testing import service

    with session_scope() as session:
        detail = service.tube_detail(session, tube_id=service.tube_id_of(session, code=code))
        t = detail.tube
        out.print(f"[bold]Tube {t.code}[/] {t.kind} of {t.pool_size}: {t.outcome} "
                  f"(lab: {t.reported_outcome}; Ct ORF1ab {t.ct_orf1ab}, N {t.ct_n}, "
                  f"E {t.ct_e}) in batch {t.batch_id}")
        for sample, resident in detail.samples:
            out.print(f"  {sample.code}  resident {resident.id} {resident.name} "
                      f"{resident.name_latin}")
        for order in detail.retests:
            out.print(f"  retest of resident {order.resident_id}: {order.status}")


@app.command("history")
def history_cmd(resident_id: int = typer.Argument(..., help="Resident id")) -> None:
    """Show a resident's testing history and state."""
    from epidesk.db import session_scope
    from epidesk.testing import service

    with session_scope() as session:
        history = service.testing_history(session, resident_id=resident_id)
        r = history.resident
        out.print(f"[bold]{r.name} {r.name_latin}[/] (resident {r.id}): {history.state}")
        samples = table(out, "Collected", "Sample", "Tube", "Type", "Result", "Ct ORF1ab",
                        "Ct N")
        for sample, tube in history.samples:
            samples.add_row(f"{sample.collected_at:%Y-%m-%d %H:%M}", sample.code, tube.code,
                          tube.kind, tube.outcome, str(tube.ct_orf1ab or "-"),
                          str(tube.ct_n or "-"))
        out.print(samples)
        for order in history.retests:
            out.print(f"retest ({order.reason.replace('_', ' ')}) ordered "
                      f"{order.ordered_at:%Y-%m-%d %H:%M}: {order.status}")


@app.command("retests")
def retests_cmd(status: str = typer.Option("open", help="open, negative or positive"),
                limit: int = typer.Option(50, min=1, max=MAX_LIST, help="Orders to show"),
                offset: int = typer.Option(0, min=0, help="Orders to skip")) -> None:
    """List retest orders, oldest first; says how many exist beyond those shown."""
    from epidesk.db import session_scope
    from epidesk.testing import service

    with session_scope() as session:
        rows = service.list_retests(session, status=status, limit=limit, offset=offset)
        page = service.count_retests(session, status=status, offset=offset, shown=len(rows))
        for order, resident in rows:
            out.print(f"{order.ordered_at:%Y-%m-%d %H:%M}  resident {resident.id} "
                      f"{resident.name_latin}  {order.reason.replace('_', ' ')}  {order.status}",
                      highlight=False)
    if not rows:
        out.print(f"no {status} retest order")
    print_page(out, page)
