// Making an API token: the form, the action (a recent sign-in, sudo
// mode), and its secret, shown once.

import { api } from "./api.js";
import { $, codes, el, guarded, status } from "./dom.js";
import { clearFieldErrors, errorNote, showFieldError } from "./fields.js";
import { render } from "./router.js";
import { vocabulary } from "./state.js";
import { sensitive, sensitiveActions } from "./sudo.js";
import { days, networks, NETWORKS_LABEL } from "./token-policy.js";

// The inputs the API's errors can name (see fields.js).
const TOKEN_FIELDS = {
  name: { id: "token-name", label: "Name" },
  expires_at: { id: "token-expiry", label: "Expires" },
  role: { id: "token-role", label: "Role" },
  permissions: { id: "token-permissions", label: "Permissions" },
  allowed_cidrs: { id: "token-cidrs", label: "Allowed networks" },
};

function secretPanel(created) {
  const copy = el("button", { type: "button", class: "secondary", id: "copy-secret" }, "Copy");
  copy.addEventListener("click", async () => {
    await navigator.clipboard.writeText(created.token).catch(() => {});
    status("Token copied to the clipboard.");
  });
  const done = el("button", { type: "button", id: "secret-done" }, "Done");
  const panel = el(
    "div",
    { class: "secret", id: "new-secret", role: "region", "aria-label": "New API token" },
    el("p", {}, el("strong", {}, `Token “${created.name}” created. Copy it now: it will not be shown again.`)),
    el("code", { id: "secret-value" }, created.token),
    el("div", { class: "actions" }, copy, done),
  );
  done.addEventListener("click", () => {
    panel.remove();
    render();
  });
  return panel;
}

sensitiveActions({
  async createToken({ workspace, body }) {
    let created;
    try {
      created = await api("POST", "/api_tokens", { workspace, body });
    } catch (error) {
      if (showFieldError(TOKEN_FIELDS, error)) return;
      throw error;
    }
    clearFieldErrors(TOKEN_FIELDS);
    $("view").prepend(secretPanel(created));
    $("secret-value").focus?.();
    status(`Token ${created.name} created.`);
  },
});

function expiryFrom(choice, date) {
  const now = Math.floor(Date.now() / 1000);
  if (choice === "30") return now + 30 * 86400;
  if (choice === "90") return now + 90 * 86400;
  if (choice === "date") return Math.floor(new Date(`${date}T23:59:59Z`).getTime() / 1000);
  return null;
}

// One checkbox per permission of the catalog, the service's and the
// platform's apart. None checked (the default): `permissions` is left
// out, and the token may do everything its role allows.
function permissionsFieldset(catalog) {
  const summary = el("p", { id: "token-permissions-summary", class: "hint", "aria-live": "polite" });
  const boxes = [];
  const group = (owner, legend) => {
    const entries = catalog.filter((p) => p.owner === owner);
    if (entries.length === 0) return null;
    return el("fieldset", {}, el("legend", {}, legend),
      el("ul", { class: "checks" }, entries.map((p) => {
        const box = el("input", { type: "checkbox", name: "permission", value: p.name });
        boxes.push(box);
        return el("li", {}, el("label", { class: "check" }, box, " ", el("code", {}, p.name), " ", el("span", { class: "hint" }, p.description)));
      })));
  };
  const fieldset = el("fieldset", { id: "token-permissions", class: "wide", "aria-describedby": "token-permissions-summary token-permissions-error" },
    el("legend", {}, "Permissions"),
    summary,
    errorNote("token-permissions"),
    group("service", "This service's"),
    group("platform", "Your platform's"));
  const describe = () => {
    const held = boxes.filter((b) => b.checked).map((b) => b.value);
    summary.textContent = held.length === 0
      ? "All the role allows (check permissions to allow only those)."
      : `Only ${held.join(", ")}, within what the role allows.`;
  };
  fieldset.addEventListener("change", describe);
  describe();
  return { fieldset, checked: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

export function tokenForm(ws, catalog, policy) {
  const limit = policy.max_lifetime_days;
  const name = el("input", { id: "token-name", required: true, maxlength: String(vocabulary.limits.name_chars), autocomplete: "off", "aria-describedby": "token-name-error" });
  const expiryHint = limit !== null
    ? `The token policy: at most ${days(limit)}.`
    : policy.require_expiry ? "The token policy: tokens must expire." : null;
  const expiry = el("select", { id: "token-expiry", "aria-describedby": expiryHint ? "token-expiry-hint token-expiry-error" : "token-expiry-error" },
    el("option", { value: "never" }, "Never"),
    el("option", { value: "30" }, "30 days"),
    el("option", { value: "90" }, "90 days"),
    el("option", { value: "date" }, "On a date"));
  const date = el("input", { id: "token-date", type: "date", disabled: true });
  const dateNeeded = () => { date.disabled = expiry.value !== "date"; date.required = expiry.value === "date"; };
  expiry.addEventListener("change", dateNeeded);
  // Under a policy, the first choice it admits.
  if (limit !== null || policy.require_expiry) expiry.value = limit === null || limit >= 30 ? "30" : "date";
  dateNeeded();
  // Highest first: a new token gets the highest role it can be given
  // unless another is chosen.
  const role = el("select", { id: "token-role", "aria-describedby": "token-role-error" },
    vocabulary.granted_roles.map((r) => el("option", { value: r }, r)));
  const permissions = permissionsFieldset(catalog);
  const cidrs = el("input", { id: "token-cidrs", autocomplete: "off", spellcheck: "false", "aria-describedby": "token-cidrs-hint token-cidrs-error" });
  const cidrsHint = policy.allowed_cidrs.length
    ? ["Empty: the token policy's networks (", ...codes(policy.allowed_cidrs), "); any you list must lie within them."]
    : ["For example ", el("code", {}, "10.0.0.0/8, 2001:db8::/32"), "."];
  return el(
    "form",
    {
      class: "inline fields",
      "aria-label": "Create a token",
      onsubmit: (event) => {
        event.preventDefault();
        clearFieldErrors(TOKEN_FIELDS);
        const body = { name: name.value, role: role.value, expires_at: expiryFrom(expiry.value, date.value) };
        const held = permissions.checked();
        if (held.length) body.permissions = held;
        const allowed = networks(cidrs.value);
        if (allowed.length) body.allowed_cidrs = allowed;
        guarded(() => sensitive("createToken", { workspace: ws.id, body }));
      },
    },
    el("div", { class: "field" }, el("label", { for: "token-name" }, "Name", name), errorNote("token-name")),
    el("div", { class: "field" }, el("label", { for: "token-expiry" }, "Expires", expiry),
      expiryHint ? el("p", { id: "token-expiry-hint", class: "hint" }, expiryHint) : null, errorNote("token-expiry")),
    el("div", { class: "field" }, el("label", { for: "token-date" }, "Date", date)),
    el("div", { class: "field" }, el("label", { for: "token-role" }, "Role", role), errorNote("token-role")),
    permissions.fieldset,
    el("div", { class: "field wide" }, el("label", { for: "token-cidrs" }, NETWORKS_LABEL, cidrs),
      el("p", { id: "token-cidrs-hint", class: "hint" }, cidrsHint), errorNote("token-cidrs")),
    el("button", { type: "submit" }, "Create token"),
  );
}
