"""Use cases of the contact graph: load it, keep it in memory per process (checked
against a stamp of the tables it is built from), and refresh it with new visits."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session

from epidesk.db import is_postgres
from epidesk.kit import clock
from epidesk.people.columns import repository as people_columns
from epidesk.tracing.graph import engine, repository
from epidesk.tracing.graph.engine import ContactGraph
from epidesk.tracing.graph.rules import GraphStamp


@dataclass
class _CachedGraph:
    graph: ContactGraph
    stamp: GraphStamp
    visits: int


_graphs: dict[str, _CachedGraph] = {}
_graphs_lock = threading.Lock()


def load_graph(session: Session) -> ContactGraph:
    """Read every membership, exposure and visit and index them."""
    return engine.build_graph(repository.graph_arrays(session, clock.city_zone()))


def refresh_graph(session: Session, graph: ContactGraph) -> int:
    """Add the visits stored since the graph was loaded (delta segment); returns how many."""
    top = repository.max_visit_id(session)
    if top <= graph.visit_watermark:
        return 0
    resident, venue, start, end = repository.visit_columns(
        session, after=graph.visit_watermark, up_to=top)
    graph.add_visits(resident, venue, start, end, watermark=top)
    return len(resident)


def current_graph(session: Session, *, cache: bool | None = None) -> ContactGraph:
    """The contact graph as this session sees it.

    On PostgreSQL the graph stays in memory between runs: new visits are added to it,
    and it is read again when household, work-group or class memberships or exposures
    changed, or when visits it holds were removed. SQLite databases are small and read
    every time.
    """
    use_cache = is_postgres(session) if cache is None else cache
    if not use_cache:
        return load_graph(session)
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    with _graphs_lock:
        stamp = graph_stamp(session)
        entry = _graphs.get(key)
        same = entry is not None and (
            (entry.stamp.households, entry.stamp.work, entry.stamp.classes)
            == (stamp.households, stamp.work, stamp.classes)
            and repository.visits_up_to(session, entry.graph.visit_watermark) == entry.visits)
        if entry is not None and same:
            if entry.stamp.exposures != stamp.exposures:
                ids, a, b, at = repository.exposure_columns(session)
                engine.with_exposures(entry.graph, a, b, at, ids)
                entry.stamp = stamp
            entry.visits += refresh_graph(session, entry.graph)
            return entry.graph
        graph = load_graph(session)
        _graphs[key] = _CachedGraph(graph=graph, stamp=stamp, visits=graph.visit_count)
        return graph


def graph_stamp(session: Session) -> GraphStamp:
    """Counts, largest ids and sums of the membership tables, and the exposures' count
    and largest id: what must not change while a graph is held."""
    households, work, classes = people_columns.membership_stamps(session)
    return GraphStamp(households=households, work=work,  # type: ignore[arg-type]
                      classes=classes,  # type: ignore[arg-type]
                      exposures=repository.exposure_stamp(session))


def forget_graphs() -> None:
    """Drop every graph held in memory."""
    with _graphs_lock:
        _graphs.clear()


def graph_summary(graph: ContactGraph) -> dict[str, int]:
    """Sizes of a graph in memory."""
    return {"residents": graph.residents - 1, "household_memberships": len(graph.households),
            "work_group_memberships": len(graph.work_groups),
            "school_class_memberships": len(graph.school_classes),
            "recorded_exposures": len(graph.exposures), "venue_visits": graph.visit_count}


def held_graph(session: Session) -> ContactGraph | None:
    """The graph this process already holds for the session's database, brought up to date,
    or None when it holds none (nothing is loaded: a caller that can do without it pays no
    load)."""
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    with _graphs_lock:
        if key not in _graphs:
            return None
    return current_graph(session, cache=True)
