// The device view: approving or denying a `cnap auth login` (RFC 8628) by
// its user code; either answer is sudo mode.

import { api } from "./api.js";
import { $, el, guarded, heading } from "./dom.js";
import { me } from "./state.js";
import { sensitive, sensitiveActions } from "./sudo.js";
import { time } from "./time.js";

sensitiveActions({
  async answerDevice({ user_code, approve }) {
    await api("POST", `/auth/device/${approve ? "approve" : "deny"}`, { body: { user_code } });
    $("view").replaceChildren(heading(approve ? "Login approved" : "Login denied"),
      el("p", { id: "device-result" }, approve ? "Approved. You can return to your terminal." : "Denied. The terminal's login will stop."));
  },
});

// Who asks, from where and when (RFC 8628 §5.4): a login someone else
// started (a phishing link carries its code) shows another address,
// program or time than the person's own `cnap auth login`.
async function describe(asking, value) {
  if (!value) return asking.replaceChildren();
  try {
    const login = await api("GET", `/auth/device/pending?user_code=${encodeURIComponent(value)}`);
    asking.replaceChildren(el("dl", { class: "facts" },
      el("dt", {}, "Requested"), el("dd", { id: "device-requested" }, time(login.requested_at)),
      el("dt", {}, "From address"), el("dd", { id: "device-ip" }, login.ip_address ?? "unknown"),
      el("dt", {}, "Program"), el("dd", { id: "device-agent" }, login.user_agent ?? login.client_id),
      el("dt", {}, "Client"), el("dd", {}, login.client_id),
      el("dt", {}, "Code valid until"), el("dd", {}, time(login.expires_at))));
  } catch (error) {
    asking.replaceChildren(el("p", { class: "error" }, error.message));
  }
}

export default async function devicePage() {
  const code = new URLSearchParams(location.search).get("user_code") ?? "";
  const input = el("input", { id: "user-code", value: code, required: true, autocomplete: "off", placeholder: "XXXX-XXXX" });
  const answer = (approve) => guarded(() => sensitive("answerDevice", { user_code: input.value, approve }));
  const asking = el("div", { id: "device-client", "aria-live": "polite" });
  input.addEventListener("change", () => describe(asking, input.value.trim()));
  await describe(asking, code);
  // Approving needs the person to say the login is theirs, also when the
  // code came filled in from a link.
  const approve = el("button", { type: "submit", id: "approve", disabled: true }, "Approve");
  const confirm = el("input", { type: "checkbox", id: "device-confirm" });
  confirm.addEventListener("change", () => { approve.disabled = !confirm.checked; });
  const deny = el("button", { type: "button", id: "deny", class: "secondary" }, "Deny");
  deny.addEventListener("click", () => answer(false));
  return [
    heading("Approve a cnap login"),
    el("p", {}, `Signed in as ${me.user_id}. Check that this code matches the one your terminal shows. Approving gives that terminal a session as you.`),
    asking,
    el("form", { "aria-label": "Device login", onsubmit: (event) => { event.preventDefault(); if (confirm.checked) answer(true); } },
      el("p", { class: "inline" }, el("label", { for: "user-code" }, "Code", input)),
      el("p", {}, el("label", { for: "device-confirm", class: "check" }, confirm,
        " Did you just run ", el("code", {}, "cnap auth login"), " on this computer? Yes, this login is mine.")),
      el("p", { class: "inline" }, approve, deny)),
  ];
}
