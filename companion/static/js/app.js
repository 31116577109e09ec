// Registers the service worker, tells it the page language, and shows when a page is a saved copy.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "fr";
  var note = document.getElementById("offline-notice");
  var saved = note && note.getAttribute("data-offline-saved");
  if (saved) {
    var when = new Date(saved);
    var text = when.toLocaleDateString(lang, { day: "numeric", month: "long", year: "numeric" }) + " " +
      when.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    note.textContent = note.getAttribute("data-text").replace("{date}", text);
    note.hidden = false;
  }
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
    return navigator.serviceWorker.ready;
  }).then(function (reg) {
    if (reg.active) reg.active.postMessage({ type: "lang", lang: lang });
  }).catch(function () { /* no worker: the site still works online */ });
})();
