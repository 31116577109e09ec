// Registers the service worker, tells it the page language, shows when a page is a saved copy (and
// swaps in the fresh page when the worker has it).
// The pages' one format for a day or a moment (services/dates.py), for the page scripts: "30 novembre
// 2026 à 14:30", its date never split over two lines (the spaces inside it are no-break ones).
window.companionDate = function (d, opts, lang) {
  var o = Object.assign({ dateStyle: "long" }, opts);
  return new Intl.DateTimeFormat(lang || document.documentElement.lang || "fr", o).formatToParts(d)
    .map(function (p) { return p.type === "literal" && /^,? $/.test(p.value) ? p.value.slice(0, -1) + "\u00a0" : p.value; })
    .join("");
};
(function () {
  "use strict";
  var lang = document.documentElement.lang || "fr";
  // A new account starts on the time where its person lives (services/time_zones.py keeps only places listed).
  var zone = document.querySelector("input[data-browser-zone]");
  try { if (zone) zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* old browser */ }
  var note = document.getElementById("offline-notice");
  var saved = note && note.getAttribute("data-offline-saved"), text = "";
  function say(attr) { note.textContent = note.getAttribute(attr).replace("{date}", text); note.hidden = false; }
  if (saved) {
    var when = new Date(saved);
    text = window.companionDate(when, { timeStyle: "short" }, lang);
    say(note.getAttribute("data-state") === "updating" ? "data-updating" : "data-text");
  }
  if (!("serviceWorker" in navigator)) return;
  var sw = navigator.serviceWorker;
  sw.addEventListener("message", function (e) {
    var m = e.data || {};
    if (m.type === "page" && saved) { if (m.ok) location.reload(); else say("data-failed"); }
  });
  sw.register("/sw.js", { scope: "/" }).then(function () {
    return sw.ready;
  }).then(function (reg) {
    if (reg.active) reg.active.postMessage({ type: "lang", lang: lang });
  }).catch(function () { /* no worker: the site still works online */ });
})();
