"""A workspace API token's life through a client generated from the served
OpenAPI document (openapi-python-client, package `akua_client`): a person
creates a workspace and a token for it; the token lists the workspace's
tokens and revokes itself; the revoked token is refused with 401.

Usage: client_walkthrough.py BASE_URL PERSON_JWT
Any other answer than the expected one fails with the answer shown.
"""

import sys

from akua_client import AuthenticatedClient
from akua_client.api.api_tokens import api_tokens_create, api_tokens_list, api_tokens_revoke
from akua_client.api.workspaces import workspaces_create
from akua_client.models import (
    ApiTokenList,
    CreateApiTokenRequest,
    CreatedApiToken,
    CreateWorkspaceRequest,
    ErrorBody,
    WorkspaceView,
)


def expect(step, response, status, model):
    """The parsed body of `response`, which must be `status` with a `model`."""
    parsed = response.parsed
    if response.status_code != status or (model is not None and not isinstance(parsed, model)):
        sys.exit(
            f"{step}: expected {status} {model.__name__ if model else ''}, got "
            f"{response.status_code.value} {response.content.decode(errors='replace')}"
        )
    print(f"ok  {step}: {status}")
    return parsed


def main():
    base, jwt = sys.argv[1:]
    person = AuthenticatedClient(base_url=base, token=jwt, raise_on_unexpected_status=True)

    workspace = expect(
        "create a workspace (person)",
        workspaces_create.sync_detailed(client=person, body=CreateWorkspaceRequest(name="walkthrough")),
        201,
        WorkspaceView,
    )
    created = expect(
        "create an API token (person, Akua-Context)",
        api_tokens_create.sync_detailed(
            client=person, body=CreateApiTokenRequest(name="ci"), akua_context=workspace.id
        ),
        201,
        CreatedApiToken,
    )
    if not created.token.startswith("sk_akua_") or created.workspace_id != workspace.id:
        sys.exit(f"unexpected token: {created.to_dict()}")

    token = AuthenticatedClient(base_url=base, token=created.token, raise_on_unexpected_status=True)
    page = expect("list tokens (the token)", api_tokens_list.sync_detailed(client=token, limit=10), 200, ApiTokenList)
    if created.id not in [t.id for t in page.data] or page.has_more:
        sys.exit(f"the new token is not listed: {page.to_dict()}")

    expect("revoke the token (itself)", api_tokens_revoke.sync_detailed(created.id, client=token), 204, None)

    refused = expect("list tokens again (revoked)", api_tokens_list.sync_detailed(client=token), 401, ErrorBody)
    if refused.error.code != "unauthorized":
        sys.exit(f"unexpected error: {refused.to_dict()}")
    print("client walkthrough passed")


if __name__ == "__main__":
    main()
