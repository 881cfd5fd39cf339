// The members view: who belongs to the workspace; managers add and remove
// members, owners change roles (raising one is sudo mode).

import { allPages, api } from "./api.js";
import { confirmDialog, el, guarded, heading, status } from "./dom.js";
import { noWorkspace } from "./page-workspaces.js";
import { render } from "./router.js";
import { canManage, currentWorkspace, me, vocabulary } from "./state.js";
import { sensitive, sensitiveActions } from "./sudo.js";
import { time } from "./time.js";

sensitiveActions({
  async addMember({ workspace, body }) {
    await api("POST", `/workspaces/${encodeURIComponent(workspace)}/members`, { body });
    status(`${body.user_id} added.`);
    await render();
  },
  async changeRole({ workspace, user, role }) {
    await api("PATCH", `/workspaces/${encodeURIComponent(workspace)}/members/${encodeURIComponent(user)}`, { body: { role } });
    status(`${user} is now ${role}.`);
    await render();
  },
});

// The roles a member may be given, lowest first: the first is the default.
function roleOptions() {
  return [...vocabulary.granted_roles].reverse().map((r) => el("option", { value: r }, r));
}

function addForm(ws) {
  const user = el("input", { id: "member-id", required: true, maxlength: String(vocabulary.limits.user_id_bytes), autocomplete: "off" });
  const role = el("select", { id: "member-role" }, roleOptions());
  return el("form", {
    class: "inline",
    "aria-label": "Add a member",
    onsubmit: (event) => {
      event.preventDefault();
      guarded(() => sensitive("addMember", { workspace: ws.id, body: { user_id: user.value, role: role.value } }));
    },
  },
  el("label", { for: "member-id" }, "User id", user),
  el("label", { for: "member-role" }, "Role", role),
  el("button", { type: "submit" }, "Add member"));
}

function actions(m, ws) {
  const cell = el("td", {});
  if (ws.role === "owner" && m.role !== "owner") {
    const change = el("select", { "aria-label": `Role of ${m.user_id}` }, roleOptions());
    change.value = m.role;
    change.addEventListener("change", () => guarded(() => sensitive("changeRole", { workspace: ws.id, user: m.user_id, role: change.value })));
    cell.append(change, " ");
  }
  if (m.user_id !== me.user_id && (ws.role === "owner" || m.role === "member")) {
    const remove = el("button", { type: "button", class: "danger", "aria-label": `Remove ${m.user_id}` }, "Remove");
    remove.addEventListener("click", () => guarded(async () => {
      if (!(await confirmDialog(`Remove ${m.user_id} from ${ws.name}?`, "Remove"))) return;
      await api("DELETE", `/workspaces/${encodeURIComponent(ws.id)}/members/${encodeURIComponent(m.user_id)}`);
      status(`${m.user_id} removed.`);
      await render();
    }));
    cell.append(remove);
  }
  return cell;
}

export default async function membersPage() {
  const ws = currentWorkspace();
  if (!ws) return noWorkspace();
  const members = await allPages(`/workspaces/${encodeURIComponent(ws.id)}/members`);
  const parts = [heading(`Members · ${ws.name}`)];
  const manage = canManage(ws);
  if (manage) parts.push(addForm(ws));
  const rows = members.map((m) => {
    const cells = [el("td", {}, m.user_id), el("td", {}, m.role), el("td", {}, time(m.joined_at))];
    if (manage) cells.push(actions(m, ws));
    return el("tr", {}, cells);
  });
  const head = ["User", "Role", "Joined"];
  if (manage) head.push("Actions");
  parts.push(el("table", { id: "members" },
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows)));
  return parts;
}
