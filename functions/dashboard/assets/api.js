// The API client. Every request goes to this origin (the page's Content
// Security Policy allows nothing else), on the base the server wrote into
// the page: "" at a domain's root (a custom domain, akua-local), "/prod"
// under the execute-api URL's stage. Every URL the script builds is on it.

export const BASE = document.querySelector('meta[name="akua-base"]')?.content ?? "";
export const DASHBOARD = `${BASE}/dashboard`;

// This tab's storage: the dashboard session's token lives here only.
export const store = window.sessionStorage;
export const SESSION = "akua.session";

// Told when the API no longer knows this tab's session (the router draws
// the sign-in page); set by the entry module, so this one imports no view.
let sessionLost = () => {};
export function whenSessionLost(handler) {
  sessionLost = handler;
}

export class ApiError extends Error {
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

// `bearer`: another credential than the session (signing in exchanges the
// provider's access token); a 401 for it does not end the session.
export async function api(method, path, { body, workspace, bearer } = {}) {
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
    if (!bearer && (response.status === 401 || (response.status === 403 && !data?.error && !(await sessionWorks())))) {
      store.removeItem(SESSION);
      sessionLost();
    }
    throw new ApiError(response.status, error.code ?? "error", error.message ?? `The API answered ${response.status}.`, null, error.field ?? null);
  }
  return data;
}

// Behind an HTTP API, every refusal is API Gateway's bare 403: an ended
// session and a workspace the person left look the same. The session
// alone, with no workspace, tells them apart.
async function sessionWorks() {
  const response = await fetch(`${BASE}/v1/auth/whoami`, {
    headers: { authorization: `Bearer ${store.getItem(SESSION)}` },
    cache: "no-store",
  }).catch(() => null);
  return response?.ok ?? true;
}

// Every row of a paged list, following its cursor.
export async function allPages(path, workspace) {
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
