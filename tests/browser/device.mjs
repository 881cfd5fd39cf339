// The device verification page in a real browser: a pending `cnap auth
// login` is approved by clicking Approve on /device, and the polling client
// then receives its session token.
//
// Usage: node device.mjs <path to akua-local>
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const binary = process.argv[2] ?? "target/debug/akua-local";
const dataDir = mkdtempSync(join(tmpdir(), "akua-browser-"));

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exitCode = 1;
}

async function startServer() {
  const child = spawn(binary, ["--port", "0", "--data-dir", dataDir], { stdio: ["ignore", "ignore", "pipe"] });
  const lines = createInterface({ input: child.stderr });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("akua-local did not start")), 30000);
    lines.on("line", (line) => {
      const m = line.match(/serving the Akua API on (http:\/\/[^/]+)\/v1/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`akua-local exited with ${code}`)));
  });
  return { child, base };
}

const form = (fields) => new URLSearchParams(fields).toString();
const formHeaders = { "content-type": "application/x-www-form-urlencoded" };

const { child, base } = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const res = await fetch(`${base}/v1/auth/device/code`, { method: "POST", headers: formHeaders, body: form({ client_id: "cnap" }) });
  const grant = await res.json();
  if (res.status !== 200) throw new Error(`device/code answered ${res.status}`);

  const page = await browser.newPage();
  await page.goto(grant.verification_uri_complete);
  const prefilled = await page.inputValue("#user_code");
  if (prefilled !== grant.user_code) fail(`code not prefilled: ${prefilled}`);
  await page.click("#approve");
  const result = await page.textContent("#result");
  if (!result?.includes("Approved")) fail(`page said: ${result}`);

  const poll = await fetch(`${base}/v1/auth/device/token`, {
    method: "POST",
    headers: formHeaders,
    body: form({ grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: grant.device_code, client_id: "cnap" }),
  });
  const token = await poll.json();
  if (poll.status !== 200 || token.token_type !== "Bearer" || token.access_token?.length !== 32) {
    fail(`token endpoint answered ${poll.status}: ${JSON.stringify({ error: token.error })}`);
  }
  const me = await fetch(`${base}/v1/auth/whoami`, { headers: { authorization: `Bearer ${token.access_token}` } });
  const who = await me.json();
  if (who.user_id !== "usr_dev") fail(`session belongs to ${who.user_id}`);

  // Deny path: a second login denied in the browser ends in access_denied.
  const second = await (await fetch(`${base}/v1/auth/device/code`, { method: "POST", headers: formHeaders, body: form({ client_id: "cnap" }) })).json();
  await page.goto(`${base}/device`);
  await page.fill("#user_code", second.user_code.replace("-", "").toLowerCase());
  await page.click("#deny");
  const denied = await fetch(`${base}/v1/auth/device/token`, {
    method: "POST",
    headers: formHeaders,
    body: form({ grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: second.device_code, client_id: "cnap" }),
  });
  const deniedBody = await denied.json();
  if (deniedBody.error !== "access_denied") fail(`expected access_denied, got ${deniedBody.error}`);
  if (!process.exitCode) console.log("ok: /device approves and denies in a real browser");
} catch (e) {
  fail(e.message);
} finally {
  await browser.close();
  child.kill();
  rmSync(dataDir, { recursive: true, force: true });
}
