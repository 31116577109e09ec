// Registers the service worker, tells it the page language, shows when a page is a saved copy (and
// swaps in the fresh page when the worker has it).
(function () {
  "use strict";
  var lang = document.documentElement.lang || "fr";
  var note = document.getElementById("offline-notice");
  var saved = note && note.getAttribute("data-offline-saved"), text = "";
  function say(attr) { note.textContent = note.getAttribute(attr).replace("{date}", text); note.hidden = false; }
  if (saved) {
    var when = new Date(saved);
    // The pages' one format for a moment (services/dates.py): "30 novembre 2026 à 14:30".
    text = when.toLocaleString(lang, { dateStyle: "long", timeStyle: "short" });
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
