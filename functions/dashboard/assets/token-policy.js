// A workspace's token policy: shown to every member, changed by its
// owners (a recent sign-in, like making a token).

import { api } from "./api.js";
import { codes, el, guarded, status } from "./dom.js";
import { clearFieldErrors, errorNote, showFieldError } from "./fields.js";
import { render } from "./router.js";
import { vocabulary } from "./state.js";
import { sensitive, sensitiveActions } from "./sudo.js";

export const NETWORKS_LABEL = "Allowed networks (CIDR, comma or space separated; empty: anywhere)";

// "10.0.0.0/8, 192.168.0.0/16" (or spaces, or one a line) → the API's list.
export function networks(text) {
  return text.split(/[\s,]+/).filter(Boolean);
}

export function days(n) {
  return `${n} day${n === 1 ? "" : "s"}`;
}

// The inputs the API's errors can name (see fields.js).
const POLICY_FIELDS = {
  "token_policy.max_lifetime_days": { id: "policy-max-days", label: "Maximum lifetime" },
  "token_policy.require_expiry": { id: "policy-require-expiry", label: "Tokens must expire" },
  "token_policy.allowed_cidrs": { id: "policy-cidrs", label: "Allowed networks" },
};

sensitiveActions({
  async setTokenPolicy({ workspace, token_policy }) {
    try {
      await api("PATCH", `/workspaces/${encodeURIComponent(workspace)}`, { body: { token_policy } });
    } catch (error) {
      if (showFieldError(POLICY_FIELDS, error)) return;
      throw error;
    }
    await render();
    status("Token policy saved.");
  },
});

function policyForm(ws, policy) {
  const max = el("input", {
    id: "policy-max-days", type: "number", min: "1", max: String(vocabulary.limits.policy_max_days), step: "1", inputmode: "numeric",
    value: policy.max_lifetime_days ?? "", "aria-describedby": "policy-max-days-error",
  });
  const expire = el("input", { type: "checkbox", id: "policy-require-expiry", checked: policy.require_expiry, "aria-describedby": "policy-require-expiry-error" });
  const cidrs = el("input", {
    id: "policy-cidrs", autocomplete: "off", spellcheck: "false",
    value: policy.allowed_cidrs.join(", "), "aria-describedby": "policy-cidrs-error",
  });
  return el("form", {
    class: "inline fields",
    "aria-label": "Change the token policy",
    onsubmit: (event) => {
      event.preventDefault();
      clearFieldErrors(POLICY_FIELDS);
      const token_policy = {
        max_lifetime_days: max.value === "" ? null : Number(max.value),
        require_expiry: expire.checked,
        allowed_cidrs: networks(cidrs.value),
      };
      guarded(() => sensitive("setTokenPolicy", { workspace: ws.id, token_policy }));
    },
  },
  el("div", { class: "field" }, el("label", { for: "policy-max-days" }, "Maximum lifetime in days (empty: no limit)", max), errorNote("policy-max-days")),
  el("div", { class: "field check-field" }, el("label", { for: "policy-require-expiry", class: "check" }, expire, " Tokens must expire"), errorNote("policy-require-expiry")),
  el("div", { class: "field wide" }, el("label", { for: "policy-cidrs" }, NETWORKS_LABEL, cidrs), errorNote("policy-cidrs")),
  el("button", { type: "submit" }, "Save policy"));
}

export function policySection(ws, detail) {
  const policy = detail.token_policy;
  const limit = policy.max_lifetime_days;
  const facts = el("dl", { class: "facts", id: "policy-facts" },
    el("dt", {}, "Maximum lifetime"), el("dd", { id: "policy-shown-lifetime" }, limit === null ? "No limit" : days(limit)),
    el("dt", {}, "Tokens must expire"),
    el("dd", { id: "policy-shown-expiry" }, policy.require_expiry ? "Yes" : limit !== null ? "Yes (they have a maximum lifetime)" : "No"),
    el("dt", {}, "Allowed networks"),
    el("dd", { id: "policy-shown-networks" }, policy.allowed_cidrs.length ? codes(policy.allowed_cidrs) : "Anywhere"));
  const parts = [
    el("h2", { id: "token-policy-title" }, "Token policy"),
    el("p", {}, "Every token made or rolled in this workspace must follow it. Tokens made before keep working; the list marks those that exceed it."),
    facts,
  ];
  if (detail.role !== "owner") {
    parts.push(el("p", { class: "hint" }, "Only an owner of this workspace can change it."));
  } else {
    parts.push(policyForm(ws, policy));
  }
  return el("section", { id: "token-policy", "aria-labelledby": "token-policy-title" }, parts);
}
