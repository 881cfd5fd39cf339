// The dashboard in a real browser (Debian's Chromium, driven by
// playwright-core), against akua-local and its development OpenID Connect
// provider:
//
//   sign in through the provider's page → create a workspace → create a
//   token (its secret shown once, afterwards only the prefix) → use it →
//   after a reload "last used" is set → revoke it → the API answers 401;
//   create a token restricted to one permission and one network through
//   the form (an invalid network is named beside its input) → the list
//   shows both and the API holds it to them; an owner whose sign-in is old
//   sets a token policy (signing in again first) → the policy is shown,
//   the older never-expiring token is marked "Exceeds policy", and a
//   never-expiring token is refused beside its Expires field;
//   a member sees the tokens and the policy but no create, revoke or
//   policy controls; `cnap auth login --no-browser` completes after
//   approval on the dashboard's device page; sign out → the dashboard
//   session is refused.
//
// Every page is checked with axe-core (no serious or critical violation),
// every answer carries the Content Security Policy, and no page breaks it.
// With --screenshot PATH, the API tokens page is saved there (README).
// With --stage NAME, akua-local serves under /NAME as the execute-api URL
// does, and the walk checks that the page asks for nothing outside it and
// that the sign-in's redirect_uri is under it.
//
// With --api-type http, akua-local plays an HTTP API at its $default stage:
// every refusal is API Gateway's own 403 (401 only without Authorization),
// and the dashboard still tells an ended session from a refused action.
//
// Usage: node dashboard.mjs <akua-local> <cnap> [--stage NAME | --api-type http] [--screenshot PATH]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const option = (name) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : null;
};
const screenshot = option("--screenshot");
const stage = option("--stage");
const apiType = option("--api-type") ?? "rest";
const httpApi = apiType === "http";
const optionValues = new Set([screenshot, stage, option("--api-type")]);
// What a refused credential gets: REST's 401 in the API's envelope, or an
// HTTP API's bare 403.
const refusedStatus = httpApi ? 403 : 401;
const [binary = "target/debug/akua-local", cnap = "target/debug/cnap"] = process.argv
  .slice(2)
  .filter((a) => !a.startsWith("--") && !optionValues.has(a));
const prefix = stage ? `/${stage}` : "";
const axeSource = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const dataDir = mkdtempSync(join(tmpdir(), "akua-dashboard-"));
const home = mkdtempSync(join(tmpdir(), "akua-cnap-home-"));

let step = "start";
const check = (ok, message) => {
  if (!ok) throw new Error(`${step}: ${message}`);
};

async function startServer() {
  const args = ["--port", "0", "--data-dir", dataDir, "--api-type", apiType, ...(stage ? ["--stage", stage] : [])];
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  const lines = createInterface({ input: child.stderr });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("akua-local did not start")), 30000);
    lines.on("line", (line) => {
      const m = line.match(/the dashboard is at (http:\/\/\S+)\/dashboard$/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`akua-local exited with ${code}`)));
  });
  return { child, base };
}

// `base` is the API's base URL, the stage included; `origin` the server.
const { child, base } = await startServer();
const origin = new URL(base).origin;
check(base === `${origin}${prefix}`, `akua-local serves at ${base}, not under ${prefix || "/"}`);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
});
const violations = [];
const otherOrigins = [];
// Same-origin requests outside the stage (the development identity
// provider is a server of its own at the root, so its paths are allowed),
// and the redirect_uri of every sign-in request.
const outsideStage = [];
const redirectUris = [];
const identityProvider = /^\/(oauth\/|\.well-known\/)/;

async function newPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
    if (process.env.DEBUG) console.error(`console: ${msg.text()}`);
  });
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.origin !== origin && url.protocol !== "data:") otherOrigins.push(request.url());
    if (url.origin === origin && !identityProvider.test(url.pathname) && !url.pathname.startsWith(`${prefix}/`)) {
      outsideStage.push(url.pathname);
    }
    if (url.origin === origin && url.pathname === "/oauth/authorize" && url.searchParams.has("redirect_uri")) {
      redirectUris.push(url.searchParams.get("redirect_uri"));
    }
    if (process.env.DEBUG) console.error(`request: ${request.url().slice(0, 90)}`);
  });
  page.on("response", (response) => {
    const url = new URL(response.url());
    if (url.pathname.startsWith(`${prefix}/dashboard`) && response.request().resourceType() === "document") {
      const csp = response.headers()["content-security-policy"] ?? "";
      if (!csp.includes("default-src 'self'") || !csp.includes("frame-ancestors 'none'")) {
        violations.push(`no strict CSP on ${url.pathname}`);
      }
      if (response.headers()["referrer-policy"] !== "no-referrer") violations.push(`no Referrer-Policy on ${url.pathname}`);
    }
  });
  return page;
}

// axe-core is injected from a context that bypasses the page's CSP (the
// page itself forbids injected scripts); the same URL and session.
// `prepare(probe)` brings the probe to the state to check first (a
// field's error, say).
async function axe(page, name, prepare = null) {
  const session = await page.evaluate(() => JSON.stringify(Object.entries(sessionStorage)));
  const context = await browser.newContext({ bypassCSP: true });
  const probe = await context.newPage();
  await probe.goto(`${base}/dashboard/blank-for-axe`).catch(() => {});
  await probe.evaluate((entries) => {
    for (const [k, v] of JSON.parse(entries)) sessionStorage.setItem(k, v);
  }, session);
  await probe.goto(page.url());
  await probe.waitForFunction(() => document.getElementById("status")?.textContent === "");
  if (prepare) await prepare(probe);
  await probe.addScriptTag({ path: axeSource });
  const result = await probe.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
  });
  await context.close();
  check(result.length === 0, `accessibility violations on ${name}: ${result.join("; ")}`);
}

// `minutesAgo`: the development provider's pretended age of the sign-in.
async function signIn(page, user, minutesAgo = 0) {
  await page.goto(`${base}/dashboard`);
  await page.click("#sign-in");
  await page.waitForURL(/\/oauth\/authorize/);
  await page.fill("#user_id", user);
  if (minutesAgo) await page.fill("#signed_in_minutes_ago", String(minutesAgo));
  await page.click("#sign-in-as");
  await page.waitForURL(/\/dashboard(\/tokens)?$/);
  await page.waitForSelector("#who:not(:empty)");
  await page.waitForFunction(() => document.getElementById("status")?.textContent === "");
}

const api = (path, token, init = {}) =>
  fetch(`${base}/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });

try {
  step = "sign in";
  const page = await newPage();
  await page.goto(`${base}/dashboard`);
  await axe(page, "the sign-in page");
  // Three hours ago: reads work, minting asks for a fresh sign-in.
  await signIn(page, "usr_owner", 180);
  check((await page.textContent("#who")).includes("usr_owner"), "not signed in as usr_owner");
  const session = await page.evaluate(() => sessionStorage.getItem("akua.session"));
  check(session?.length === 32, "no dashboard session in sessionStorage");
  check(await page.evaluate(() => localStorage.length === 0 && document.cookie === ""), "the session must live in sessionStorage only");

  step = "create a workspace";
  await page.fill("#ws-name", "Acme");
  await page.click("form[aria-label='Create workspace'] button");
  await page.waitForSelector("#token-name");
  const ws = await page.inputValue("#workspace");
  check(ws.startsWith("ws_"), `no workspace selected: ${ws}`);

  step = "create a token, signing in again first (sudo mode)";
  await axe(page, "API tokens");
  await page.fill("#token-name", "deploy");
  await page.selectOption("#token-expiry", "30");
  await page.click("form[aria-label='Create a token'] button[type=submit]");
  await page.waitForSelector("#confirm[open]");
  check((await page.textContent("#confirm-text")).includes("recent sign-in"), "no reason given for signing in again");
  await axe(page, "the sign-in-again dialog");
  await page.click("#confirm-ok");
  await page.waitForURL(/\/oauth\/authorize/);
  check(new URL(page.url()).searchParams.has("max_age"), "signing in again does not ask for max_age");
  await page.waitForSelector("#fresh-sign-in");
  check((await page.inputValue("#user_id")) === "usr_owner", "signing in again does not name who (login_hint)");
  await page.click("#sign-in-as");
  await page.waitForSelector("#secret-value");
  check(await page.evaluate((s) => sessionStorage.getItem("akua.session") === s, session), "signing in again replaced the session instead of renewing it");
  const secret = (await page.textContent("#secret-value")).trim();
  check(/^sk_akua_[0-9A-Za-z]{32}$/.test(secret), `no secret shown: ${secret}`);
  check((await page.textContent("#new-secret")).includes("will not be shown again"), "no warning with the secret");
  await page.click("#secret-done");
  await page.waitForSelector("#tokens");
  check(!(await page.content()).includes(secret), "the secret is still in the page after Done");
  check((await page.locator("#tokens tbody tr").count()) === 1, "the token was created more than once");
  check((await page.textContent("#tokens")).includes(secret.slice(0, 12)), "the prefix is not listed");
  check((await page.textContent("#tokens .last-used")).trim() === "never", "a new token was used");
  check((await page.textContent("#tokens td.permissions")).trim() === "All (role)", "an unrestricted token's permissions are not All (role)");
  check((await page.textContent("#tokens td.allowed-from")).trim() === "Anywhere", "an unrestricted token's networks are not Anywhere");
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });

  step = "use the token";
  const used = await api("/api_tokens", secret);
  check(used.status === 200, `the new token answered ${used.status}`);
  await page.reload();
  await page.waitForSelector("#tokens");
  const lastUsed = await page.locator("#tokens .last-used time").getAttribute("title");
  check(lastUsed !== null, "last used is not set after a reload");

  step = "revoke the token";
  await page.click("#tokens button.danger");
  check((await page.textContent("#confirm-text")).includes("deploy"), "the confirmation does not name the token");
  await page.click("#confirm-ok");
  await page.waitForSelector("text=No API tokens yet.");
  check((await api("/api_tokens", secret)).status === refusedStatus, "a revoked token still works");

  step = "create a token restricted to a permission and a network";
  const readBox = "#token-permissions input[value='api_tokens:read']";
  await page.waitForSelector(readBox);
  check((await page.locator("#token-permissions input:checked").count()) === 0, "a permission is checked by default");
  check((await page.textContent("#token-permissions-summary")).includes("All the role allows"), "the default is not all the role allows");
  check((await page.locator("#token-permissions input").count()) >= 7, "the catalog's permissions are not all offered");
  await page.fill("#token-name", "reader");
  await page.check(readBox);
  check((await page.textContent("#token-permissions-summary")).includes("Only api_tokens:read"), "the chosen permission is not summed up");
  await page.fill("#token-cidrs", "127.0.0.0/33");
  await page.click("form[aria-label='Create a token'] button[type=submit]");
  await page.waitForSelector("#token-cidrs-error:not(:empty)");
  check((await page.textContent("#token-cidrs-error")).includes("127.0.0.0/33"), "the invalid network is not named beside its input");
  check((await page.getAttribute("#token-cidrs", "aria-invalid")) === "true", "the invalid input is not marked aria-invalid");
  check((await page.getAttribute("#token-cidrs", "aria-describedby")).split(" ").includes("token-cidrs-error"), "the error does not describe its input");
  check(await page.evaluate(() => document.activeElement?.id === "token-cidrs"), "focus did not move to the invalid input");
  check((await page.textContent("#alert")).includes("Allowed networks"), "the alert does not point to the field");
  check((await page.locator("#new-secret").count()) === 0, "a token was made with an invalid network");
  await axe(page, "a field's error on the token form", async (probe) => {
    await probe.check(readBox);
    await probe.fill("#token-name", "reader");
    await probe.fill("#token-cidrs", "127.0.0.0/33");
    await probe.click("form[aria-label='Create a token'] button[type=submit]");
    await probe.waitForSelector("#token-cidrs-error:not(:empty)");
  });
  await page.fill("#token-cidrs", "127.0.0.0/8");
  await page.click("form[aria-label='Create a token'] button[type=submit]");
  await page.waitForSelector("#secret-value");
  const restricted = (await page.textContent("#secret-value")).trim();
  check((await page.getAttribute("#token-cidrs", "aria-invalid")) === null, "the field's error outlived a success");
  check(await page.isHidden("#token-cidrs-error"), "the field's error is still shown after a success");
  await page.click("#secret-done");
  await page.waitForSelector("#tokens");
  const reader = page.locator("#tokens tbody tr", { hasText: "reader" });
  check((await reader.locator("td.permissions").textContent()).trim() === "api_tokens:read", "the list does not show the token's permission");
  check((await reader.locator("td.allowed-from").textContent()).trim() === "127.0.0.0/8", "the list does not show the token's network");
  // The API holds the token to both (this test runs on 127.0.0.1).
  check((await api("/api_tokens", restricted)).status === 200, "the restricted token cannot read tokens");
  const write = await api("/api_tokens", restricted, { method: "POST", headers: { "akua-context": ws, "content-type": "application/json" }, body: JSON.stringify({ name: "more" }) });
  const refusal = await write.json();
  check(write.status === 403 && (httpApi ? refusal.message === "Forbidden" : refusal.error?.code === "insufficient_permission"), `the restricted token could write: ${write.status}`);
  await axe(page, "API tokens with a restricted token");

  step = "set a token policy, signing in again first (sudo mode)";
  // A second tab of the owner's, signed in three hours ago.
  const owner = await newPage();
  await signIn(owner, "usr_owner", 180);
  await owner.waitForSelector("#policy-max-days");
  check((await owner.textContent("#policy-shown-lifetime")).trim() === "No limit", "a new workspace has a lifetime limit");
  check((await owner.textContent("#policy-shown-networks")).trim() === "Anywhere", "a new workspace has a network limit");
  check((await owner.textContent("#tokens")).includes("Exceeds policy") === false, "a token exceeds no policy");
  await owner.fill("#policy-max-days", "30");
  await owner.fill("#policy-cidrs", "127.0.0.0/8, ::1/128");
  await owner.click("form[aria-label='Change the token policy'] button[type=submit]");
  await owner.waitForSelector("#confirm[open]");
  check((await owner.textContent("#confirm-text")).includes("recent sign-in"), "no reason given for signing in again");
  await owner.click("#confirm-ok");
  await owner.waitForURL(/\/oauth\/authorize/);
  check(new URL(owner.url()).searchParams.has("max_age"), "signing in again does not ask for max_age");
  await owner.waitForSelector("#fresh-sign-in");
  await owner.click("#sign-in-as");
  await owner.waitForFunction(() => document.getElementById("status")?.textContent === "Token policy saved.");
  check((await owner.textContent("#policy-shown-lifetime")).trim() === "30 days", "the new policy is not shown");
  check((await owner.textContent("#policy-shown-expiry")).startsWith("Yes"), "a lifetime limit does not show that tokens must expire");
  check((await owner.textContent("#policy-shown-networks")).trim() === "127.0.0.0/8, ::1/128", "the policy's networks are not shown");
  check((await owner.inputValue("#policy-max-days")) === "30", "the policy form does not hold the policy");
  check((await owner.textContent("#token-cidrs-hint")).includes("the token policy's networks (127.0.0.0/8, ::1/128)"), "the token form does not say the policy's networks");
  const older = owner.locator("#tokens tbody tr", { hasText: "reader" });
  check((await older.textContent()).includes("Exceeds policy"), "the older never-expiring token is not marked as exceeding the policy");
  check((await owner.locator("#tokens-exceeding").count()) === 1, "no note on the tokens that exceed the policy");
  await axe(owner, "API tokens under a token policy");

  step = "a never-expiring token is refused beside its Expires field";
  check((await owner.inputValue("#token-expiry")) === "30", "the form does not start at an expiry the policy admits");
  check((await owner.textContent("#token-expiry-hint")).includes("30 days"), "the form does not say the policy's limit");
  await owner.fill("#token-name", "forever");
  await owner.selectOption("#token-expiry", "never");
  await owner.click("form[aria-label='Create a token'] button[type=submit]");
  await owner.waitForSelector("#token-expiry-error:not(:empty)");
  check((await owner.textContent("#token-expiry-error")).includes("30 days"), "the policy's refusal is not shown beside Expires");
  check((await owner.getAttribute("#token-expiry", "aria-invalid")) === "true", "Expires is not marked aria-invalid");
  check((await owner.locator("#new-secret").count()) === 0, "a never-expiring token was made under the policy");

  step = "audit log";
  await page.click("nav a[data-page=audit]");
  await page.waitForSelector("#audit");
  const audit = await page.textContent("#audit");
  check(["token.revoked", "token.created", "workspace.created", "workspace.token_policy_changed"].every((a) => audit.includes(a)), `audit log: ${audit}`);
  await axe(page, "Audit log");
  await page.selectOption("#audit-action", "token.created");
  await page.waitForFunction(() => !document.getElementById("audit")?.textContent.includes("token.revoked"));

  step = "members";
  await page.click("nav a[data-page=members]");
  await page.waitForSelector("#member-id");
  await axe(page, "Members");
  await page.fill("#member-id", "usr_member");
  await page.click("form[aria-label='Add a member'] button");
  await page.waitForSelector("text=usr_member");

  step = "your sessions";
  await page.click("nav a[data-page=sessions]");
  await page.waitForSelector("#sessions");
  await axe(page, "Your sessions");
  check((await page.textContent("#sessions")).includes("dashboard"), "the dashboard session is not listed");
  check((await page.locator("#sessions tbody tr:has-text(\"This browser\") td:nth-child(6) time").count()) === 1, "a dashboard session's absolute end is not shown");

  step = "a member sees no controls";
  const member = await newPage();
  await signIn(member, "usr_member");
  await member.waitForSelector("#tokens");
  check((await member.locator("#token-name").count()) === 0, "a member sees the create form");
  check((await member.textContent("#policy-shown-lifetime")).trim() === "30 days", "a member does not see the token policy");
  check((await member.locator("#token-policy form, #token-policy input").count()) === 0, "a member sees the policy form");
  check((await member.textContent("#tokens")).includes("Exceeds policy"), "a member does not see which tokens exceed the policy");
  await axe(member, "API tokens, read-only");
  const ci = await api("/api_tokens", session, {
    method: "POST",
    headers: { "akua-context": ws, "content-type": "application/json" },
    body: JSON.stringify({ name: "ci", expires_at: Math.floor(Date.now() / 1000) + 7 * 86400 }),
  });
  check(ci.status === 201, `a token within the policy answered ${ci.status}`);
  const ciId = (await ci.json()).id;
  await member.reload();
  await member.waitForSelector(`#tokens tr[data-token-id="${ciId}"]`);
  check((await member.textContent(`#tokens tr[data-token-id="${ciId}"]`)).includes("Exceeds policy") === false, "a token within the policy is marked as exceeding it");
  check((await member.textContent(`#tokens tr[data-token-id="${ciId}"] td.permissions`)).trim() === "All (role)", "an unrestricted token's permissions are not All (role)");
  // Made without networks, it got the policy's.
  check((await member.textContent(`#tokens tr[data-token-id="${ciId}"] td.allowed-from`)).trim() === "127.0.0.0/8, ::1/128", "a token made without networks does not show the policy's");
  check((await member.locator("#tokens button").count()) === 0, "a member sees revoke buttons");

  step = "cnap login approved on the device page";
  const login = spawn(cnap, ["--api-url", `${base}/v1`, "auth", "login", "--no-browser"], {
    env: { ...process.env, HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("cnap printed no code")), 20000);
    createInterface({ input: login.stderr }).on("line", (line) => {
      const m = line.match(/one-time code: (\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  const exited = new Promise((resolve) => login.on("exit", resolve));
  await page.goto(`${base}/dashboard/device?user_code=${encodeURIComponent(code)}`);
  await page.waitForSelector("#approve");
  check((await page.inputValue("#user-code")) === code, "the code is not prefilled");
  await page.waitForSelector("#device-agent");
  check((await page.textContent("#device-agent")).startsWith("cnap/"), "the requesting program is not shown");
  check((await page.textContent("#device-ip")).length > 0, "the requesting address is not shown");
  check((await page.textContent("#device-requested")).length > 0, "the request time is not shown");
  await axe(page, "Device login");
  // Approve works only once the person says the login is theirs.
  check(await page.isDisabled("#approve"), "Approve works before the confirmation");
  await page.check("#device-confirm");
  check(!(await page.isDisabled("#approve")), "Approve stays off after the confirmation");
  await page.click("#approve");
  await page.waitForSelector("#device-result");
  check((await exited) === 0, "cnap auth login did not complete");

  step = "sign out";
  // Signing out while the page still loads: the token list, fetched while
  // signed in, arrives after the sign-in page is drawn and must not cover it.
  let listed;
  const listAnswered = new Promise((resolve) => (listed = resolve));
  await page.route(/\/v1\/api_tokens\?/, async (route) => {
    const response = await route.fetch();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.fulfill({ response }).catch(() => {});
    setTimeout(listed, 300);
  });
  await page.goto(`${base}/dashboard/tokens`);
  await page.waitForSelector("#sign-out");
  await page.click("#sign-out");
  await page.waitForSelector("#sign-in");
  await listAnswered;
  await page.unroute(/\/v1\/api_tokens\?/);
  check(await page.isVisible("#sign-in"), "a page that finished loading after sign-out covered the sign-in page");
  check(await page.isHidden("#account"), "the account bar shows after sign-out");
  check((await api("/auth/whoami", session)).status === refusedStatus, "the dashboard session works after sign-out");
  check(await page.evaluate(() => sessionStorage.getItem("akua.session") === null), "the session is still stored");

  step = "security headers";
  check(violations.length === 0, `CSP: ${violations.join("; ")}`);
  check(otherOrigins.length === 0, `requests to other origins: ${otherOrigins.join(", ")}`);
  check(outsideStage.length === 0, `requests outside ${prefix || "/"}: ${[...new Set(outsideStage)].join(", ")}`);
  check(redirectUris.length > 0 && redirectUris.every((u) => u === `${base}/dashboard/callback`), `sign-in redirect_uri: ${redirectUris.join(", ")}`);
  console.log(`ok: the dashboard behind a ${apiType.toUpperCase()} API under ${prefix || "/"} signs in, signs in again for sudo mode, manages tokens (restricted ones too), the token policy, members and sessions, approves a cnap login, and signs out, in a real browser`);
} catch (e) {
  console.error(`FAIL (${step}): ${e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  child.kill();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}
