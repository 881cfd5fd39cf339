// The audit log view: the workspace's events, newest first, filtered by
// action (the server's list of them), read by its managers.

import { api, DASHBOARD } from "./api.js";
import { el, guarded, heading } from "./dom.js";
import { noWorkspace } from "./page-workspaces.js";
import { render } from "./router.js";
import { canManage, currentWorkspace, vocabulary } from "./state.js";
import { time } from "./time.js";

function actionFilter(action) {
  const filter = el("select", { id: "audit-action" },
    el("option", { value: "" }, "All actions"),
    vocabulary.audit_actions.map((a) => el("option", { value: a }, a)));
  filter.value = action;
  filter.addEventListener("change", () => {
    history.pushState(null, "", filter.value ? `${DASHBOARD}/audit?action=${encodeURIComponent(filter.value)}` : `${DASHBOARD}/audit`);
    render();
  });
  return filter;
}

export default async function auditPage() {
  const ws = currentWorkspace();
  if (!ws) return noWorkspace();
  if (!canManage(ws)) {
    return [heading(`Audit log · ${ws.name}`), el("p", {}, "Reading the audit log needs the owner or admin role.")];
  }
  const action = new URLSearchParams(location.search).get("action") ?? "";
  const body = el("tbody", {});
  const more = el("button", { type: "button", class: "secondary", id: "audit-more", hidden: true }, "Load older events");
  let cursor = null;
  const load = async () => {
    const query = new URLSearchParams({ limit: "50" });
    if (action) query.set("action", action);
    if (cursor) query.set("cursor", cursor);
    const page = await api("GET", `/workspaces/${encodeURIComponent(ws.id)}/audit_log?${query}`);
    for (const e of page.data) {
      body.append(el("tr", {},
        el("td", {}, time(e.at)),
        el("td", {}, el("code", {}, e.action)),
        el("td", {}, `${e.actor.id} (${e.actor.credential})`),
        el("td", {}, `${e.target.type} ${e.target.id}`),
        el("td", {}, e.source_ip ?? "—"),
        el("td", {}, e.detail ?? "")));
    }
    cursor = page.next_cursor;
    more.hidden = !page.has_more;
  };
  more.addEventListener("click", () => guarded(load));
  await load();
  return [
    heading(`Audit log · ${ws.name}`),
    el("p", {}, "Every change to this workspace's tokens and members, newest first, with who made it and from where."),
    el("label", { for: "audit-action" }, "Action "), actionFilter(action),
    el("table", { id: "audit" },
      el("thead", {}, el("tr", {}, ["When", "Action", "Actor", "Target", "From", "Detail"].map((h) => el("th", { scope: "col" }, h)))),
      body),
    more,
  ];
}
