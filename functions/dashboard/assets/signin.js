// Signing in: OpenID Connect, authorization code with PKCE S256. The code
// is exchanged server-side (POST /dashboard/token: the page may talk to no
// other origin); the provider's access token, once, for a dashboard
// session.

import { api, DASHBOARD, SESSION, store } from "./api.js";
import { el, guarded } from "./dom.js";
import { homeUrl, loadConfig, me } from "./state.js";

export const SIGN_IN = "akua.signin";
const RETURN_TO = "akua.return";

function base64url(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function randomString() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function sha256(text) {
  return base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

// Where to come back to after signing in: here.
export function rememberReturn() {
  store.setItem(RETURN_TO, location.pathname + location.search);
}

// `maxAge`: sign in again for sudo mode (OIDC `max_age`), to renew this
// tab's session rather than start another, then run `retry` (a named
// sensitive action) once. Both live only in this sign-in's record, so a
// sign-in that fails, is cancelled or starts a new session runs nothing.
export async function startSignIn({ maxAge = null, retry = null } = {}) {
  // Fetched afresh: the provider may have been unreachable when the page loaded.
  const config = await loadConfig();
  if (!config.authorization_endpoint) throw new Error("Sign-in is not available: the identity provider cannot be reached. Try again later.");
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

// The provider's answer at /dashboard/callback. Returns the action that
// asked for this sign-in, if any, to run once.
export async function finishSignIn() {
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
  const target = store.getItem(RETURN_TO) ?? homeUrl();
  store.removeItem(RETURN_TO);
  history.replaceState(null, "", target);
  // The action that asked for this sign-in: only after renewing the same
  // session.
  return pending.reauth && current ? pending.retry : null;
}

export function signInPage(message) {
  document.title = "Sign in · Akua dashboard";
  const button = el("button", { type: "button", id: "sign-in" }, "Sign in");
  button.addEventListener("click", () => guarded(startSignIn));
  return el("div", { class: "center" }, el("h1", {}, "Akua dashboard"), el("p", {}, message), button);
}
