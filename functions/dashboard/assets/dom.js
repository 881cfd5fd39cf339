// Building the page: elements (text is always a text node, never HTML),
// the status line and alert, the confirmation dialog.

export const $ = (id) => document.getElementById(id);

// `attrs`: `on…` keys are listeners; true is a bare attribute; false,
// null and undefined leave the attribute out.
export function el(tag, attrs = {}, ...children) {
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

export function status(text) {
  $("status").textContent = text;
}

export function showError(message) {
  const alert = $("alert");
  alert.textContent = message;
  alert.hidden = !message;
}

// A view's heading, which also names the document.
export function heading(text) {
  document.title = `${text} · Akua dashboard`;
  return el("h1", {}, text);
}

// Values as a comma-separated run of <code>.
export function codes(values) {
  return values.flatMap((v, i) => [i ? ", " : null, el("code", {}, v)]);
}

export function confirmDialog(text, action) {
  const dialog = $("confirm");
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = action;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

// Runs `work`, its failure shown in the page's alert.
export async function guarded(work) {
  showError("");
  try {
    await work();
  } catch (error) {
    showError(error.message);
  }
}
