"""Certificate verification: the full chain against the bare ES256 signature check.

Issues N distinct vaccination certificates (distinct names, days and identifiers) with
one signer key, then measures on one core, in interleaved blocks of 500 certificates
(bare, chain, bare, chain, ...) so that the machine's changing load falls on all alike:

- the bare ES256 verification of each certificate's Sig_structure (signature already in
  DER form, Sig_structure already built: only the signature check);
- the full chain over the block (`engine.verify_many`, what the CLI runs for several
  certificates): base45, zlib, COSE parsing, Sig_structure, the signature, CBOR claims,
  times, the DCC schema, the signer certificate's validity and key usage, revocation,
  for each certificate, a step at a time over the block. Nothing is cached between
  certificates. This is `verify_per_s_core` and `ratio_to_bare`;
- the same chain one certificate at a time (`engine.verify`, what the API and a door
  verifier run for each certificate scanned): `verify_one_per_s_core` and
  `ratio_one_to_bare`. Both give the same outcomes; the block form keeps each step's
  code and tables in the processor's caches from one certificate to the next.

The benchmark's own data (the payloads, the certificates, the bare inputs: several
objects per certificate) is moved out of the garbage collector's view (`gc.freeze`)
once it is built: otherwise each of the collector's full passes, which the chain's
allocations trigger and the bare loop's do not, would walk all of it, a cost of the
harness that a verifier's process, holding one certificate at a time, does not carry.
The chain's own objects are collected as usual.

Each run passes over every certificate; the figures are the medians of the runs. Rates
use the thread's CPU time (one core, what the process itself spent); the wall-clock
ratio is given beside it. `verify_per_s_all_cores` verifies every certificate once in
one process per core.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

SCALES = {"small": (10_000, 5), "full": (50_000, 7)}
BLOCK = 500


def _signer() -> Any:
    from epidesk.certificates.engine import generate_signer

    now = datetime.now(UTC)
    return generate_signer(country="CN", organisation="Bench", common_name="Bench DSC",
                           valid_from=now - timedelta(days=1),
                           valid_until=now + timedelta(days=365),
                           usages=("vaccination", "test", "recovery"))


def _payloads(n: int) -> list[dict[str, Any]]:
    from epidesk.certificates import rules

    surnames = ["Zhang", "Wang", "Li", "Zhao", "Chen", "Liu", "Yang", "Huang"]
    given = ["Wei", "Fang", "Na", "Min", "Jing", "Lei", "Qiang", "Yan", "Jie", "Tao"]
    out = []
    for i in range(n):
        holder = rules.Holder(name=f"测试{i}", name_latin=f"{surnames[i % 8]} "
                                                          f"{given[(i // 8) % 10]}{i}",
                              birth_date=date(1940 + i % 70, 1 + i % 12, 1 + i % 28))
        out.append(rules.vaccination_payload(
            holder, identifier=rules.new_identifier("CN", "vaccination"),
            dose_number=1 + i % 3, total_doses=3, product="BBIBP-CorV",
            manufacturer="ORG-100020693", vaccine_type="inactivated",
            day=date(2026, 1, 1) + timedelta(days=i % 300), country="CN",
            issuer="Bench health authority"))
    return out


def _bare_inputs(texts: list[str]) -> list[tuple[bytes, bytes]]:
    """(DER signature, Sig_structure) of each certificate, for the bare check."""
    import zlib

    import cbor2
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    from epidesk.certificates.hcert import engine

    out = []
    for text in texts:
        sign1 = cbor2.loads(zlib.decompress(engine.b45decode(text[4:]))).value
        signature = sign1[3]
        out.append((encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                         int.from_bytes(signature[32:], "big")),
                    engine.sig_structure(sign1[0], sign1[2])))
    return out


def _chain_worker(args: tuple[bytes, list[str], int]) -> int:
    from epidesk.certificates.hcert import engine
    from epidesk.certificates.hcert import trust as hcert_trust
    from epidesk.certificates.hcert.rules import TrustList

    der, texts, at = args
    trust = TrustList()
    trust.add(hcert_trust.signer_from_der(der))
    return sum(o.valid for start in range(0, len(texts), BLOCK)
               for o in engine.verify_many(texts[start:start + BLOCK], signers=trust.signers,
                                           revoked=trust.revoked, at=at))


def run(scale: str, pg_url: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from epidesk.certificates.engine import load_private_key
    from epidesk.certificates.hcert import engine
    from epidesk.certificates.hcert import trust as hcert_trust
    from epidesk.certificates.hcert.rules import TrustList

    n, runs = SCALES[scale]
    signer = _signer()
    key = load_private_key(signer.private_key_pem)
    payloads = _payloads(n)
    now = int(time.time())
    started = time.perf_counter()
    texts = [engine.encode(p, private_key=key, kid=signer.kid, issuer_country="CN",
                           issued_at=now - 60, expires_at=now + 86400 * 365)
             for p in payloads]
    issue_seconds = time.perf_counter() - started
    assert len(set(texts)) == n
    bare = _bare_inputs(texts)
    trust = TrustList()
    trust.add(hcert_trust.signer_from_der(signer.certificate_der))
    public_key = trust.signers[signer.kid][0].public_key
    ecdsa = ec.ECDSA(hashes.SHA256())
    signers, revoked = trust.signers, trust.revoked
    verify = engine.verify
    at = now
    del payloads
    gc.collect()
    gc.freeze()

    many = engine.verify_many
    bare_cpu: list[float] = []
    chain_cpu: list[float] = []
    one_cpu: list[float] = []
    bare_wall: list[float] = []
    chain_wall: list[float] = []
    for run_number in range(runs):
        totals = [0.0] * 5
        for start in range(0, n, BLOCK):
            block_bare = bare[start:start + BLOCK]
            block_texts = texts[start:start + BLOCK]
            c0, w0 = time.thread_time(), time.perf_counter()
            for signature, data in block_bare:
                public_key.verify(signature, data, ecdsa)
            c1, w1 = time.thread_time(), time.perf_counter()
            totals[0] += c1 - c0
            totals[2] += w1 - w0
            # The two forms of the chain take turns in going first after the bare block.
            for form in ((0, 1) if (start // BLOCK + run_number) % 2 else (1, 0)):
                c0, w0 = time.thread_time(), time.perf_counter()
                if form:
                    valid = sum(o.valid for o in many(block_texts, signers=signers,
                                                      revoked=revoked, at=at))
                else:
                    valid = 0
                    for text in block_texts:
                        valid += verify(text, signers=signers, revoked=revoked, at=at).valid
                c1, w1 = time.thread_time(), time.perf_counter()
                assert valid == len(block_texts)
                if form:
                    totals[1] += c1 - c0
                    totals[3] += w1 - w0
                else:
                    totals[4] += c1 - c0
        bare_cpu.append(n / totals[0])
        chain_cpu.append(n / totals[1])
        bare_wall.append(n / totals[2])
        chain_wall.append(n / totals[3])
        one_cpu.append(n / totals[4])

    cores = os.cpu_count() or 1
    shares = [(signer.certificate_der, texts[i::cores], at) for i in range(cores)]
    context = multiprocessing.get_context("fork")  # the workers inherit the certificates
    results = context.Queue()
    ready = context.Barrier(cores + 1)

    def work(share: tuple[bytes, list[str], int]) -> None:
        _chain_worker((share[0], share[1][:50], share[2]))  # warm up
        ready.wait()
        results.put(_chain_worker(share))

    workers = [context.Process(target=work, args=(share,)) for share in shares]
    for worker in workers:
        worker.start()
    ready.wait()
    started = time.perf_counter()
    valid_all = sum(results.get() for _ in workers)
    all_seconds = time.perf_counter() - started
    for worker in workers:
        worker.join()
    assert valid_all == n

    verify_core = statistics.median(chain_cpu)
    bare_core = statistics.median(bare_cpu)
    ratios = [c / b for c, b in zip(chain_cpu, bare_cpu, strict=True)]
    ratios_one = [c / b for c, b in zip(one_cpu, bare_cpu, strict=True)]
    return {
        "certificates": n, "runs": runs, "block": BLOCK,
        "verify_per_s_core": round(verify_core),
        "bare_signature_per_s": round(bare_core),
        "ratio_to_bare": round(verify_core / bare_core, 3),
        "ratio_each_run": [round(r, 3) for r in ratios],
        "verify_one_per_s_core": round(statistics.median(one_cpu)),
        "ratio_one_to_bare": round(statistics.median(one_cpu) / bare_core, 3),
        "ratio_one_each_run": [round(r, 3) for r in ratios_one],
        "verify_per_s_core_wall": round(statistics.median(chain_wall)),
        "bare_signature_per_s_wall": round(statistics.median(bare_wall)),
        "ratio_to_bare_wall": round(statistics.median(chain_wall)
                                    / statistics.median(bare_wall), 3),
        "verify_per_s_all_cores": round(n / all_seconds), "cores": cores,
        "issue_per_s": round(n / issue_seconds),
        "mean_text_chars": round(sum(map(len, texts)) / n),
        "load_average": os.getloadavg()[0], "setup_frozen_from_gc": True,
    }
