// What the page knows: the server's configuration (its vocabulary), who is
// signed in, and their workspaces.

import { allPages, api, DASHBOARD, store } from "./api.js";
import { $, el } from "./dom.js";

export const WORKSPACE = "akua.workspace";

// The server's vocabulary (GET /dashboard/config.json), so the script
// keeps no copy of it: `pages` (the views, the first where the dashboard
// opens), `roles` (highest first), `granted_roles` (what a token or a
// member may be given, highest first), `audit_actions` (wire names) and
// `limits` (the API's input limits).
export let vocabulary = null;

// The configuration, fetched afresh: it also says where to sign in
// (`authorization_endpoint`, `client_id`), absent while sign-in is not
// available.
export async function loadConfig() {
  const response = await fetch(`${DASHBOARD}/config.json`, { cache: "no-store" });
  const config = await response.json().catch(() => null);
  if (!response.ok || !config?.vocabulary) throw new Error("The dashboard could not load its configuration. Reload the page.");
  vocabulary = config.vocabulary;
  return config;
}

// The view the dashboard opens at.
export function homeUrl() {
  return `${DASHBOARD}/${vocabulary.pages[0]}`;
}

export let workspaces = [];
export let me = null;

export function currentWorkspace() {
  const id = store.getItem(WORKSPACE);
  return workspaces.find((w) => w.id === id) ?? workspaces[0] ?? null;
}

// Who may create and revoke tokens, add members and read the audit log
// (the API's access policy; the page only hides what it would refuse).
export function canManage(ws) {
  return ws && (ws.role === "owner" || ws.role === "admin");
}

export async function loadAccount() {
  me = await api("GET", "/auth/whoami");
  workspaces = await allPages("/workspaces");
  const select = $("workspace");
  select.replaceChildren(...workspaces.map((w) => el("option", { value: w.id }, `${w.name} (${w.role})`)));
  const ws = currentWorkspace();
  if (ws) select.value = ws.id;
  select.disabled = workspaces.length === 0;
  $("who").textContent = `Signed in as ${me.user_id}`;
  $("account").hidden = false;
  $("nav").hidden = false;
}
