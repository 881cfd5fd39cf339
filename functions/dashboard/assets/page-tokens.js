// The API tokens view: the workspace's tokens, the form to make one and
// the token policy (managers see the controls, members only the list).

import { allPages, api } from "./api.js";
import { codes, confirmDialog, el, guarded, heading, status } from "./dom.js";
import { noWorkspace } from "./page-workspaces.js";
import { render } from "./router.js";
import { canManage, currentWorkspace } from "./state.js";
import { time } from "./time.js";
import { tokenForm } from "./token-form.js";
import { policySection } from "./token-policy.js";

function revokeButton(t, ws) {
  const revoke = el("button", { type: "button", class: "danger", "aria-label": `Revoke ${t.name}` }, "Revoke");
  revoke.addEventListener("click", () => guarded(async () => {
    if (!(await confirmDialog(`Revoke the token “${t.name}” (${t.prefix}…)? Every request with it will fail at once.`, "Revoke"))) return;
    await api("DELETE", `/api_tokens/${encodeURIComponent(t.id)}`, { workspace: ws.id });
    status(`Token ${t.name} revoked.`);
    await render();
  }));
  return revoke;
}

function tokensTable(tokens, ws, manage) {
  const head = ["Name", "Prefix", "Role", "Permissions", "Allowed from", "Created by", "Created", "Last used", "Expires"];
  if (manage) head.push("Actions");
  const rows = tokens.map((t) => {
    const cells = [
      el("td", {}, t.name, t.kind === "multi_workspace" ? " (multi-workspace)" : "",
        t.exceeds_policy ? [" ", el("span", { class: "badge" }, "Exceeds policy")] : null),
      el("td", {}, el("code", {}, `${t.prefix}…`)),
      el("td", {}, t.role),
      el("td", { class: "permissions" }, t.permissions ? codes(t.permissions) : "All (role)"),
      el("td", { class: "allowed-from" }, t.allowed_cidrs?.length ? codes(t.allowed_cidrs) : "Anywhere"),
      el("td", {}, t.created_by ? t.created_by.id : "—"),
      el("td", {}, time(t.created_at)),
      el("td", { class: "last-used" }, time(t.last_used_at)),
      el("td", {}, time(t.expires_at)),
    ];
    if (manage) cells.push(el("td", {}, revokeButton(t, ws)));
    return el("tr", { "data-token-id": t.id, class: t.exceeds_policy ? "exceeds" : null }, cells);
  });
  return el("table", { id: "tokens" },
    el("caption", { class: "skip" }, "API tokens"),
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows));
}

export default async function tokensPage() {
  const ws = currentWorkspace();
  if (!ws) return noWorkspace();
  const manage = canManage(ws);
  const [tokens, detail, catalog] = await Promise.all([
    allPages("/api_tokens", ws.id),
    api("GET", `/workspaces/${encodeURIComponent(ws.id)}`),
    manage ? api("GET", "/permissions").then((r) => r.data) : [],
  ]);
  const parts = [heading(`API tokens · ${ws.name}`)];
  parts.push(
    el("p", {}, manage
      ? "Tokens act in this workspace with the role they are given, narrowed to the permissions and networks you choose. Revoking one makes its next request fail."
      : "You can see this workspace's tokens. Creating and revoking them needs the owner or admin role."),
  );
  if (manage) parts.push(el("h2", {}, "Create a token"), tokenForm(ws, catalog, detail.token_policy));
  parts.push(el("h2", {}, "Tokens"));
  if (tokens.length === 0) {
    parts.push(el("p", { class: "empty" }, "No API tokens yet."));
  } else {
    const exceeding = tokens.filter((t) => t.exceeds_policy).length;
    if (exceeding) {
      parts.push(el("p", { class: "warn", id: "tokens-exceeding" },
        `${exceeding === 1 ? "One token exceeds" : `${exceeding} tokens exceed`} the token policy: made before it, ${exceeding === 1 ? "it keeps" : "they keep"} working until revoked or expired. Replace ${exceeding === 1 ? "it" : "them"} with tokens that follow it.`));
    }
    parts.push(tokensTable(tokens, ws, manage));
  }
  parts.push(policySection(ws, detail));
  return parts;
}
