// Times as the API gives them (Unix seconds): relative in the text, exact
// in the <time> element's datetime and title.

import { el } from "./dom.js";

function exact(secs) {
  return new Date(secs * 1000).toISOString().replace(".000Z", "Z");
}

function relative(secs) {
  const diff = Math.round(secs - Date.now() / 1000);
  const units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60]];
  const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  for (const [unit, size] of units) {
    if (Math.abs(diff) >= size) return format.format(Math.round(diff / size), unit);
  }
  return format.format(diff, "second");
}

export function time(secs, absent = "never") {
  if (secs === null || secs === undefined) return absent;
  return el("time", { datetime: exact(secs), title: exact(secs) }, relative(secs));
}
