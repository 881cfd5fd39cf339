// The Akua dashboard: plain ES modules, no framework and no build step.
// Every request goes to this origin (the page's Content Security Policy
// allows nothing else): the API under /v1, and /dashboard/token, which
// exchanges the sign-in code with the identity provider server-side.
// The dashboard session's token lives in sessionStorage only.

const SESSION = "akua.session";
const WORKSPACE = "akua.workspace";
const SIGN_IN = "akua.signin";
const RETURN_TO = "akua.return";

const $ = (id) => document.getElementById(id);
const store = window.sessionStorage;

// Where the stack serves this page from: "" at a domain's root (a custom
// domain, akua-local), "/prod" under the execute-api URL's stage. The
// server writes it into the page; every URL below is built on it.
const BASE = document.querySelector('meta[name="akua-base"]')?.content ?? "";
const DASHBOARD = `${BASE}/dashboard`;

// ---- small helpers -------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function base64url(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function randomString() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

function exact(secs) {
  return new Date(secs * 1000).toISOString().replace(".000Z", "Z");
}

function relative(secs) {
  const diff = Math.round(secs - Date.now() / 1000);
  const units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60]];
  const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  for (const [unit, size] of units) {
    if (Math.abs(diff) >= size) return format.format(Math.round(diff / size), unit);
  }
  return format.format(diff, "second");
}

function time(secs, absent = "never") {
  if (secs === null || secs === undefined) return absent;
  return el("time", { datetime: exact(secs), title: exact(secs) }, relative(secs));
}

function status(text) {
  $("status").textContent = text;
}

function showError(message) {
  const alert = $("alert");
  alert.textContent = message;
  alert.hidden = !message;
}

class ApiError extends Error {
  constructor(status, code, message, maxAge = null, field = null) {
    super(message);
    this.status = status;
    this.code = code;
    // Sudo mode's window, from the RFC 9470 challenge.
    this.maxAge = maxAge;
    // The request's field a `validation_error` names.
    this.field = field;
  }
}

// The request field an error is about: the one a `validation_error`
// names, the permissions for `insufficient_permission` (a grant beyond
// the maker's own), the networks for a 403 naming them (an allow list
// wider than the maker's).
function fieldOf(error) {
  if (!(error instanceof ApiError)) return null;
  if (error.field) return error.field;
  if (error.code === "insufficient_permission") return "permissions";
  if (error.status === 403 && /^allowed_cidrs:/.test(error.message)) return "allowed_cidrs";
  return null;
}

// A form's inputs that can be named by an error, as the API's field name →
// {id, label}: each input says so with `aria-invalid` (a group, with its
// description) and `{id}-error` beside it holds the message.
function clearFieldErrors(fields) {
  for (const { id } of Object.values(fields)) {
    $(id)?.removeAttribute("aria-invalid");
    const note = $(`${id}-error`);
    if (note) note.textContent = "";
  }
}

// Shows `error` beside the input it names and moves there; false when it
// names none of `fields` (the caller shows it in the page's alert).
function showFieldError(fields, error) {
  const target = fields[fieldOf(error)];
  const input = target && $(target.id);
  const note = target && $(`${target.id}-error`);
  if (!input || !note) return false;
  clearFieldErrors(fields);
  note.textContent = error.message;
  if (input.matches("input, select")) input.setAttribute("aria-invalid", "true");
  showError(`Not done: see ${target.label}.`);
  (input.matches("fieldset") ? input.querySelector("input") : input)?.focus();
  return true;
}

function errorNote(id) {
  return el("p", { id: `${id}-error`, class: "field-error" });
}

// ---- the API ---------------------------------------------------------------

async function api(method, path, { body, workspace, bearer } = {}) {
  const headers = { authorization: `Bearer ${bearer ?? store.getItem(SESSION)}` };
  if (workspace) headers["akua-context"] = workspace;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${BASE}/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data?.error ?? {};
    // A stale sign-in is not a lost session: the session stays, and the
    // action asks the person to sign in again (sudo mode).
    // `max_age` is in the body too: API Gateway renames a backend's
    // WWW-Authenticate header.
    if (response.status === 401 && error.code === "reauthentication_required") {
      const header = /max_age=(\d+)/.exec(response.headers.get("www-authenticate") ?? "")?.[1];
      const maxAge = Number.isInteger(error.max_age) ? error.max_age : header ? Number(header) : null;
      throw new ApiError(401, error.code, error.message, maxAge);
    }
    if (response.status === 401 && !bearer) {
      store.removeItem(SESSION);
      render();
    }
    throw new ApiError(response.status, error.code ?? "error", error.message ?? `The API answered ${response.status}.`, null, error.field ?? null);
  }
  return data;
}

async function allPages(path, workspace) {
  const rows = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await api("GET", `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { workspace });
    rows.push(...page.data);
    cursor = page.has_more ? page.next_cursor : null;
  } while (cursor);
  return rows;
}

// ---- sign-in (OpenID Connect, authorization code with PKCE S256) ----------

async function sha256(text) {
  return base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

// `maxAge`: sign in again for sudo mode (OIDC `max_age`), to renew this
// tab's session rather than start another, then run `retry` (a named
// SENSITIVE action) once. Both live only in this sign-in's record, so a
// sign-in that fails, is cancelled or starts a new session runs nothing.
async function startSignIn({ maxAge = null, retry = null } = {}) {
  const config = await (await fetch(`${DASHBOARD}/config.json`, { cache: "no-store" })).json();
  const verifier = randomString();
  const challenge = await sha256(verifier);
  const state = randomString();
  // The request carries the SHA-256 of a secret only this tab holds; the
  // API is sent the secret with the ID token, so a copied ID token alone
  // proves nothing.
  const secret = randomString();
  const nonce = await sha256(secret);
  const redirectUri = `${location.origin}${DASHBOARD}/callback`;
  const reauth = maxAge !== null;
  store.setItem(SIGN_IN, JSON.stringify({ verifier, state, secret, nonce, redirectUri, reauth, retry }));
  const url = new URL(config.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: config.client_id,
    redirect_uri: redirectUri,
    scope: "openid",
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
    // The sign-in's time in the ID token (sudo mode), also where the
    // provider would put it there only for `max_age`.
    claims: JSON.stringify({ id_token: { auth_time: { essential: true } } }),
    ...(reauth ? { max_age: String(maxAge), prompt: "login", ...(me ? { login_hint: me.user_id } : {}) } : {}),
  }).toString();
  location.assign(url.toString());
}

function claims(jwt) {
  const payload = jwt.split(".")[1] ?? "";
  const json = atob(payload.replaceAll("-", "+").replaceAll("_", "/"));
  return JSON.parse(json);
}

async function finishSignIn() {
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(store.getItem(SIGN_IN) ?? "null");
  store.removeItem(SIGN_IN);
  if (params.get("error")) throw new Error(`Sign-in failed: ${params.get("error_description") ?? params.get("error")}.`);
  if (!pending || params.get("state") !== pending.state) throw new Error("Sign-in failed: the answer does not belong to this browser tab. Sign in again.");
  const response = await fetch(`${DASHBOARD}/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: params.get("code"), code_verifier: pending.verifier, redirect_uri: pending.redirectUri }),
  });
  const tokens = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(tokens?.error?.message ?? "Sign-in failed at the identity provider.");
  if (claims(tokens.id_token).nonce !== pending.nonce) throw new Error("Sign-in failed: the identity token does not match this sign-in.");
  const current = store.getItem(SESSION);
  // The ID token and the nonce's secret: this sign-in's time, for sudo
  // mode, where the identity provider leaves auth_time out of the access
  // token.
  const oidc = { id_token: tokens.id_token, nonce: pending.secret };
  // Signing in again renews this tab's session (no second one). Only as
  // the same person: anyone else, or a session ended meanwhile, starts over
  // at the sign-in page, and the action waiting for it is dropped.
  if (pending.reauth && current) {
    await api("POST", "/auth/session/reauthenticate", {
      bearer: tokens.access_token,
      body: { session_token: current, oidc },
    }).catch((error) => {
      if (error.status !== 404) throw error;
      store.removeItem(SESSION);
      throw new Error("Signing in again must be as the same person, while this tab's session lasts. Sign in to start a new session.");
    });
  } else {
    const session = await api("POST", "/auth/sessions", { bearer: tokens.access_token, body: { oidc } });
    store.setItem(SESSION, session.token);
  }
  const target = store.getItem(RETURN_TO) ?? `${DASHBOARD}/tokens`;
  store.removeItem(RETURN_TO);
  history.replaceState(null, "", target);
  // The action that asked for this sign-in: only after renewing the same
  // session.
  return pending.reauth && current ? pending.retry : null;
}

// ---- state -----------------------------------------------------------------

let workspaces = [];
let me = null;

function currentWorkspace() {
  const id = store.getItem(WORKSPACE);
  return workspaces.find((w) => w.id === id) ?? workspaces[0] ?? null;
}

function canManage(ws) {
  return ws && (ws.role === "owner" || ws.role === "admin");
}

async function loadAccount() {
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

function confirmDialog(text, action) {
  const dialog = $("confirm");
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = action;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

async function guarded(work) {
  showError("");
  try {
    await work();
  } catch (error) {
    showError(error.message);
  }
}

// ---- sudo mode ---------------------------------------------------------------
//
// Actions that hand out lasting access need a recent sign-in. When the API
// answers `reauthentication_required`, the person is asked to sign in
// again; the page comes back to where it was and runs the action once
// more with the same input. Each is named, so it survives the redirect.

const SENSITIVE = {
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
  async answerDevice({ user_code, approve }) {
    await api("POST", `/auth/device/${approve ? "approve" : "deny"}`, { body: { user_code } });
    $("view").replaceChildren(heading(approve ? "Login approved" : "Login denied"),
      el("p", { id: "device-result" }, approve ? "Approved. You can return to your terminal." : "Denied. The terminal's login will stop."));
  },
};

async function sensitive(name, args) {
  try {
    await SENSITIVE[name](args);
  } catch (error) {
    if (error.code !== "reauthentication_required") throw error;
    const again = await confirmDialog("For your security, this needs a recent sign-in. Sign in again, and it will be done right after.", "Sign in again");
    if (!again) throw new Error("Not done: it needs a recent sign-in.");
    store.setItem(RETURN_TO, location.pathname + location.search);
    await startSignIn({ maxAge: error.maxAge ?? 0, retry: { name, args } });
  }
}

// After signing in again: the action that asked for it, once. A second
// refusal is shown, not retried.
async function retryAfterSignIn(retry) {
  if (!retry || !Object.hasOwn(SENSITIVE, retry.name)) return;
  await guarded(() => SENSITIVE[retry.name](retry.args));
}

// ---- pages ------------------------------------------------------------------

function heading(text) {
  document.title = `${text} · Akua dashboard`;
  return el("h1", {}, text);
}

function noWorkspace() {
  return [
    heading("No workspace yet"),
    el("p", {}, "Create a workspace to manage its API tokens and members."),
    createWorkspaceForm(),
  ];
}

function createWorkspaceForm() {
  const name = el("input", { id: "ws-name", name: "name", required: true, maxlength: "100", autocomplete: "off" });
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
          history.pushState(null, "", `${DASHBOARD}/tokens`);
          await render();
        });
      },
    },
    el("label", { for: "ws-name" }, "Workspace name", name),
    el("button", { type: "submit" }, "Create workspace"),
  );
}

async function workspacesPage() {
  return [heading("Create workspace"), createWorkspaceForm()];
}

function expiryFrom(choice, date) {
  const now = Math.floor(Date.now() / 1000);
  if (choice === "30") return now + 30 * 86400;
  if (choice === "90") return now + 90 * 86400;
  if (choice === "date") return Math.floor(new Date(`${date}T23:59:59Z`).getTime() / 1000);
  return null;
}

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

// The inputs the API's errors can name (see showFieldError).
const TOKEN_FIELDS = {
  name: { id: "token-name", label: "Name" },
  expires_at: { id: "token-expiry", label: "Expires" },
  role: { id: "token-role", label: "Role" },
  permissions: { id: "token-permissions", label: "Permissions" },
  allowed_cidrs: { id: "token-cidrs", label: "Allowed networks" },
};

const POLICY_FIELDS = {
  "token_policy.max_lifetime_days": { id: "policy-max-days", label: "Maximum lifetime" },
  "token_policy.require_expiry": { id: "policy-require-expiry", label: "Tokens must expire" },
  "token_policy.allowed_cidrs": { id: "policy-cidrs", label: "Allowed networks" },
};

const NETWORKS_LABEL = "Allowed networks (CIDR, comma or space separated; empty: anywhere)";

// "10.0.0.0/8, 192.168.0.0/16" (or spaces, or one a line) → the API's list.
function networks(text) {
  return text.split(/[\s,]+/).filter(Boolean);
}

function codes(values) {
  return values.flatMap((v, i) => [i ? ", " : null, el("code", {}, v)]);
}

function days(n) {
  return `${n} day${n === 1 ? "" : "s"}`;
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

function tokenForm(ws, catalog, policy) {
  const limit = policy.max_lifetime_days;
  const name = el("input", { id: "token-name", required: true, maxlength: "100", autocomplete: "off", "aria-describedby": "token-name-error" });
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
  const role = el("select", { id: "token-role", "aria-describedby": "token-role-error" },
    el("option", { value: "admin" }, "admin"),
    el("option", { value: "member" }, "member"));
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
    if (manage) {
      const revoke = el("button", { type: "button", class: "danger", "aria-label": `Revoke ${t.name}` }, "Revoke");
      revoke.addEventListener("click", () => guarded(async () => {
        if (!(await confirmDialog(`Revoke the token “${t.name}” (${t.prefix}…)? Every request with it will fail at once.`, "Revoke"))) return;
        await api("DELETE", `/api_tokens/${encodeURIComponent(t.id)}`, { workspace: ws.id });
        status(`Token ${t.name} revoked.`);
        await render();
      }));
      cells.push(el("td", {}, revoke));
    }
    return el("tr", { "data-token-id": t.id, class: t.exceeds_policy ? "exceeds" : null }, cells);
  });
  return el("table", { id: "tokens" },
    el("caption", { class: "skip" }, "API tokens"),
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows));
}

// The workspace's token policy: shown to every member, changed by its
// owners (a recent sign-in, like making a token).
function policySection(ws, detail) {
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
    const max = el("input", {
      id: "policy-max-days", type: "number", min: "1", max: "1825", step: "1", inputmode: "numeric",
      value: limit ?? "", "aria-describedby": "policy-max-days-error",
    });
    const expire = el("input", { type: "checkbox", id: "policy-require-expiry", checked: policy.require_expiry, "aria-describedby": "policy-require-expiry-error" });
    const cidrs = el("input", {
      id: "policy-cidrs", autocomplete: "off", spellcheck: "false",
      value: policy.allowed_cidrs.join(", "), "aria-describedby": "policy-cidrs-error",
    });
    parts.push(el("form", {
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
    el("button", { type: "submit" }, "Save policy")));
  }
  return el("section", { id: "token-policy", "aria-labelledby": "token-policy-title" }, parts);
}

async function tokensPage() {
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

async function membersPage() {
  const ws = currentWorkspace();
  if (!ws) return noWorkspace();
  const members = await allPages(`/workspaces/${encodeURIComponent(ws.id)}/members`);
  const parts = [heading(`Members · ${ws.name}`)];
  const manage = canManage(ws);
  if (manage) {
    const user = el("input", { id: "member-id", required: true, maxlength: "255", autocomplete: "off" });
    const role = el("select", { id: "member-role" }, el("option", { value: "member" }, "member"), el("option", { value: "admin" }, "admin"));
    parts.push(el("form", {
      class: "inline",
      "aria-label": "Add a member",
      onsubmit: (event) => {
        event.preventDefault();
        guarded(() => sensitive("addMember", { workspace: ws.id, body: { user_id: user.value, role: role.value } }));
      },
    },
    el("label", { for: "member-id" }, "User id", user),
    el("label", { for: "member-role" }, "Role", role),
    el("button", { type: "submit" }, "Add member")));
  }
  const rows = members.map((m) => {
    const cells = [el("td", {}, m.user_id), el("td", {}, m.role), el("td", {}, time(m.joined_at))];
    if (manage) {
      const actions = el("td", {});
      if (ws.role === "owner" && m.role !== "owner") {
        const change = el("select", { "aria-label": `Role of ${m.user_id}` },
          el("option", { value: "member" }, "member"), el("option", { value: "admin" }, "admin"));
        change.value = m.role;
        change.addEventListener("change", () => guarded(() => sensitive("changeRole", { workspace: ws.id, user: m.user_id, role: change.value })));
        actions.append(change, " ");
      }
      if (m.user_id !== me.user_id && (ws.role === "owner" || m.role === "member")) {
        const remove = el("button", { type: "button", class: "danger", "aria-label": `Remove ${m.user_id}` }, "Remove");
        remove.addEventListener("click", () => guarded(async () => {
          if (!(await confirmDialog(`Remove ${m.user_id} from ${ws.name}?`, "Remove"))) return;
          await api("DELETE", `/workspaces/${encodeURIComponent(ws.id)}/members/${encodeURIComponent(m.user_id)}`);
          status(`${m.user_id} removed.`);
          await render();
        }));
        actions.append(remove);
      }
      cells.push(actions);
    }
    return el("tr", {}, cells);
  });
  const head = ["User", "Role", "Joined"];
  if (manage) head.push("Actions");
  parts.push(el("table", { id: "members" },
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows)));
  return parts;
}

const AUDIT_ACTIONS = [
  "token.created", "token.revoked", "token.rolled", "token.leaked",
  "multi_token.granted", "multi_token.revoked",
  "member.added", "member.role_changed", "member.removed", "workspace.created",
  "workspace.token_policy_changed",
];

async function auditPage() {
  const ws = currentWorkspace();
  if (!ws) return noWorkspace();
  if (!canManage(ws)) {
    return [heading(`Audit log · ${ws.name}`), el("p", {}, "Reading the audit log needs the owner or admin role.")];
  }
  const action = new URLSearchParams(location.search).get("action") ?? "";
  const filter = el("select", { id: "audit-action" },
    el("option", { value: "" }, "All actions"),
    AUDIT_ACTIONS.map((a) => el("option", { value: a }, a)));
  filter.value = action;
  filter.addEventListener("change", () => {
    history.pushState(null, "", filter.value ? `${DASHBOARD}/audit?action=${encodeURIComponent(filter.value)}` : `${DASHBOARD}/audit`);
    render();
  });
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
    el("label", { for: "audit-action" }, "Action "), filter,
    el("table", { id: "audit" },
      el("thead", {}, el("tr", {}, ["When", "Action", "Actor", "Target", "From", "Detail"].map((h) => el("th", { scope: "col" }, h)))),
      body),
    more,
  ];
}

async function sessionsPage() {
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

async function devicePage() {
  const code = new URLSearchParams(location.search).get("user_code") ?? "";
  const input = el("input", { id: "user-code", value: code, required: true, autocomplete: "off", placeholder: "XXXX-XXXX" });
  const answer = (approve) => guarded(() => sensitive("answerDevice", { user_code: input.value, approve }));
  // Who asks, from where and when (RFC 8628 §5.4): a login someone else
  // started (a phishing link carries its code) shows another address,
  // program or time than the person's own `cnap auth login`.
  const asking = el("div", { id: "device-client", "aria-live": "polite" });
  const lookUp = async (value) => {
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
  };
  input.addEventListener("change", () => lookUp(input.value.trim()));
  await lookUp(code);
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

function signInPage(message) {
  document.title = "Sign in · Akua dashboard";
  const button = el("button", { type: "button", id: "sign-in" }, "Sign in");
  button.addEventListener("click", () => guarded(startSignIn));
  return el("div", { class: "center" }, el("h1", {}, "Akua dashboard"), el("p", {}, message), button);
}

const PAGES = { tokens: tokensPage, members: membersPage, audit: auditPage, sessions: sessionsPage, workspaces: workspacesPage, device: devicePage };

function pageName() {
  const name = location.pathname.startsWith(DASHBOARD) ? location.pathname.slice(DASHBOARD.length).replace(/^\//, "").split("/")[0] : "";
  return PAGES[name] ? name : "tokens";
}

async function render() {
  const view = $("view");
  if (!store.getItem(SESSION)) {
    $("account").hidden = true;
    $("nav").hidden = true;
    if (location.pathname !== `${DASHBOARD}/callback`) store.setItem(RETURN_TO, location.pathname + location.search);
    view.replaceChildren(signInPage("Sign in with your organisation's identity provider to manage API tokens, members and logins."));
    return;
  }
  const name = pageName();
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  status("Loading…");
  try {
    await loadAccount();
    view.replaceChildren(...[await PAGES[name]()].flat());
    status("");
  } catch (error) {
    status("");
    showError(error.message);
  }
}

async function start() {
  $("workspace").addEventListener("change", (event) => {
    store.setItem(WORKSPACE, event.target.value);
    render();
  });
  $("sign-out").addEventListener("click", () => guarded(async () => {
    await api("DELETE", "/auth/session").catch(() => {});
    store.removeItem(SESSION);
    store.removeItem(WORKSPACE);
    store.removeItem(SIGN_IN);
    history.pushState(null, "", DASHBOARD);
    $("view").replaceChildren(signInPage("You are signed out."));
    $("account").hidden = true;
    $("nav").hidden = true;
  }));
  document.querySelector("nav").addEventListener("click", (event) => {
    const link = event.target.closest("a[data-page]");
    if (!link) return;
    event.preventDefault();
    history.pushState(null, "", link.getAttribute("href"));
    render();
  });
  window.addEventListener("popstate", render);
  let retry = null;
  if (location.pathname === `${DASHBOARD}/callback`) {
    try {
      retry = await finishSignIn();
    } catch (error) {
      history.replaceState(null, "", DASHBOARD);
      $("view").replaceChildren(signInPage(error.message));
      return;
    }
  }
  await render();
  await retryAfterSignIn(retry);
}

start();
