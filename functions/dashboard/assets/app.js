// The Akua dashboard: plain ES modules, no framework and no build step.
// This entry loads the server's configuration, wires the page's fixed
// controls, finishes a sign-in and draws the view. Every request goes to
// this origin (see api.js); the dashboard session's token lives in
// sessionStorage only.

import { api, DASHBOARD, SESSION, store, whenSessionLost } from "./api.js";
import { $, guarded, showError } from "./dom.js";
import { render, showSignIn } from "./router.js";
import { finishSignIn, SIGN_IN } from "./signin.js";
import { loadConfig, WORKSPACE } from "./state.js";
import { retryAfterSignIn } from "./sudo.js";

async function start() {
  // Every view needs the vocabulary: nothing is drawn without it.
  try {
    await loadConfig();
  } catch (error) {
    showError(error.message);
    return;
  }
  whenSessionLost(render);
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
    showSignIn("You are signed out.");
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
      showSignIn(error.message);
      return;
    }
  }
  await render();
  await retryAfterSignIn(retry);
}

start();
