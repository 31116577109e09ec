// The card's page, for its owner: "show when locked" on this phone. The worker keeps or drops the copy
// (static/sw/50-lockcard.js); this shows which, read from the worker's cache.
(function () {
  "use strict";
  var box = document.getElementById("lockcard"), sw = navigator.serviceWorker;
  if (!box || !sw || !sw.controller || !window.caches) return;
  var src = box.getAttribute("data-src"), on = document.getElementById("lockcard-on");
  var off = document.getElementById("lockcard-off"), state = document.getElementById("lockcard-state");
  function show() {
    caches.match("/emergency", { cacheName: "companion-lockcard" }).then(function (r) {
      var kept = !!r && r.headers.get("X-Lock-Src") === src;
      state.textContent = box.getAttribute(kept ? "data-on" : "data-off");
      on.hidden = kept;
      off.hidden = !kept;
      box.hidden = false;
    });
  }
  sw.addEventListener("message", function (e) { if ((e.data || {}).type === "lockcard") show(); });
  on.addEventListener("click", function () { sw.controller.postMessage({ type: "lockcard", src: src }); });
  off.addEventListener("click", function () { sw.controller.postMessage({ type: "lockcard" }); });
  show();
})();
