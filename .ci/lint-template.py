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
    # Expanded once per API type the stack offers (ApiType): each must be
    # clean and carry the edge settings.
    for api_type in ["REST", "HTTP"]:
        expanded = transform(json.loads(json.dumps(template, default=str)), {"ApiType": api_type}, NoManagedPolicies())
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
            json.dump(expanded, out, default=str)
        subprocess.run(["cfn-lint", out.name], check=True)
        check_expanded(expanded)
        check_http_api(expanded)
        print(f"{path} (ApiType={api_type}): clean after SAM expansion; edge settings present")
    print(f"{path}: clean as written")
    return 0


def branches(value):
    """Every value an `Fn::If` may take (the value itself otherwise)."""
    if isinstance(value, dict) and "Fn::If" in value:
        _, yes, no = value["Fn::If"]
        return branches(yes) + branches(no)
    return [value]


def check_http_api(t: dict) -> None:
    """ApiType=HTTP's edge: the same throttling, a tighter limit on each
    public route, an access log without headers, a caching-free authorizer
    with simple responses."""
    resources = t["Resources"]
    stage = resources["HttpApiStage"]["Properties"]
    assert stage["StageName"] == "$default" and stage["AutoDeploy"] is True
    default = stage["DefaultRouteSettings"]
    assert "ThrottlingRateLimit" in default and "ThrottlingBurstLimit" in default, "stage-wide throttling"
    for route in ["POST /v1/auth/device/code", "POST /v1/auth/device/token", "POST /v1/token_leaks"]:
        assert route in stage["RouteSettings"], f"a limit on {route}"
    log = stage["AccessLogSettings"]["Format"]
    fields = json.loads(log)
    for key in ["request_id", "ip", "route", "status", "latency_ms", "authorizer_latency_ms", "credential"]:
        assert key in fields, f"HTTP API access log field {key}"
    assert "header" not in log.lower(), "no header (so no token) in the HTTP API's access log"
    auth = resources["HttpApiAuthorizer"]["Properties"]
    assert auth["AuthorizerResultTtlInSeconds"] == 0 and auth["EnableSimpleResponses"] is True
    routes = [r for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Route"]
    public = sorted(r["Properties"]["RouteKey"] for r in routes if r["Properties"]["AuthorizationType"] == "NONE")
    assert all(k.startswith(("POST /v1/", "GET /v1/openapi.json", "GET /dashboard", "POST /dashboard")) for k in public), public


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
        name
        for _, r in by_type.get("AWS::CloudWatch::Alarm", [])
        for name in branches(r["Properties"]["MetricName"])
    }
    assert {"Errors", "5XXError", "5xx", "Throttles"} <= alarms, f"alarms: {alarms}"

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
