"""Lint template.yaml as written and again after expanding its SAM resources.

cfn-lint alone misses mistakes inside AWS::Serverless::* resources (a missing
reference, a wrong !GetAtt); expanding with aws-sam-translator first exposes
them. Runs offline: the template uses no managed policies that need a lookup.
"""

import json
import subprocess
import sys
import tempfile

from cfnlint.decode import decode
from samtranslator.translator.transform import transform


class NoManagedPolicies:
    """The template names no AWS managed policies, so nothing to look up."""

    def load(self):
        return {}


def main(path: str) -> int:
    subprocess.run(["cfn-lint", path], check=True)
    template, matches = decode(path)
    if matches:
        for m in matches:
            print(m, file=sys.stderr)
        return 1
    # `sam package` replaces local CodeUri paths with S3 locations; do the
    # same with a placeholder so the translator accepts the template.
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and "CodeUri" in props:
            props["CodeUri"] = "s3://placeholder-bucket/function.zip"
    expanded = transform(template, {}, NoManagedPolicies())
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
        json.dump(expanded, out, default=str)
    subprocess.run(["cfn-lint", out.name], check=True)
    check_expanded(expanded)
    print(f"{path}: clean as written and after SAM expansion; edge settings present")
    return 0


def check_expanded(t: dict) -> None:
    """What the deployed stack must have (the production-edge rules), read
    from the template CloudFormation will actually deploy."""
    resources = t["Resources"]
    by_type = {}
    for name, r in resources.items():
        by_type.setdefault(r["Type"], []).append((name, r))

    stages = by_type.get("AWS::ApiGateway::Stage", [])
    assert [r["Properties"]["StageName"] for _, r in stages] == ["prod"], (
        f"exactly one stage, prod (no stray `Stage`): {stages}"
    )
    stage = stages[0][1]["Properties"]
    settings = stage["MethodSettings"]
    assert any(
        m["ResourcePath"] == "/*" and "ThrottlingRateLimit" in m and "ThrottlingBurstLimit" in m
        for m in settings
    ), "stage-wide throttling"
    for route in ["/~1v1~1auth~1device~1code", "/~1v1~1auth~1device~1token", "/~1v1~1token_leaks"]:
        assert any(m["ResourcePath"] == route for m in settings), f"a limit on {route}"
    log = stage["AccessLogSetting"]
    fields = json.loads(log["Format"])
    for key in ["request_id", "ip", "route", "status", "latency_ms",
                "authorizer_latency_ms", "principal_id", "credential"]:
        assert key in fields, f"access log field {key}"
    assert "Authorization" not in log["Format"] and "header" not in log["Format"].lower(), (
        "no header (so no token) in the access log"
    )
    assert "TracingEnabled" in stage, "tracing switch on the stage"

    alarms = {
        r["Properties"]["MetricName"] for _, r in by_type.get("AWS::CloudWatch::Alarm", [])
    }
    assert {"Errors", "5XXError", "Throttles"} <= alarms, f"alarms: {alarms}"

    # Every function role that touches the table's items is confined to the
    # key prefixes it owns.
    for name, r in by_type.get("AWS::IAM::Role", []):
        for policy in r["Properties"].get("Policies", []):
            for st in policy["PolicyDocument"]["Statement"]:
                resource = json.dumps(st.get("Resource"))
                on_table = "Table" in resource and "index" not in resource
                item_actions = [a for a in st["Action"] if a.startswith("dynamodb:") and a.endswith("Item")]
                if on_table and item_actions:
                    keys = st.get("Condition", {}).get("ForAllValues:StringLike", {}).get(
                        "dynamodb:LeadingKeys"
                    )
                    assert keys, f"{name}: {item_actions} without a LeadingKeys condition"
                    assert "*" not in keys, f"{name}: LeadingKeys must name prefixes"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "template.yaml"))
