"""The outbreak's simulated mass testing on plain arrays: the swabs of a day, the tubes'
results, what the results set off, and the lab batches released each day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from epidesk.synth.engine import (
    BoolArray,
    FloatArray,
    IntArray,
    digit_chars,
    positions_within,
    runs_of,
)
from epidesk.synth.outbreak.rules import (
    DAY_SECONDS,
    NOT_INFECTED,
    S_FEVER,
    S_GENE,
    S_GENE2,
    S_GENE3,
    S_INVALID,
    S_ONSET_TIME,
    S_PARTICIPATE,
    S_QUEUE,
    S_TIME,
    S_TRACED,
    S_TURNAROUND,
    OutbreakParameters,
    keyed_normal,
    keyed_uniform,
)
from epidesk.synth.outbreak.spread import rules as spread_rules
from epidesk.synth.outbreak.spread.engine import OutbreakCity, local_day, local_midnight
from epidesk.synth.outbreak.spread.rules import Courses
from epidesk.synth.outbreak.testing import rules
from epidesk.synth.outbreak.testing.rules import OUTCOME_NAMES, SAMPLE_DIGITS, TUBE_DIGITS
from epidesk.tracing.visits.engine import iso_times


@dataclass(frozen=True)
class TestingRules:
    """What the active preset says about tubes: pool sizes and the positivity rule."""

    pool_size: int
    pool_sizes: tuple[int, ...]
    thresholds: tuple[float, ...]  # per target gene (rules.TARGET_GENES)
    require_all: bool


@dataclass
class Tubes:
    """Tubes and their samples collected on one day (tube numbers local to the day)."""

    kind: NDArray[np.int8]
    size: IntArray
    site: IntArray
    lab: IntArray
    collected: IntArray  # first swab
    result: IntArray
    outcome: NDArray[np.int8]  # 0 negative, 1 positive, 2 invalid
    ct: FloatArray  # (tubes, genes), NaN when not reported
    sample_person: IntArray
    sample_tube: IntArray
    sample_collected: IntArray
    sample_onset: IntArray  # scenario day of the onset recorded at sampling, or -1

    @classmethod
    def empty(cls, genes: int) -> Tubes:
        """No tube."""
        i = np.zeros(0, dtype=np.int64)
        b = np.zeros(0, dtype=np.int8)
        return cls(b, i, i, i, i, i, b, np.zeros((0, genes)), i, i, i, i)

    @staticmethod
    def concat(parts: Sequence[Tubes], genes: int) -> Tubes:
        """Tubes of several parts, renumbered in order."""
        if not parts:
            return Tubes.empty(genes)
        offsets = np.cumsum([0] + [len(p.size) for p in parts[:-1]])
        return Tubes(
            kind=np.concatenate([p.kind for p in parts]),
            size=np.concatenate([p.size for p in parts]),
            site=np.concatenate([p.site for p in parts]),
            lab=np.concatenate([p.lab for p in parts]),
            collected=np.concatenate([p.collected for p in parts]),
            result=np.concatenate([p.result for p in parts]),
            outcome=np.concatenate([p.outcome for p in parts]),
            ct=np.concatenate([p.ct for p in parts]),
            sample_person=np.concatenate([p.sample_person for p in parts]),
            sample_tube=np.concatenate([p.sample_tube + o for p, o in zip(parts, offsets,
                                                                           strict=True)]),
            sample_collected=np.concatenate([p.sample_collected for p in parts]),
            sample_onset=np.concatenate([p.sample_onset for p in parts]),
        )


class MassTesting:
    """The testing of one run: collection sites, the swabs of a day, the tubes' results
    and what they set off.

    A part of the outbreak's simulation, which holds the state arrays named below.
    """

    city: OutbreakCity
    p: OutbreakParameters
    testing: TestingRules
    c: Courses
    seed: int
    n: int
    warmup: int
    total: int
    day0: int
    genes: int
    thresholds: FloatArray
    inf_day: IntArray
    arrival: IntArray
    detected: IntArray
    detected_by: NDArray[np.int8]
    isolated_from: IntArray
    q_start: IntArray
    q_end: IntArray
    retest_on: IntArray
    parts: list[Tubes]
    site_names: tuple[str, ...]
    retest_site0: int
    fever_site0: int
    quarantine_site0: int
    port_site0: int
    clinic_of_community: IntArray

    def open_sites(self) -> None:
        """Collection sites: testing points and home sampling per community, fever
        clinics per hospital, quarantine sites, ports of entry."""
        city = self.city
        c = len(city.community_id)
        names: list[str] = []
        for name in city.community_name:
            names += [f"{name} testing point {i + 1}" for i in range(rules.TESTING_POINTS)]
        self.retest_site0 = len(names)
        names += [f"{name} home sampling" for name in city.community_name]
        hospitals = [i for i, k in enumerate(city.venue_kind) if k == "hospital"]
        self.fever_site0 = len(names)
        names += [f"{city.venue_name[i]} fever clinic" for i in hospitals] or [
            f"{city.name} fever clinic"]
        # The fever clinic of each community: a hospital of its district, else any.
        by_district: dict[int, int] = {}
        comm_district = dict(zip(city.community_id.tolist(), city.community_district.tolist(),
                                 strict=True))
        for k, i in enumerate(hospitals):
            by_district.setdefault(comm_district.get(int(city.venue_community[i]), -1), k)
        self.clinic_of_community = np.array(
            [by_district.get(int(d), (j % len(hospitals)) if hospitals else 0)
             for j, d in enumerate(city.community_district.tolist())], dtype=np.int64)[:c]
        self.quarantine_site0 = len(names)
        names += [f"{city.name} centralized quarantine site {i + 1}"
                  for i in range(rules.QUARANTINE_SITES)]
        self.port_site0 = len(names)
        names += list(rules.PORTS)
        self.site_names = tuple(names)

    # ---------------------------------------------------------------- helpers

    def midnight(self, t: int) -> int:
        """Epoch seconds of the local midnight that starts scenario day t."""
        return local_midnight(self.day0 + t)

    def release_day(self, seconds: IntArray) -> IntArray:
        """Scenario day of epoch seconds."""
        day: IntArray = local_day(seconds) - self.day0
        return day

    def ct_of(self, who: IntArray, at: IntArray) -> FloatArray:
        """Ct values of swabs taken from residents at epoch seconds (NaN: nothing)."""
        ct = np.full(len(who), np.nan)
        infected = self.inf_day[who] != NOT_INFECTED
        if not infected.any():
            return ct
        w = who[infected]
        infected_at = np.array([self.midnight(0)], dtype=np.int64) + (
            self.inf_day[w] * DAY_SECONDS + DAY_SECONDS // 2)
        tau = (at[infected] - infected_at) / DAY_SECONDS
        value = spread_rules.ct_course(tau, self.c.ct_start[w], self.c.ct_peak_at[w],
                                       self.c.ct_end[w], self.c.ct_peak[w], self.p.ct_undetectable)
        ct[infected] = np.where(value < self.p.ct_undetectable, value, np.nan)
        return ct

    # ---------------------------------------------------------------- tests of a day

    def test_day(self, t: int, free: BoolArray, isolated: BoolArray,
                 quarantined: BoolArray) -> None:
        """Every swab of the day, the tubes' results, and what the results set off."""
        p = self.p
        n = self.n
        tested = np.zeros(n, dtype=bool)
        parts: list[Tubes] = []

        def take(mask: BoolArray) -> IntArray:
            chosen = np.flatnonzero(mask & ~tested)
            tested[chosen] = True
            return chosen

        who = np.arange(n, dtype=np.int64)
        retest = take(self.retest_on == t)
        parts.append(self._singles(retest, rules.RETEST, t))
        in_quarantine = t - self.q_start + 1
        quarantine = take(quarantined & ~isolated & np.isin(in_quarantine,
                                                            p.quarantine_test_days))
        parts.append(self._singles(quarantine, rules.QUARANTINE, t))
        port = take(self.arrival == t)
        parts.append(self._singles(port, rules.PORT_OF_ENTRY, t))
        infected = self.inf_day != NOT_INFECTED
        onset = self.inf_day + self.c.incubation
        clinic = infected & self.c.symptomatic & (onset + self.c.clinic_delay == t) & ~isolated
        other_fever = free & (keyed_uniform(self.seed, S_FEVER, t, who)
                              < p.background_fever_per_100k / 100_000)
        fever = take(clinic | other_fever)
        parts.append(self._singles(fever, rules.FEVER_CLINIC, t, fever_onset=True))
        rounds = self._round_communities(t)
        if len(rounds):
            in_round = np.isin(self.city.community, rounds) & free
            joining = in_round & (keyed_uniform(self.seed, S_PARTICIPATE, t, who)
                                  < p.participation)
            parts.append(self._pools(take(joining), t))
        day = Tubes.concat([x for x in parts if len(x.size)], self.genes)
        self._read(day, t)
        self._effects(day)
        self.parts.append(day)

    def _round_communities(self, t: int) -> IntArray:
        """Communities tested in a mass round on day t: all of them every few days, else
        those with a case found in the last few days."""
        k = t - self.warmup
        if k % self.p.citywide_round_every == 0:
            return np.arange(len(self.city.community_id), dtype=np.int64)
        recent = (self.detected >= t - self.p.affected_days) & (self.detected <= t - 1)
        found: IntArray = np.unique(self.city.community[recent])
        return found

    def _times(self, kind: str, t: int, first: IntArray, size: IntArray
               ) -> tuple[IntArray, IntArray]:
        """(first swab, result release) of tubes, in epoch seconds."""
        lo, hi = rules.COLLECTION_HOURS[kind]
        code = rules.TEST_CODES[kind]
        u = keyed_uniform(self.seed, S_TIME, t, code, first)
        start = self.midnight(t) + np.round((lo + (hi - lo) * u) * 3600).astype(np.int64)
        t_lo, t_hi = rules.TURNAROUND_HOURS[kind]
        v = keyed_uniform(self.seed, S_TURNAROUND, t, code, first)
        result = start + size * rules.SWAB_SECONDS + np.round(
            (t_lo + (t_hi - t_lo) * v) * 3600).astype(np.int64)
        return start, result

    def _singles(self, who: IntArray, kind: str, t: int, fever_onset: bool = False) -> Tubes:
        """One single tube per resident."""
        if not len(who):
            return Tubes.empty(self.genes)
        size = np.ones(len(who), dtype=np.int64)
        start, result = self._times(kind, t, who, size)
        if kind == rules.RETEST:
            site = self.retest_site0 + self.city.community[who]
        elif kind == rules.FEVER_CLINIC:
            site = self.fever_site0 + self.clinic_of_community[self.city.community[who]]
        elif kind == rules.QUARANTINE:
            site = self.quarantine_site0 + self.city.community[who] % rules.QUARANTINE_SITES
        else:
            site = self.port_site0 + who % len(rules.PORTS)
        onset = self.inf_day[who] + self.c.incubation[who]
        # Symptoms are on record at a swab from the day after they began (assumption:
        # mild symptoms that begin on the day of a swab are noticed after it), at a fever
        # clinic from their first day.
        symptoms = ((self.inf_day[who] != NOT_INFECTED) & self.c.symptomatic[who]
                    & ((onset <= t) if fever_onset else (onset < t)))
        recorded = np.where(symptoms, onset, t if fever_onset else -1)
        number = np.arange(len(who), dtype=np.int64)
        return Tubes(
            kind=np.full(len(who), rules.TEST_CODES[kind], dtype=np.int8), size=size,
            site=site.astype(np.int64),
            lab=np.full(len(who), rules.LAB_OF_KIND[kind], dtype=np.int64),
            collected=start, result=result, outcome=np.zeros(len(who), dtype=np.int8),
            ct=np.full((len(who), self.genes), np.nan), sample_person=who,
            sample_tube=number, sample_collected=start, sample_onset=recorded)

    def _pools(self, who: IntArray, t: int) -> Tubes:
        """A mass round: swabs queue at their community's testing points, in pools."""
        if not len(who):
            return Tubes.empty(self.genes)
        key = keyed_uniform(self.seed, S_QUEUE, t, who)
        comm = self.city.community[who]
        order = np.lexsort((key, comm))
        who, comm = who[order], comm[order]
        counts = np.bincount(comm, minlength=len(self.city.community_id))
        sizes: list[int] = []
        tube_community: list[int] = []
        for c in np.flatnonzero(counts).tolist():
            these = rules.pool_sizes_of(int(counts[c]), self.testing.pool_size,
                                        self.testing.pool_sizes)
            sizes += these
            tube_community += [c] * len(these)
        size = np.asarray(sizes, dtype=np.int64)
        tube_comm = np.asarray(tube_community, dtype=np.int64)
        first_row = np.cumsum(size) - size
        tube_of = np.repeat(np.arange(len(size), dtype=np.int64), size)
        within = positions_within(np.bincount(tube_comm, minlength=len(self.city.community_id))[
            np.unique(tube_comm)])
        site = tube_comm * rules.TESTING_POINTS + within % rules.TESTING_POINTS
        labs = np.asarray(rules.MASS_ROUND_LABS, dtype=np.int64)
        start, result = self._times(rules.MASS_ROUND, t, who[first_row], size)
        swab = start[tube_of] + (np.arange(len(who)) - first_row[tube_of]) * rules.SWAB_SECONDS
        return Tubes(
            kind=np.full(len(size), rules.TEST_CODES[rules.MASS_ROUND], dtype=np.int8),
            size=size, site=site, lab=labs[tube_comm % len(labs)], collected=start,
            result=result, outcome=np.zeros(len(size), dtype=np.int8),
            ct=np.full((len(size), self.genes), np.nan), sample_person=who,
            sample_tube=tube_of, sample_collected=swab,
            sample_onset=np.full(len(who), -1, dtype=np.int64))

    def _read(self, day: Tubes, t: int) -> None:
        """The lab's reading of each tube: Ct per gene, outcome, occasional invalids."""
        if not len(day.size):
            return
        member_ct = self.ct_of(day.sample_person, day.sample_collected)
        tube_ct = rules.pooled_ct(member_ct, day.sample_tube, day.size)
        first_row = np.full(len(day.size), len(day.sample_person), dtype=np.int64)
        np.minimum.at(first_row, day.sample_tube, np.arange(len(day.sample_person)))
        first = day.sample_person[first_row]
        genes = np.full((len(day.size), self.genes), self.p.ct_undetectable + 1.0)
        amplified = ~np.isnan(tube_ct)
        if amplified.any():
            streams = (S_GENE, S_GENE2, S_GENE3)
            for g in range(self.genes):
                offset = self.p.ct_n_gene_offset if rules.TARGET_GENES[g] == "n" else 0.0
                noise = keyed_normal(self.seed, streams[g % 3], t, day.kind, first)
                genes[:, g] = np.where(amplified, tube_ct + offset
                                       + self.p.ct_gene_sd * noise, genes[:, g])
            genes = np.clip(genes, 10.0, None)
        positive, reported = rules.tube_outcome(genes, self.thresholds, self.testing.require_all,
                                                self.p.ct_undetectable)
        invalid = keyed_uniform(self.seed, S_INVALID, t, day.kind, first) < self.p.invalid_share
        day.outcome[:] = np.where(invalid, 2, np.where(positive, 1, 0))
        day.ct[:] = np.where(invalid[:, None], np.nan, reported)

    def _effects(self, day: Tubes) -> None:
        """What results set off: isolation of cases, quarantine of their close contacts,
        retests of the members of positive pools and invalid tubes."""
        if not len(day.size):
            return
        release = self.release_day(day.result)
        row_tube = day.sample_tube
        single = day.size[row_tube] == 1
        pooled = ~single
        outcome = day.outcome[row_tube]
        retest = ((pooled & (outcome == 1)) | (outcome == 2))
        if retest.any():
            who = day.sample_person[retest]
            on = release[row_tube[retest]] + 1
            np.maximum.at(self.retest_on, who, on)
        found = single & (outcome == 1)
        if not found.any():
            return
        who = day.sample_person[found]
        on = release[row_tube[found]]
        new = on < self.detected[who]
        who, on = who[new], on[new]
        self.detected[who] = on
        self.detected_by[who] = day.kind[row_tube[found]][new]
        np.minimum.at(self.isolated_from, who, on + 1)
        for rd in np.unique(on).tolist():
            cases = who[on == rd]
            epoch_day = self.day0 + rd
            others = np.unique(np.concatenate([self.city.work.co_members(cases, epoch_day),
                                               self.city.classes.co_members(cases, epoch_day)]))
            traced = keyed_uniform(self.seed, S_TRACED, rd, others) < self.p.traced_share
            contacts = np.union1d(self.city.households.co_members(cases, epoch_day),
                                  others[traced])
            contacts = contacts[self.isolated_from[contacts] > rd + 1]
            start, end = rd + 1, rd + self.p.quarantine_days
            fresh = self.q_end[contacts] < start - 1
            self.q_start[contacts] = np.where(fresh, start,
                                              np.minimum(self.q_start[contacts], start))
            self.q_end[contacts] = np.maximum(self.q_end[contacts], end)

    def onsets_after_results(self, tubes: Tubes) -> tuple[IntArray, IntArray, IntArray]:
        """Symptom onsets of people found before their symptoms began: (person, scenario
        day of onset, reported at in epoch seconds), reported after the positive result."""
        row_tube = tubes.sample_tube
        positive = (tubes.size[row_tube] == 1) & (tubes.outcome[row_tube] == 1)
        who = tubes.sample_person[positive]
        none = np.zeros(0, dtype=np.int64)
        if not len(who):
            return none, none, none
        result = tubes.result[row_tube[positive]]
        recorded = tubes.sample_onset[positive]
        order = np.lexsort((result, who))
        who, result, recorded = who[order], result[order], recorded[order]
        firsts = np.concatenate([[True], who[1:] != who[:-1]])
        who, result, recorded = who[firsts], result[firsts], recorded[firsts]
        onset = self.inf_day[who] + self.c.incubation[who]
        later = self.c.symptomatic[who] & (recorded < 0) & (onset < self.total)
        who, result, onset = who[later], result[later], onset[later]
        hour = 9.0 + 11.0 * keyed_uniform(self.seed, S_ONSET_TIME, who)
        reported = np.maximum(np.array([self.midnight(0)]) + onset * DAY_SECONDS
                              + np.round(hour * 3600).astype(np.int64), result + 3600)
        keep = self.release_day(reported) < self.total
        return who[keep], onset[keep], reported[keep]



def codes(prefix: str, numbers: NDArray[Any], width: int) -> NDArray[np.str_]:
    """Barcodes: a prefix and zero-padded numbers."""
    digits = digit_chars(np.asarray(numbers, dtype=np.int64), width)
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    chars = np.ascontiguousarray(np.concatenate(
        [np.broadcast_to(head, (len(digits), len(head))), digits], axis=1))
    total = chars.shape[1]
    text: NDArray[np.str_] = chars.view(f"S{total}").ravel().astype(f"U{total}")
    return text


def date_strings(epoch_days: IntArray) -> NDArray[np.str_]:
    """YYYY-MM-DD of days since 1970-01-01; empty where negative."""
    text = np.datetime_as_string(np.maximum(epoch_days, 0).astype("datetime64[D]"), unit="D")
    result: NDArray[np.str_] = np.where(epoch_days >= 0, text, "")
    return result


@dataclass(frozen=True)
class BatchFile:
    """One laboratory's results released on one written day, as batch columns."""

    day: int  # written day, 1-based
    lab: int  # index into rules.LABS
    columns: dict[str, Any]
    tubes: int
    samples: int
    positive_tubes: int
    pooled_tubes: int


def batch_files(city: OutbreakCity, tubes: Tubes, *, site_names: Sequence[str],
                first_epoch_day: int, warmup: int, total_days: int, tag: str,
                lab_names: Sequence[str]) -> list[BatchFile]:
    """The lab batches of every written day: each lab's tubes released that day.

    Days count from the first warm-up day; `first_epoch_day` is day 1 of the files.
    """
    if not len(tubes.size):
        return []
    day0 = first_epoch_day - warmup
    release = local_day(tubes.result) - day0
    written = (release >= warmup) & (release < total_days)
    labs = len(lab_names)
    key_t = np.where(written, release * labs + tubes.lab, -1)
    key_s = key_t[tubes.sample_tube]
    rows = np.flatnonzero(key_s >= 0)
    rows = rows[np.lexsort((rows, tubes.sample_tube[rows], key_s[rows]))]
    keys, starts, counts = runs_of(key_s[rows])
    sample_code = codes("S" + tag, np.arange(len(tubes.sample_person)), SAMPLE_DIGITS)
    tube_code = codes("T" + tag, np.arange(len(tubes.size)), TUBE_DIGITS)
    site = np.asarray(site_names)
    lab = np.asarray(lab_names)
    kinds = np.asarray(["single", "pooled"])
    outcomes = np.asarray(OUTCOME_NAMES)
    onset = np.where(tubes.sample_onset >= 0, tubes.sample_onset + day0, -1)
    port = rules.TEST_CODES[rules.PORT_OF_ENTRY]
    out: list[BatchFile] = []
    for key, start, count in zip(keys.tolist(), starts.tolist(), counts.tolist(), strict=True):
        r = rows[start: start + count]
        t = tubes.sample_tube[r]
        size = tubes.size[t]
        columns: dict[str, Any] = {
            "sample_id": sample_code[r],
            "tube_id": tube_code[t],
            "tube_type": kinds[(size > 1).astype(np.int64)],
            "pool_size": size,
            "resident_id": city.resident_id[tubes.sample_person[r]],
            "collected_at": iso_times(tubes.sample_collected[r]),
            "collection_site": site[tubes.site[t]],
            "lab": lab[tubes.lab[t]],
            "result_at": iso_times(tubes.result[t]),
            "outcome": outcomes[tubes.outcome[t]],
        }
        for g, gene in enumerate(rules.TARGET_GENES):
            columns[f"ct_{gene}"] = np.ma.masked_invalid(tubes.ct[t, g])
        columns["onset_date"] = date_strings(onset[r])
        columns["imported"] = tubes.kind[t] == port
        unique_t = np.unique(t)
        out.append(BatchFile(
            day=key // labs - warmup + 1, lab=key % labs, columns=columns,
            tubes=len(unique_t), samples=count,
            positive_tubes=int((tubes.outcome[unique_t] == 1).sum()),
            pooled_tubes=int((tubes.size[unique_t] > 1).sum())))
    return out
