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

export async function render() {
  const view = $("view");
  if (!store.getItem(SESSION)) {
    $("account").hidden = true;
    $("nav").hidden = true;
    if (location.pathname !== `${DASHBOARD}/callback`) rememberReturn();
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
    // The view's module first: it registers its sensitive actions, which
    // a retry after signing in again needs even if the account fails to load.
    const { default: draw } = await import(`./page-${name}.js`);
    await loadAccount();
    view.replaceChildren(...[await draw()].flat());
    status("");
  } catch (error) {
    status("");
    showError(error.message);
  }
}
