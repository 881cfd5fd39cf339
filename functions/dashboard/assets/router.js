// Which view the address names, and drawing it. Each view is the module
// page-<name>.js (the server serves one per page it knows), loaded on
// first use; the page names are the server's.

import { DASHBOARD, SESSION, store } from "./api.js";
import { $, showError, status } from "./dom.js";
import { rememberReturn, signInPage } from "./signin.js";
import { loadAccount, vocabulary } from "./state.js";

function pageName() {
  const name = location.pathname.startsWith(DASHBOARD) ? location.pathname.slice(DASHBOARD.length).replace(/^\//, "").split("/")[0] : "";
  return vocabulary.pages.includes(name) ? name : vocabulary.pages[0];
}

// Each drawing takes a number; one that finishes after a newer one began
// (another click, a sign-out while the page still loads) draws nothing,
// so an old page never covers the newer one.
let drawing = 0;

// The sign-in page, in place of whatever is drawn or still loading.
export function showSignIn(message) {
  drawing += 1;
  $("account").hidden = true;
  $("nav").hidden = true;
  status("");
  $("view").replaceChildren(signInPage(message));
}

export async function render() {
  if (!store.getItem(SESSION)) {
    if (location.pathname !== `${DASHBOARD}/callback`) rememberReturn();
    showSignIn("Sign in with your organisation's identity provider to manage API tokens, members and logins.");
    return;
  }
  const mine = ++drawing;
  const name = pageName();
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  status("Loading…");
  try {
    // The view's module first: it registers its sensitive actions, which
    // a retry after signing in again needs even if the account fails to load.
    const { default: draw } = await import(`./page-${name}.js`);
    await loadAccount();
    const nodes = [await draw()].flat();
    if (mine !== drawing) return;
    $("view").replaceChildren(...nodes);
    status("");
  } catch (error) {
    if (mine !== drawing) return;
    status("");
    showError(error.message);
  }
}
