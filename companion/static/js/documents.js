// Documents: upload with a progress bar (plain form without JS), pins, offline sync, storage space.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var sw = navigator.serviceWorker;

  function sync(url) {
    if (sw && sw.controller && url) sw.controller.postMessage({ type: "docs-sync", url: url });
  }

  var form = document.getElementById("upload-form");
  if (form && window.FormData && window.XMLHttpRequest) {
    form.addEventListener("submit", function (e) {
      var input = form.querySelector('input[type="file"]');
      var err = document.getElementById("upload-error");
      var file = input.files && input.files[0];
      if (!file) return; // the server explains
      e.preventDefault();
      err.textContent = "";
      if (file.size > +form.getAttribute("data-max")) { err.textContent = form.getAttribute("data-too-big"); return; }
      var box = document.getElementById("upload-progress"), bar = document.getElementById("upload-bar");
      var pct = document.getElementById("upload-pct"), button = form.querySelector('button[type="submit"]');
      var xhr = new XMLHttpRequest(), outbox = window.companionOutbox, k = outbox ? outbox.key() : "";
      // Without network the file waits on this phone (up to a limit) and is sent later, once.
      var lost = function () {
        box.hidden = true; button.disabled = false;
        if (!outbox) { err.textContent = form.getAttribute("data-failed"); return; }
        outbox.queue(form, k).then(function (kept) { if (!kept) err.textContent = form.getAttribute("data-failed"); });
      };
      xhr.open("POST", form.action || location.href);
      xhr.timeout = 120000;
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrf);
      if (k) xhr.setRequestHeader("Idempotency-Key", k);
      xhr.upload.onprogress = function (ev) {
        if (!ev.lengthComputable) return;
        var p = Math.round(ev.loaded * 100 / ev.total);
        bar.value = p; pct.textContent = p + " %";
      };
      xhr.onload = function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (x) { /* not JSON */ }
        if (xhr.status < 300 && body.url) { location.href = body.url; return; }
        if (xhr.status >= 500 || xhr.status === 408 || xhr.status === 429) { lost(); return; }
        err.textContent = body.message || form.getAttribute("data-failed");
        button.disabled = false;
      };
      xhr.onerror = xhr.ontimeout = lost;
      box.hidden = false; button.disabled = true;
      xhr.send(new FormData(form));
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".pin-form"), function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.fetch) return;
      e.preventDefault();
      var flag = f.querySelector('input[name="pinned"]'), on = flag.value === "1";
      fetch(f.action, { method: "POST", body: new FormData(f), credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrf } })
        .then(function (r) { if (!r.ok) throw r; return r.json(); })
        .then(function (b) {
          flag.value = on ? "0" : "1";
          f.querySelector("button").textContent = f.getAttribute(on ? "data-label-on" : "data-label-off");
          document.getElementById("pin-state").textContent = f.getAttribute(on ? "data-on" : "data-off");
          if (on && navigator.storage && navigator.storage.persist) navigator.storage.persist();
          sync(b.manifest);
        })
        .catch(function () { f.submit(); });
    });
    sync(f.getAttribute("data-manifest"));
  });

  var info = document.getElementById("doc-storage");
  if (info) {
    sync(info.getAttribute("data-manifest"));
    if (navigator.storage && navigator.storage.estimate) {
      navigator.storage.estimate().then(function (est) {
        var lang = document.documentElement.lang || "fr";
        var mb = function (n) {
          var v = (n / 1048576).toLocaleString(lang, { maximumFractionDigits: 1 });
          return info.getAttribute("data-mb").replace("{n}", v);
        };
        var text = info.getAttribute("data-used").replace("{used}", mb(est.usage)).replace("{total}", mb(est.quota));
        if (est.quota - est.usage < 50 * 1048576 || est.usage > est.quota * 0.8) text += " " + info.getAttribute("data-low");
        info.textContent = text;
        info.hidden = false;
      });
    }
  }
})();
