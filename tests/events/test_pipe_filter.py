"""The security-events pipe's filter, held to DynamoDB stream records.

template.yaml's AWS::Pipes::Pipe lets through only the INSERTs of audit
events. This reads its filter pattern from the template and matches it,
with moto's implementation of EventBridge's pattern matching (independent
of ours), against stream records shaped exactly as DynamoDB Streams sends
them (tests/fixtures/dynamodb-stream/records.json): audit events of both
logs, every other kind of item, MODIFYs, REMOVEs (TTL's included), and
items that carry `AUDIT#` or `audit_event` where it does not make an
audit event. The records that pass must be exactly the audit INSERTs, by
an independent rule and by a list of their ids.

It also holds the pipe to the settings the README promises (bounded
retries, a dead-letter queue, source and detail-type) and renders the
input template against each passing record the way Pipes does (values put
in unescaped), so every path it names exists in every audit event and the
`detail` is the documented shape.

Run: python tests/events/test_pipe_filter.py (in CI, with the contract
tools' virtual environment: cfn-lint and moto). Exits non-zero on failure.
"""

import json
import re
import sys
from pathlib import Path

from cfnlint.decode import decode
from moto.events.models import EventPattern

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
RECORDS = ROOT / "tests" / "fixtures" / "dynamodb-stream" / "records.json"

# The audit INSERTs of the fixture, by eventID: what must pass, no more.
EXPECTED = {
    "17389a5993782ebc9af1712524679231",  # workspace log: token.created (a person)
    "d3f872da20837a4f337e2a54d7582aa9",  # workspace log: token.leaked (the secret scanner)
    "6609b64d02011ba9f670b42aa8ce014b",  # workspace log: token.expiring (the hourly sweep)
    "bd499b9a61448e446fe2fc0012da6047",  # workspace log: token.revoked by its holder
    "6a46a136ab2c034754365f30aeefe596",  # user log: session.revoked by its holder
    "644b5f64a0ec7154839eeb7eb128903f",  # user log: device.approved
}

# The event's `detail` (README, "Security events on EventBridge").
DETAIL_SHAPE = {
    "id": str,
    "at": str,
    "action": str,
    "actor": {"id": str, "credential": str},
    "target": {"type": str, "id": str},
    "log": str,
    "log_key": str,
}

problems: list[str] = []


def check(ok: bool, message: str) -> None:
    if not ok:
        problems.append(message)


def the_pipe() -> dict:
    template, matches = decode(str(TEMPLATE))
    if matches:
        for m in matches:
            print(m, file=sys.stderr)
        sys.exit(1)
    pipes = [r for r in template["Resources"].values() if r.get("Type") == "AWS::Pipes::Pipe"]
    if len(pipes) != 1:
        sys.exit(f"template.yaml: expected one AWS::Pipes::Pipe, found {len(pipes)}")
    return pipes[0]["Properties"]


def is_audit_insert(record: dict) -> bool:
    """The rule the filter must implement, written independently of it."""
    image = record["dynamodb"].get("NewImage", {})
    return (
        record["eventName"] == "INSERT"
        and image.get("pk", {}).get("S", "").startswith("AUDIT#")
        and image.get("kind", {}).get("S") == "audit_event"
    )


def at_path(record: dict, path: str):
    """A JSON path of the kind Pipes takes ($.a.b.c), or KeyError."""
    node = record
    for part in path.removeprefix("$.").split("."):
        node = node[part]
    return node


def render(template: str, record: dict) -> str:
    """Pipes' input transformation: each <$.path> replaced by its value,
    unescaped (the template quotes each one)."""

    def value(m: re.Match) -> str:
        v = at_path(record, m.group(1))
        check(isinstance(v, str), f"{m.group(1)} is not a string in {record['eventID']}")
        return str(v)

    return re.sub(r"<(\$\.[^>]+)>", value, template)


def shape_of(value, shape) -> bool:
    if isinstance(shape, dict):
        return (
            isinstance(value, dict)
            and value.keys() == shape.keys()
            and all(shape_of(value[k], s) for k, s in shape.items())
        )
    return isinstance(value, shape)


def main() -> int:
    pipe = the_pipe()

    # The settings that keep a failing target from stalling the stream.
    stream = pipe["SourceParameters"]["DynamoDBStreamParameters"]
    check(stream.get("StartingPosition") == "LATEST", "StartingPosition: LATEST")
    check(1 <= int(stream.get("BatchSize", 100)) <= 10, "BatchSize at most 10 (PutEvents' limit)")
    check(0 <= int(stream.get("MaximumRetryAttempts", -1)) <= 10, "MaximumRetryAttempts bounded")
    check(
        60 <= int(stream.get("MaximumRecordAgeInSeconds", -1)) <= 3600,
        "MaximumRecordAgeInSeconds bounded (at most an hour)",
    )
    check("Arn" in stream.get("DeadLetterConfig", {}), "a dead-letter queue")
    bus = pipe["TargetParameters"]["EventBridgeEventBusParameters"]
    check(bus.get("Source") == "akua.auth", "source akua.auth")
    detail_type = bus.get("DetailType", "")
    check(detail_type == "$.dynamodb.NewImage.action.S", "detail-type: the action")

    filters = pipe["SourceParameters"]["FilterCriteria"]["Filters"]
    check(len(filters) == 1, f"one filter (filters are OR-ed), found {len(filters)}")
    pattern_text = str(filters[0]["Pattern"])
    pattern = EventPattern.load(pattern_text)

    records = json.loads(RECORDS.read_text())["Records"]
    ids = [r["eventID"] for r in records]
    check(len(ids) == len(set(ids)), "eventIDs are unique in the fixture")

    # The fixture covers what it must, so it cannot quietly shrink.
    names = {r["eventName"] for r in records}
    check(names == {"INSERT", "MODIFY", "REMOVE"}, f"INSERT, MODIFY and REMOVE records: {names}")
    check(
        any(
            r["eventName"] == "REMOVE"
            and r.get("userIdentity", {}).get("principalId") == "dynamodb.amazonaws.com"
            for r in records
        ),
        "a TTL deletion",
    )
    audit = [r for r in records if is_audit_insert(r)]
    actions = {r["dynamodb"]["NewImage"]["action"]["S"] for r in audit}
    for action in ["token.leaked", "token.expiring", "token.revoked"]:
        check(action in actions, f"an audit INSERT of {action}")
    check(
        {r["dynamodb"]["NewImage"]["log"]["S"] for r in audit} == {"workspace", "user"},
        "audit INSERTs of both logs",
    )
    check(
        {r["dynamodb"]["NewImage"]["actor_credential"]["S"] for r in audit} >= {"holder"},
        "an audit event by a credential's holder",
    )
    check(
        {r["eventID"] for r in audit} == EXPECTED,
        "the independent rule and the list of ids agree on the audit INSERTs",
    )

    passed = set()
    print(f"filter: {pattern_text}")
    for r in records:
        hit = pattern.matches_event(r)
        if hit:
            passed.add(r["eventID"])
        image = r["dynamodb"].get("NewImage", {})
        pk = r["dynamodb"]["Keys"]["pk"]["S"]
        what = image.get("action", image.get("kind", {})).get("S", "")
        ttl = " (TTL)" if "userIdentity" in r else ""
        print(f"  {'PASS' if hit else '  - '}  {r['eventName']:6} {pk[:40]:40} {what}{ttl}")

    check(
        passed == EXPECTED,
        (
            f"passed but should not: {sorted(passed - EXPECTED)}; "
            f"should pass but did not: {sorted(EXPECTED - passed)}"
        ),
    )

    # What the bus receives for each passing record.
    template = str(pipe["TargetParameters"]["InputTemplate"])
    for r in records:
        if r["eventID"] not in passed:
            continue
        try:
            detail = json.loads(render(template, r))
            check(shape_of(detail, DETAIL_SHAPE), f"detail shape of {r['eventID']}: {detail}")
            image = r["dynamodb"]["NewImage"]
            check(
                detail["id"] == image["id"]["S"] and detail["log_key"] == image["pk"]["S"],
                f"detail of {r['eventID']} is its own event's",
            )
            check(at_path(r, detail_type) == detail["action"], f"detail-type of {r['eventID']}")
        except KeyError as e:
            problems.append(f"{r['eventID']}: the input template names a path it lacks: {e}")
        except json.JSONDecodeError as e:
            problems.append(f"{r['eventID']}: the input template renders invalid JSON: {e}")

    print(
        f"{len(records)} records, {len(passed)} passed the filter "
        f"(the {len(EXPECTED)} audit INSERTs); detail rendered for each"
    )
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
