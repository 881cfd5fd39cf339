#!/usr/bin/env python3
"""Capacity and cost model of the authorizer's hot path (SCALING.md).

Usage: python3 scripts/capacity.py            # the three sizes, as Markdown (both tables)

Every number below is either an assumption (named, with its default) or a
published AWS limit or price (with the page it comes from). The model counts,
per second: DynamoDB read and write request units on the base table and on
each index, the busiest partition of each, Lambda GB-seconds, and dollars per
million authorizations at on-demand prices (us-east-1), in front of either
kind of API Gateway API (REST or HTTP), each at its tiered monthly price.
"""

from dataclasses import dataclass
import math

# --- Published limits and prices ------------------------------------------
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html
PARTITION_READS_PER_SEC = 3000  # strongly consistent reads of items <= 4 KB
PARTITION_WRITES_PER_SEC = 1000  # writes of items <= 1 KB
# https://aws.amazon.com/dynamodb/pricing/on-demand/ (us-east-1)
PRICE_PER_MILLION_RRU = 0.125
PRICE_PER_MILLION_WRU = 0.625
# https://aws.amazon.com/lambda/pricing/ (arm64, us-east-1)
PRICE_PER_GB_SECOND = 0.0000133334
PRICE_PER_MILLION_INVOCATIONS = 0.20
# https://aws.amazon.com/api-gateway/pricing/ (us-east-1): per million
# requests a month, by tier: (requests up to this many millions, price).
REST_TIERS = [(333, 3.50), (1_000, 2.80), (20_000, 2.38), (math.inf, 1.51)]
HTTP_TIERS = [(300, 1.00), (math.inf, 0.90)]
SECONDS_PER_MONTH = 30 * 86_400

# --- The design (shared/store/src/table.rs, shared/core/src/decision.rs) ---
EXPIRY_SHARDS = 16
LAST_USED_INTERVAL_SECS = 60
SESSION_EXTENSION_INTERVAL_SECS = 3600
# The `lists` index projects keys only: a write that changes neither
# gsi1pk nor gsi1sk (recording a use, extending a session) writes nothing to
# it. Its predecessor `gsi1` projected ALL, so each such write was also an
# index write; the model prints what that cost for comparison.
LISTS_PROJECTS_KEYS_ONLY = True
AUTHORIZER_MEMORY_GB = 128 / 1024


@dataclass
class Size:
    name: str
    authorizations_per_sec: float
    sessions: int
    api_tokens: int


SIZES = [
    Size("small", 200, 100_000, 10_000),
    Size("medium", 2_000, 1_000_000, 100_000),
    Size("large", 20_000, 10_000_000, 1_000_000),
]

# --- Assumptions (change them here) -----------------------------------------
SHARE_API_TOKEN = 0.5  # of authorizations
SHARE_SESSION = 0.4
SHARE_JWT = 0.1
SHARE_WITH_CONTEXT = 0.5  # sessions and JWTs sending Akua-Context (+1 read)
REQUESTS_PER_ACTIVE_CREDENTIAL_PER_MIN = 10  # how often a busy credential is reused
ACTIVE_SESSION_SHARE_PER_HOUR = 0.3  # sessions used at least once an hour
AUTHORIZER_BILLED_MS = 6  # p50 with one DynamoDB read (BENCHMARKS.md)


def model(size: Size) -> dict:
    rate = size.authorizations_per_sec
    opaque = rate * (SHARE_API_TOKEN + SHARE_SESSION)
    reads = opaque + rate * (SHARE_SESSION + SHARE_JWT) * SHARE_WITH_CONTEXT

    # last_used_at: at most one write per credential per minute.
    active_per_min = min(
        opaque * 60 / REQUESTS_PER_ACTIVE_CREDENTIAL_PER_MIN,
        size.sessions + size.api_tokens,
    )
    touches = active_per_min / LAST_USED_INTERVAL_SECS
    # A session's expiry moves at most once an hour.
    extensions = size.sessions * ACTIVE_SESSION_SHARE_PER_HOUR / SESSION_EXTENSION_INTERVAL_SECS
    extensions = min(extensions, touches)

    base_writes = touches + extensions
    # With ALL, every hot-path write is also an index write.
    all_projection_writes = touches + extensions
    lists_writes = 0 if LISTS_PROJECTS_KEYS_ONLY else all_projection_writes
    # Moving the by_expiry sort key is a delete and a put in the index.
    by_expiry_writes = 2 * extensions
    per_shard = by_expiry_writes / EXPIRY_SHARDS

    gb_seconds = rate * AUTHORIZER_BILLED_MS / 1000 * AUTHORIZER_MEMORY_GB
    per_sec = {
        "reads": reads * PRICE_PER_MILLION_RRU / 1e6,
        "writes": (base_writes + lists_writes + by_expiry_writes) * PRICE_PER_MILLION_WRU / 1e6,
        "lambda": rate * PRICE_PER_MILLION_INVOCATIONS / 1e6 + gb_seconds * PRICE_PER_GB_SECOND,
    }
    per_million = {k: v / rate * 1e6 for k, v in per_sec.items()}
    monthly_millions = rate * SECONDS_PER_MONTH / 1e6
    # The authorizer's own share: the same in front of either API.
    per_million["own"] = per_million["reads"] + per_million["writes"] + per_million["lambda"]
    per_million["rest"] = tiered(monthly_millions, REST_TIERS) / monthly_millions
    per_million["http"] = tiered(monthly_millions, HTTP_TIERS) / monthly_millions
    return {
        "size": size,
        "reads": reads,
        "base_writes": base_writes,
        "lists_writes": lists_writes,
        "by_expiry_writes": by_expiry_writes,
        "per_shard": per_shard,
        # Sized for the worst hour: every session extended once.
        "worst_by_expiry": 2 * size.sessions / SESSION_EXTENSION_INTERVAL_SECS,
        "shards_needed": max(
            1,
            math.ceil(2 * size.sessions / SESSION_EXTENSION_INTERVAL_SECS / (PARTITION_WRITES_PER_SEC / 2)),
        ),
        "saving_per_million": (all_projection_writes - lists_writes) * PRICE_PER_MILLION_WRU / rate,
        "gb_seconds": gb_seconds,
        "per_million": per_million,
        "monthly_millions": monthly_millions,
    }


def tiered(millions: float, tiers: list) -> float:
    """Dollars for `millions` requests in a month at tiered prices."""
    dollars, floor = 0.0, 0.0
    for ceiling, price in tiers:
        in_tier = max(0.0, min(millions, ceiling) - floor)
        dollars += in_tier * price
        floor = ceiling
        if millions <= ceiling:
            break
    return dollars


def main() -> None:
    rows = [model(s) for s in SIZES]
    print("| size | auth/s | sessions | API tokens | RRU/s | base WRU/s | lists WRU/s | by_expiry WRU/s | per shard | worst hour by_expiry WRU/s | shards for ≤ 50 % | Lambda GB-s/s | $ per M auth (DynamoDB + Lambda) | + REST API | keys-only lists saves (vs ALL) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        s, m = r["size"], r["per_million"]
        own = m["own"]
        print(
            f"| {s.name} | {s.authorizations_per_sec:,.0f} | {s.sessions:,} | {s.api_tokens:,} "
            f"| {r['reads']:,.0f} | {r['base_writes']:,.0f} | {r['lists_writes']:,.0f} "
            f"| {r['by_expiry_writes']:,.0f} | {r['per_shard']:,.0f} | {r['worst_by_expiry']:,.0f} "
            f"| {r['shards_needed']} | {r['gb_seconds']:.1f} | ${own:.3f} | ${own + m['rest']:.2f} "
            f"| ${r['saving_per_million']:.3f} per M |"
        )
    print()
    print(f"One credential's item takes at most {PARTITION_READS_PER_SEC:,} strongly consistent reads a second.")
    print()
    print("| size | authorizations a month | REST API $ per M | REST total $ per M | REST total $ a month | HTTP API $ per M | HTTP total $ per M | HTTP total $ a month | HTTP saves a month |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        s, m, months = r["size"], r["per_million"], r["monthly_millions"]
        rest, http = m["own"] + m["rest"], m["own"] + m["http"]
        print(
            f"| {s.name} | {months / 1000:,.1f} billion | ${m['rest']:.2f} | ${rest:.2f} | ${rest * months:,.0f} "
            f"| ${m['http']:.2f} | ${http:.2f} | ${http * months:,.0f} | ${(rest - http) * months:,.0f} |"
        )


if __name__ == "__main__":
    main()
