// Sudo mode. Actions that hand out lasting access need a recent sign-in.
// When the API answers `reauthentication_required`, the person is asked to
// sign in again; the page comes back to where it was and runs the action
// once more with the same input. Each is named, so it survives the
// redirect: a view's module registers its actions when it loads, and the
// router loads the view before the retry runs.

import { confirmDialog, guarded } from "./dom.js";
import { rememberReturn, startSignIn } from "./signin.js";

const actions = new Map();

// `named`: name → async (args) => …, args being plain JSON.
export function sensitiveActions(named) {
  for (const [name, action] of Object.entries(named)) actions.set(name, action);
}

export async function sensitive(name, args) {
  try {
    await actions.get(name)(args);
  } catch (error) {
    if (error.code !== "reauthentication_required") throw error;
    const again = await confirmDialog("For your security, this needs a recent sign-in. Sign in again, and it will be done right after.", "Sign in again");
    if (!again) throw new Error("Not done: it needs a recent sign-in.");
    rememberReturn();
    await startSignIn({ maxAge: error.maxAge ?? 0, retry: { name, args } });
  }
}

// After signing in again: the action that asked for it, once. A second
// refusal is shown, not retried.
export async function retryAfterSignIn(retry) {
  if (!retry || !actions.has(retry.name)) return;
  await guarded(() => actions.get(retry.name)(retry.args));
}
