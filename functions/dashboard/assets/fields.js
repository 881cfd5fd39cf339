// Errors beside the input they are about. A form's inputs that an error
// can name are given as the API's field name → {id, label}: each input
// says so with `aria-invalid` (a group, with its description) and
// `{id}-error` beside it holds the message.

import { ApiError } from "./api.js";
import { $, el, showError } from "./dom.js";

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

export function clearFieldErrors(fields) {
  for (const { id } of Object.values(fields)) {
    $(id)?.removeAttribute("aria-invalid");
    const note = $(`${id}-error`);
    if (note) note.textContent = "";
  }
}

// Shows `error` beside the input it names and moves there; false when it
// names none of `fields` (the caller shows it in the page's alert).
export function showFieldError(fields, error) {
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

export function errorNote(id) {
  return el("p", { id: `${id}-error`, class: "field-error" });
}
