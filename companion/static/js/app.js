// Registers the service worker, tells it the page language, shows when a page is a saved copy (and
// swaps in the fresh page when the worker has it), and asks before key documents are copied.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "fr";
  var note = document.getElementById("offline-notice");
  var saved = note && note.getAttribute("data-offline-saved"), text = "";
  function say(attr) { note.textContent = note.getAttribute(attr).replace("{date}", text); note.hidden = false; }
  if (saved) {
    var when = new Date(saved);
    text = when.toLocaleDateString(lang, { day: "numeric", month: "long", year: "numeric" }) + " " +
      when.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    say(note.getAttribute("data-state") === "updating" ? "data-updating" : "data-text");
  }
  if (!("serviceWorker" in navigator)) return;
  var sw = navigator.serviceWorker, ask = document.getElementById("keys-ask");
  sw.addEventListener("message", function (e) {
    var m = e.data || {};
    if (m.type === "page" && saved) { if (m.ok) location.reload(); else say("data-failed"); }
    if (m.type === "ask" && ask && ask.hidden) {
      var mb = (m.bytes / 1048576).toLocaleString(lang, { maximumFractionDigits: 1 });
      ask.firstChild.textContent = ask.getAttribute("data-text").replace("{size}", ask.getAttribute("data-mb").replace("{n}", mb));
      ask.hidden = false;
    }
  });
  // The answer to "keep the key documents?" (the banner, or the data settings page) is kept per device.
  var choice = document.getElementById("keys-choice");
  if (choice && sw.controller) choice.hidden = false;
  document.addEventListener("click", function (e) {
    var b = e.target;
    if (!b.matches || !b.matches("#keys-ask button, [data-keys]") || !sw.controller) return;
    sw.controller.postMessage({ type: "keys", ok: b.value === "1" });
    if (ask) ask.hidden = true;
    if (choice && b.textContent.slice(-1) !== "✓") b.textContent += " ✓";
  });
  sw.register("/sw.js", { scope: "/" }).then(function () {
    return sw.ready;
  }).then(function (reg) {
    if (reg.active) reg.active.postMessage({ type: "lang", lang: lang });
  }).catch(function () { /* no worker: the site still works online */ });
})();
