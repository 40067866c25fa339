"""Candidate ranking at the size of the public service: top-20 candidates for an opportunity from
the in-memory index, in process and through gRPC against real `matching-api` processes; the
throughput of one and of two api processes; a snapshot of the index (freeze, encode, thaw) and a
second replica starting from it; and the delays from `profile.updated` to a changed ranking and
from `opportunity.posted` to a ranked opportunity, through the real worker, store and index refresh.

    .venv/bin/python tests/benchmarks/bench_ranking.py                     # everything
    .venv/bin/python tests/benchmarks/bench_ranking.py --sizes 100000      # quicker
    .venv/bin/python tests/benchmarks/bench_ranking.py --no-grpc           # in process only

The population is generated with a fixed seed: skills drawn Zipf-like from profiles' real
497-skill taxonomy (with its aliases and related skills), NOC 2021 codes, classifications,
departments, provinces with their cities and time zones, official-language levels, security
clearances, opt-ins, availability and current engagements. Opportunities ask for 1 to 5 skills
and, in realistic shares, a language level, a clearance, a department, a place, a schedule.

Target: p99 under 50 ms in process at 1,000,000 profiles.
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import re
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import yaml
from pymongo import MongoClient

from matching.domain.index import CandidateIndex
from matching.domain.ranking import CandidateFacts, CandidateRecord, Requirements, SkillGraph, alias_skills
from matching.snapshots import decode, encode
from tandem.common.v1 import common_pb2
from tandem.matching.v1 import matching_pb2 as pb
from tandem.matching.v1 import matching_pb2_grpc as pb_grpc
from tandem.opportunities.v1 import events_pb2 as opportunity_events
from tandem.opportunities.v1 import opportunities_pb2
from tandem.profiles.v1 import events_pb2 as profile_events
from tandem.profiles.v1 import profiles_pb2

print = functools.partial(print, flush=True)  # figures as they come, in a long run
ROOT = Path(__file__).resolve().parents[2]
SEED = 20_260_601
QUERIES = 300
TOP = 20

OPT_INS = [  # (type, role, share of people)
    ("micro_mission", "participant", 0.55),
    ("micro_mission", "host", 0.15),
    ("assignment", "participant", 0.30),
    ("deployment", "participant", 0.12),
    ("job_shadowing", "participant", 0.20),
    ("mentoring", "mentee", 0.18),
    ("mentoring", "mentor", 0.10),
    ("skill_sharing", "participant", 0.15),
]
PROVINCES = {  # share, cities, time zone
    "ON": (0.42, ["Ottawa", "Toronto", "Kingston", "Sudbury"], "America/Toronto"),
    "QC": (0.24, ["Gatineau", "Montréal", "Québec"], "America/Toronto"),
    "BC": (0.09, ["Vancouver", "Victoria"], "America/Vancouver"),
    "AB": (0.07, ["Edmonton", "Calgary"], "America/Edmonton"),
    "NS": (0.05, ["Halifax"], "America/Halifax"),
    "MB": (0.04, ["Winnipeg"], "America/Winnipeg"),
    "SK": (0.03, ["Regina"], "America/Regina"),
    "NB": (0.03, ["Moncton", "Fredericton"], "America/Moncton"),
    "NL": (0.02, ["St. John's"], "America/St_Johns"),
    "PE": (0.01, ["Charlottetown"], "America/Halifax"),
}
NOCS = ["41400", "41401", "41403", "41407", "13100", "13110", "21211", "21222", "21232", "11200", "12010", "40019"]
NAICS = ["911910", "911920", "911940", "911290", "541511", "541611", "913910"]
GROUPS = ["EC", "AS", "PM", "CS", "FI", "PE", "CR", "IS"]
DEPARTMENTS = ["tbs-sct", "statcan", "esdc-edsc", "ircc", "ised-isde", "ssc-spc", "dnd-mdn", "hc-sc", "eccc", "cra-arc"]
LEVELS = ["X", "A", "B", "C", "E"]
FRENCH_SHARES = [0.30, 0.15, 0.30, 0.20, 0.05]
CLEARANCES = ["none", "reliability", "secret", "top_secret"]
FIRST = ["Amira", "Jean", "Priya", "Marc", "Sophie", "Liam", "Chloé", "Noah", "Fatima", "Olivier", "Mei", "Ethan"]
LAST = ["Haddad", "Tremblay", "Singh", "Gagnon", "Roy", "Smith", "Côté", "Nguyen", "Bouchard", "Wilson", "Li"]


def load_taxonomy() -> tuple[SkillGraph, list[str], list[str]]:
    rows = yaml.safe_load((ROOT / "services/profiles/profiles/data/skills.yaml").read_text(encoding="utf-8"))
    graph = SkillGraph.build((r["id"], r["en"], r["fr"], r.get("aliases", []), r.get("related", [])) for r in rows)
    aliases = [a for r in rows for a in r.get("aliases", [])]
    return graph, [r["id"] for r in rows], aliases


class Population:
    """N people as numpy columns, turned into records one at a time."""

    def __init__(self, n: int, skills: Sequence[str], aliases: Sequence[str], seed: int = SEED):
        rng = np.random.default_rng(seed)
        self.n, self.skills, self.aliases = n, list(skills), list(aliases)
        # Zipf-like: the skill of rank r is held with weight 1 / r^1.1 (a random rank per skill).
        weights = 1.0 / np.arange(1, len(skills) + 1) ** 1.1
        self.skill_p = weights[rng.permutation(len(skills))] / weights.sum()
        self.counts = rng.integers(3, 13, n)
        self.skill_ids = rng.choice(len(skills), size=int(self.counts.sum()), p=self.skill_p).astype(np.int32)
        self.offsets = np.concatenate(([0], np.cumsum(self.counts)))
        self.custom = rng.random(n) < 0.01
        self.custom_alias = rng.integers(0, len(aliases), n)
        self.opt_ins = np.stack([rng.random(n) < share for _, _, share in OPT_INS], axis=1)
        names = list(PROVINCES)
        shares = np.array([PROVINCES[p][0] for p in names])
        self.province = rng.choice(len(names), n, p=shares / shares.sum())
        self.city = rng.integers(0, 4, n)
        self.department = rng.integers(0, len(DEPARTMENTS), n)
        self.english = rng.choice(len(LEVELS), (n, 3), p=[0.02, 0.03, 0.15, 0.50, 0.30])
        self.french = rng.choice(len(LEVELS), (n, 3), p=FRENCH_SHARES)
        self.clearance = rng.choice(4, n, p=[0.15, 0.65, 0.18, 0.02])
        self.hours = np.where(rng.random(n) < 0.4, 0, rng.integers(2, 21, n))
        self.max_engagements = np.where(rng.random(n) < 0.5, 0, rng.integers(1, 4, n))
        self.engagements = rng.choice(3, n, p=[0.8, 0.15, 0.05])
        self.paused = rng.random(n) < 0.05
        self.max_mentees = rng.integers(0, 4, n)
        self.group = rng.integers(0, len(GROUPS), n)
        self.level = rng.integers(1, 9, n)
        self.noc = rng.integers(0, len(NOCS), n)
        self.naics = rng.integers(0, len(NAICS), n)
        self.first = rng.integers(0, len(FIRST), n)
        self.last = rng.integers(0, len(LAST), n)

    def record(self, i: int, graph: SkillGraph) -> tuple[CandidateRecord, dict[str, str]]:
        ids = [self.skills[s] for s in self.skill_ids[self.offsets[i] : self.offsets[i + 1]]]
        skills = {s: graph.labels[s] for s in ids}
        custom = {}
        if self.custom[i]:
            name = self.aliases[self.custom_alias[i]]
            custom = {f"custom-{i}": name}
            skills[f"custom-{i}"] = {"en": name, "fr": name}
        province = list(PROVINCES)[self.province[i]]
        _, cities, zone = PROVINCES[province]
        opt_ins: dict[str, list[str]] = {}
        for k, (kind, role, _) in enumerate(OPT_INS):
            if self.opt_ins[i, k]:
                opt_ins.setdefault(kind, []).append(role)
        skill_names = ("written_comprehension", "written_expression", "oral_proficiency")
        facts = CandidateFacts(
            opt_ins=opt_ins,
            languages={
                "en": {s: LEVELS[self.english[i, j]] for j, s in enumerate(skill_names)},
                "fr": {s: LEVELS[self.french[i, j]] for j, s in enumerate(skill_names)},
            },
            province=province,
            city=cities[self.city[i] % len(cities)],
            paused=bool(self.paused[i]),
            department=DEPARTMENTS[self.department[i]],
            security_clearance=CLEARANCES[self.clearance[i]],
            time_zone=zone,
            hours_per_week=int(self.hours[i]),
            max_engagements=int(self.max_engagements[i]),
            engagements=int(self.engagements[i]),
            max_mentees=int(self.max_mentees[i]),
            classification_group=GROUPS[self.group[i]],
            classification_level=int(self.level[i]),
            noc=NOCS[self.noc[i]],
            naics=NAICS[self.naics[i]],
        )
        name = f"{FIRST[self.first[i]]} {LAST[self.last[i]]}"
        return CandidateRecord(f"p{i:07d}", name, skills, facts, alias_skills(custom, graph)), custom


def opportunities(count: int, pop: Population, seed: int = SEED + 1) -> list[Requirements]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        skills = tuple(
            dict.fromkeys(pop.skills[s] for s in rng.choice(len(pop.skills), rng.integers(1, 6), p=pop.skill_p))
        )
        kind, host_role = [("micro_mission", "offering"), ("assignment", "offering"), ("mentoring", "seeking")][
            rng.choice(3, p=[0.6, 0.25, 0.15])
        ]
        province = list(PROVINCES)[rng.integers(0, 4)]
        virtual = rng.random() < 0.7
        schedule = (("tuesday", 13 * 60, 120), ("thursday", 9 * 60, 180)) if rng.random() < 0.3 else ()
        out.append(
            Requirements(
                skill_ids=skills,
                type=kind,
                host_role=host_role,
                languages={"fr": {"oral_proficiency": "B"}} if rng.random() < 0.3 else {},
                virtual=virtual,
                province=province,
                city=PROVINCES[province][1][0],
                department=DEPARTMENTS[rng.integers(0, len(DEPARTMENTS))],
                limited_to_department=rng.random() < 0.2,
                security_level=["none", "reliability", "secret"][rng.choice(3, p=[0.4, 0.5, 0.1])],
                time_zone=PROVINCES[province][2] if rng.random() < 0.5 or schedule else "",
                schedule=schedule,
                hours=float(rng.integers(2, 10)),
                per="week",
                classification=f"{GROUPS[rng.integers(0, len(GROUPS))]}-0{rng.integers(2, 7)}"
                if rng.random() < 0.5
                else "",
                noc=NOCS[rng.integers(0, len(NOCS))],
                naics=NAICS[rng.integers(0, len(NAICS))],
            )
        )
    return out


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pid_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentiles(samples: Sequence[float]) -> str:
    ms = np.array(samples) * 1000
    return f"p50 {np.percentile(ms, 50):6.1f} ms   p99 {np.percentile(ms, 99):6.1f} ms   max {ms.max():6.1f} ms"


# --- in process ------------------------------------------------------------------------------------


def in_process(n: int, graph: SkillGraph, skills: list[str], aliases: list[str], queries: int) -> None:
    started = time.perf_counter()
    pop = Population(n, skills, aliases)
    generated = time.perf_counter() - started
    gc.collect()
    before = rss_mb()
    index = CandidateIndex(capacity=n, graph=graph)
    started = time.perf_counter()
    for i in range(n):
        index.upsert(*pop.record(i, graph))
    built = time.perf_counter() - started
    gc.collect()
    after = rss_mb()
    reqs = opportunities(queries, pop)
    at = datetime.now(UTC)
    index.rank(reqs[0], limit=TOP, at=at)  # warm the caches of the time-zone tables
    times, cpu, found, empty = [], [], 0, 0
    for req in reqs:
        t, c = time.perf_counter(), time.process_time()
        ranked, _ = index.rank(req, exclude=["p0000000"], limit=TOP, at=at)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        found += len(ranked)
        empty += not ranked
    print(
        f"in process, {n:>9,} profiles: top-{TOP} {percentiles(times)}   "
        f"({found / len(reqs):.1f} returned on average, {empty} empty lists)"
    )
    # CPU time per query: what a query costs on a core of its own, whatever else the machine runs.
    print(f"    CPU time per query             {percentiles(cpu)}   (load average {os.getloadavg()[0]:.1f})")
    print(
        f"    generated in {generated:.1f} s, indexed in {built:.1f} s ({n / built:,.0f} profiles/s); "
        f"index: {index.nbytes() / 2**20:,.0f} MiB of numpy columns and lists, "
        f"process RSS grew {after - before:,.0f} MiB (to {after:,.0f} MiB)"
    )
    # A snapshot, as a replica writes one for the next to start from: the freeze is the only
    # part that pauses following the store; encoding runs on another thread.
    started = time.perf_counter()
    frozen = index.freeze()
    froze = time.perf_counter() - started
    started = time.perf_counter()
    data = encode(frozen)
    size = data.getbuffer().nbytes
    encoded = time.perf_counter() - started
    del frozen
    started = time.perf_counter()
    thawed = decode(data)
    thawed_in = time.perf_counter() - started
    assert thawed.rank(reqs[0], exclude=["p0000000"], limit=TOP, at=at) == index.rank(
        reqs[0], exclude=["p0000000"], limit=TOP, at=at
    )
    print(
        f"    snapshot: frozen in {froze * 1000:,.0f} ms, encoded to {size / 2**20:,.0f} MiB in {encoded:.1f} s, "
        f"thawed into a ranking index in {thawed_in:.1f} s"
    )
    del index, pop, thawed, data
    gc.collect()


# --- through gRPC ----------------------------------------------------------------------------------


def fill_store(db: Any, n: int, pop: Population, graph: SkillGraph, reqs: Sequence[Requirements]) -> None:
    """Write the population into matching's read model as its worker would (the same fields),
    in batches, with change sequence numbers 1..n."""
    # The indexes first, as the worker makes them on an empty store (building one over a full
    # collection is slow on SecantusDB).
    db.candidates.create_index("seq", background=False)  # as mongoengine declares it
    db.opportunities.create_index("seq", background=False)
    batch: list[dict[str, Any]] = []
    for i in range(n):
        record, custom = pop.record(i, graph)
        f = record.facts
        batch.append(
            {
                "_id": record.user_id,
                "display_name": record.display_name,
                "department": "",
                "department_code": f.department,
                "skill_ids": list(record.skills),
                "skill_labels": {k: dict(v) for k, v in record.skills.items()},
                "custom_skills": custom,
                "opt_ins": {k: list(v) for k, v in f.opt_ins.items()},
                "languages": {k: dict(v) for k, v in f.languages.items()},
                "province": f.province,
                "city": f.city,
                "time_zone": f.time_zone,
                "paused": f.paused,
                "max_mentees": f.max_mentees,
                "security_clearance": f.security_clearance,
                "availability": {
                    "hours_per_week": f.hours_per_week,
                    "max_engagements": f.max_engagements,
                    "days": [],
                    "day_start": "",
                    "day_end": "",
                },
                "classification_group": f.classification_group,
                "classification_level": f.classification_level,
                "noc": f.noc,
                "naics": f.naics,
                "engaged_in": {f"busy-{i}-{k}": "assignment" for k in range(f.engagements)},
                "version": 1,
                "seq": i + 1,
            }
        )
        if len(batch) == 10_000:
            db.candidates.insert_many(batch, ordered=False)
            batch = []
    if batch:
        db.candidates.insert_many(batch, ordered=False)
    docs = []
    for k, r in enumerate(reqs):
        docs.append(
            {
                "_id": f"o{k}",
                "poster_id": f"p{k:07d}",
                "title": {"en": f"Opportunity {k}", "fr": f"Possibilité {k}"},
                "skill_ids": list(r.skill_ids),
                "openings": 1,
                "type": r.type,
                "host_role": r.host_role,
                "languages": {k2: dict(v) for k2, v in r.languages.items()},
                "virtual": r.virtual,
                "province": r.province,
                "city": r.city,
                "department": r.department,
                "limited_to_department": r.limited_to_department,
                "security_level": r.security_level,
                "time_zone": r.time_zone,
                "schedule": {
                    d: {"start": f"{s // 60:02d}:{s % 60:02d}", "duration": f"{m // 60:02d}:{m % 60:02d}"}
                    for d, s, m in r.schedule
                },
                "hours": r.hours,
                "per": r.per,
                "classification": r.classification,
                "application_deadline": "",
                "state": "open",
                "participant_ids": [],
                "seq": n + k + 1,
            }
        )
    db.opportunities.insert_many(docs)
    db.sequences.replace_one({"_id": "changes"}, {"_id": "changes", "value": n + len(reqs)}, upsert=True)


def loaded_from(stack: Any) -> str:
    """Where a running matching-api loaded its index from, and how long it took, as its metrics say."""
    import httpx

    text = httpx.get(f"http://127.0.0.1:{stack.ports.api_metrics['matching']}/metrics", timeout=10).text
    found = re.findall(r'^tandem_matching_index_load_seconds\{source="(\w+)"\} (\S+)', text, re.MULTILINE)
    return ", ".join(f"{source}: loaded in {float(seconds):.1f} s" for source, seconds in found)


def timed_calls(stub: pb_grpc.MatchingServiceStub, ids: Sequence[str]) -> list[float]:
    times = []
    for oid in ids:
        t = time.perf_counter()
        stub.RankCandidates(pb.RankCandidatesRequest(opportunity_id=oid, limit=TOP), timeout=30)
        times.append(time.perf_counter() - t)
    return times


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def pin(pid: int, cpu: int) -> None:
    """Keep every thread of a process on one core."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        os.sched_setaffinity(int(tid), {cpu})


def busy_throughput(addresses: Sequence[str], pids: Sequence[int], ids: Sequence[str]) -> str:
    """Requests per second, and how many cores the api processes kept busy meanwhile."""
    before, started = sum(cpu_seconds(p) for p in pids), time.perf_counter()
    rate = throughput(addresses, ids, 15, 4)
    cores = (sum(cpu_seconds(p) for p in pids) - before) / (time.perf_counter() - started)
    return f"{rate:7.1f} requests/s, the api busy on {cores:.2f} cores"


def throughput(addresses: Sequence[str], ids: Sequence[str], seconds: float, threads: int) -> float:
    """Requests per second from `threads` client threads, spread over the api processes."""
    done = [0] * threads
    stop = time.perf_counter() + seconds

    def client(k: int) -> None:
        with grpc.insecure_channel(addresses[k % len(addresses)]) as ch:
            stub = pb_grpc.MatchingServiceStub(ch)
            j = k
            while time.perf_counter() < stop:
                stub.RankCandidates(pb.RankCandidatesRequest(opportunity_id=ids[j % len(ids)], limit=TOP), timeout=30)
                done[k] += 1
                j += threads

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done) / (time.perf_counter() - started)


def update_delays(stack: Any, stub: pb_grpc.MatchingServiceStub, graph: SkillGraph, rounds: int) -> list[float]:
    """Publish profile.updated (as profiles' relay would) for someone who then tops an
    opportunity's ranking, and time until RankCandidates shows it."""
    from tandem_dev.testing import TestStack

    publisher = TestStack(stack, stack.amqp_uri, stack.effective_mongo_uri)
    delays = []
    skill = "cobol"
    for k in range(rounds):
        user = f"fresh-{k}"
        labels = graph.labels[skill]
        event = profile_events.ProfileUpdated(
            user_id=user,
            display_name=f"Aaron Fresh {9999 - k:04d}",  # sorts before everyone of an equal score so far
            skills=[profiles_pb2.Skill(id=skill, label=common_pb2.LocalizedText(en=labels["en"], fr=labels["fr"]))],
            version=1,
        )
        t = time.perf_counter()
        publisher.publish("profiles", "profile.updated", event)
        while time.perf_counter() - t < 60:
            resp = stub.RankCandidates(pb.RankCandidatesRequest(opportunity_id="o-cobol", limit=1), timeout=30)
            if resp.candidates and resp.candidates[0].user_id == user:
                break
        else:
            raise TimeoutError(f"{user} never ranked")
        delays.append(time.perf_counter() - t)
    return delays


def posting_delays(stack: Any, stub: pb_grpc.MatchingServiceStub, rounds: int) -> list[float]:
    """Publish opportunity.posted (as opportunities' relay would) and time until RankCandidates
    ranks its candidates."""
    from tandem_dev.testing import TestStack

    publisher = TestStack(stack, stack.amqp_uri, stack.effective_mongo_uri)
    delays = []
    for k in range(rounds):
        opportunity_id = f"posted-{k}"
        event = opportunity_events.OpportunityPosted(
            opportunity_id=opportunity_id,
            poster_id="nobody",
            title_en="COBOL",
            title_fr="COBOL",
            skill_ids=["cobol"],
            openings=1,
            requirements=opportunities_pb2.Requirements(virtual=True),
        )
        t = time.perf_counter()
        publisher.publish("opportunities", "opportunity.posted", event)
        while time.perf_counter() - t < 60:
            try:
                stub.RankCandidates(pb.RankCandidatesRequest(opportunity_id=opportunity_id, limit=1), timeout=30)
                break
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.NOT_FOUND:
                    raise
        else:
            raise TimeoutError(f"{opportunity_id} never ranked")
        delays.append(time.perf_counter() - t)
    return delays


def through_grpc(
    n: int, graph: SkillGraph, skills: list[str], aliases: list[str], queries: int, delay_rounds: int
) -> None:
    from tandem_dev.net import wait_until
    from tandem_dev.rabbitmq import create_vhost, delete_vhost, ensure, uri_for_vhost
    from tandem_dev.stack import Ports, Stack

    amqp = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    ensure(amqp)
    vhost = create_vhost("tandem-bench")
    var = Path(tempfile.mkdtemp(prefix="bench-ranking-"))
    stack = Stack(
        var=var,
        ports=Ports.free(),
        amqp_uri=uri_for_vhost(amqp, vhost) if vhost else amqp,
        db_prefix="bench",
        log_dir=var / "logs",
    )
    second: Stack | None = None
    try:
        stack.wait_ready([stack.spawn(p) for p in stack.infra_procs()], 120)
        pop = Population(n, skills, aliases)
        reqs = opportunities(queries, pop)
        # An opportunity for the update-delay rounds: a rare skill, asked of nobody else.
        cobol = Requirements(skill_ids=("cobol",), virtual=True)
        db: Any = MongoClient(stack.effective_mongo_uri)["bench_matching"]
        started = time.perf_counter()
        fill_store(db, n, pop, graph, [*reqs])
        db.opportunities.insert_one(
            {"_id": "o-cobol", "poster_id": "nobody", "title": {"en": "COBOL", "fr": "COBOL"},
             "skill_ids": list(cobol.skill_ids), "openings": 1, "virtual": True, "state": "open", "seq": 0}
        )  # fmt: skip
        print(f"through gRPC, {n:>9,} profiles: store filled in {time.perf_counter() - started:.0f} s")
        procs = stack.service_procs(("matching",))
        started = time.perf_counter()
        for p in procs:
            stack.spawn(p)
        stack.wait_ready([p for p in procs if p.name == "matching-api"], 3600)
        serving = time.perf_counter() - started
        stack.wait_ready(procs, 600)
        api_pid = stack.procs["matching-api"].popen.pid  # type: ignore[union-attr]
        print(
            f"    matching-api read the store, built its index and serves in {serving:.0f} s; "
            f"its RSS: {pid_rss_mb(api_pid):,.0f} MiB"
        )
        # With no snapshot yet, the api writes one at once, for the replicas that come after it.
        started = time.perf_counter()
        wait_until(lambda: db.index_snapshots.files.find_one() is not None, 1800, "the index snapshot", interval=0.5)
        snapshot = db.index_snapshots.files.find_one()
        print(
            f"    it froze its index and wrote a snapshot ({snapshot['length'] / 2**20:,.0f} MiB) "
            f"within {time.perf_counter() - started:.1f} s"
        )
        address = f"127.0.0.1:{stack.ports.grpc['matching']}"
        ids = [f"o{k}" for k in range(len(reqs))]
        with grpc.insecure_channel(address) as ch:
            stub = pb_grpc.MatchingServiceStub(ch)
            timed_calls(stub, ids[:10])
            print(f"    top-{TOP} through gRPC (one client)   {percentiles(timed_calls(stub, ids))}")
            free = busy_throughput([address], [api_pid], ids)
            print(f"    throughput, 1 matching-api process on both cores, 4 client threads: {free}")
            # numpy lets one process use every core at a million people; a replica in k8s has
            # one CPU (its limit), so each is pinned to a core of its own to show what a replica adds.
            pin(api_pid, 0)
            one = throughput([address], ids, 15, 4)
            print(f"    throughput, 1 matching-api process pinned to one core:  {one:7.1f} requests/s")
            # A second replica of the api, following the same store.
            second = Stack(
                var=var / "second",
                ports=Ports.free(),
                mongo_uri=stack.effective_mongo_uri,
                amqp_uri=stack.amqp_uri,
                db_prefix="bench",
                log_dir=var / "logs-second",
            )
            api2 = next(p for p in second.service_procs(("matching",)) if p.name == "matching-api")
            started = time.perf_counter()
            second.spawn(api2)
            second.wait_ready([api2], 1800)
            api2_pid = second.procs["matching-api"].popen.pid  # type: ignore[union-attr]
            print(
                f"    a second matching-api started from the snapshot ({loaded_from(second)}) and serves in "
                f"{time.perf_counter() - started:.1f} s; its RSS: {pid_rss_mb(api2_pid):,.0f} MiB"
            )
            address2 = f"127.0.0.1:{second.ports.grpc['matching']}"
            pin(api2_pid, 1 % (os.cpu_count() or 1))
            two = throughput([address, address2], ids, 15, 4)
            print(
                f"    throughput, 2 matching-api processes, a core each:      {two:7.1f} requests/s ({two / one:.2f}x)"
            )
            second.stop()
            second = None
            wait_until(lambda: True, 1, "")
            delays = update_delays(stack, stub, graph, delay_rounds)
            print(f"    profile.updated published -> ranking changed ({delay_rounds} rounds): {percentiles(delays)}")
            delays = posting_delays(stack, stub, delay_rounds)
            print(f"    opportunity.posted published -> ranked   ({delay_rounds} rounds): {percentiles(delays)}")
    finally:
        if second is not None:
            second.stop()
        stack.stop()
        if vhost:
            delete_vhost(vhost)


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--grpc-sizes", default=None, help="default: the same as --sizes")
    parser.add_argument("--queries", type=int, default=QUERIES)
    parser.add_argument("--delay-rounds", type=int, default=100)
    parser.add_argument("--no-grpc", action="store_true")
    args = parser.parse_args(argv)
    graph, skills, aliases = load_taxonomy()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"{len(skills)} skills from the taxonomy; {args.queries} opportunities per size; {os.cpu_count()} cores")
    for n in sizes:
        in_process(n, graph, skills, aliases, args.queries)
    if not args.no_grpc:
        for n in [int(s) for s in (args.grpc_sizes or args.sizes).split(",") if s]:
            through_grpc(n, graph, skills, aliases, args.queries, args.delay_rounds)
    print(f"peak RSS of this benchmark process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
