// Creating a workspace: its own view, and what the workspace views show
// while the person has none.

import { api, store } from "./api.js";
import { el, guarded, heading, status } from "./dom.js";
import { render } from "./router.js";
import { homeUrl, vocabulary, WORKSPACE } from "./state.js";

function createWorkspaceForm() {
  const name = el("input", { id: "ws-name", name: "name", required: true, maxlength: String(vocabulary.limits.name_chars), autocomplete: "off" });
  return el(
    "form",
    {
      class: "inline",
      "aria-label": "Create workspace",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(async () => {
          const ws = await api("POST", "/workspaces", { body: { name: name.value } });
          store.setItem(WORKSPACE, ws.id);
          status(`Workspace ${ws.name} created.`);
          history.pushState(null, "", homeUrl());
          await render();
        });
      },
    },
    el("label", { for: "ws-name" }, "Workspace name", name),
    el("button", { type: "submit" }, "Create workspace"),
  );
}

export function noWorkspace() {
  return [
    heading("No workspace yet"),
    el("p", {}, "Create a workspace to manage its API tokens and members."),
    createWorkspaceForm(),
  ];
}

export default async function workspacesPage() {
  return [heading("Create workspace"), createWorkspaceForm()];
}
