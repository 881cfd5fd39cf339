// The sessions view: where the person is signed in (this dashboard and
// `cnap` logins); ending one is sudo mode.

import { allPages, api } from "./api.js";
import { el, guarded, heading, status } from "./dom.js";
import { render } from "./router.js";
import { sensitive, sensitiveActions } from "./sudo.js";
import { time } from "./time.js";

sensitiveActions({
  async endOtherSessions() {
    const ended = await api("DELETE", "/auth/sessions");
    status(`${ended.revoked} other session(s) signed out.`);
    await render();
  },
  async endSession({ id }) {
    await api("DELETE", `/auth/sessions/${encodeURIComponent(id)}`);
    status("Session signed out.");
    await render();
  },
});

export default async function sessionsPage() {
  const sessions = await allPages("/auth/sessions");
  const others = el("button", { type: "button", class: "secondary", id: "end-others" }, "Sign out all other sessions");
  others.addEventListener("click", () => guarded(() => sensitive("endOtherSessions", {})));
  const rows = sessions.map((s) => {
    const end = s.current
      ? el("span", {}, "This browser")
      : el("button", { type: "button", class: "danger", "aria-label": `Sign out session ${s.id}` }, "Sign out");
    if (!s.current) {
      end.addEventListener("click", () => guarded(() => sensitive("endSession", { id: s.id })));
    }
    return el("tr", {}, el("td", {}, el("code", {}, s.id)), el("td", {}, s.client), el("td", {}, time(s.created_at)),
      el("td", {}, time(s.last_used_at)), el("td", {}, time(s.expires_at)),
      el("td", {}, time(s.absolute_expires_at, "while used")), el("td", {}, end));
  });
  return [
    heading("Your sessions"),
    el("p", {}, "Where you are signed in: this dashboard and `cnap` logins."),
    others,
    el("table", { id: "sessions" },
      el("thead", {}, el("tr", {}, ["Session", "Client", "Started", "Last used", "Expires", "Ends at the latest", ""].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows)),
  ];
}
