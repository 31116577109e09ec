// Documents: upload with a progress bar (plain form without JS), pins and what the sync did, storage space.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var sw = navigator.serviceWorker;

  function sync() {
    if (sw && sw.controller) sw.controller.postMessage({ type: "sync" });
  }

  // A phone photo (often 3 to 5 MB) is sent 2,400 px on its long side, as JPEG: a paper stays readable,
  // and it takes a tenth of the time on a weak line. Kept as it is when that would not make it lighter.
  function lighter(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || file.size < 1048576 || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file).then(function (img) {
      var k = Math.min(1, 2400 / Math.max(img.width, img.height)), c = document.createElement("canvas");
      c.width = Math.round(img.width * k); c.height = Math.round(img.height * k);
      var g = c.getContext("2d");
      g.fillStyle = "#fff"; g.fillRect(0, 0, c.width, c.height); // a transparent PNG on white, not black
      g.drawImage(img, 0, 0, c.width, c.height);
      return new Promise(function (ok) { c.toBlob(ok, "image/jpeg", 0.85); });
    }).then(function (blob) {
      if (!blob || blob.size >= file.size) return file;
      return new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" });
    }, function () { return file; });
  }
  // A size in MB, in the page's language, with the words the element carries (data-mb).
  function mb(el, n) {
    return el.getAttribute("data-mb").replace("{n}", (n / 1048576).toLocaleString(document.documentElement.lang,
      { maximumFractionDigits: 1 }));
  }

  var form = document.getElementById("upload-form");
  if (form && window.FormData && window.XMLHttpRequest) {
    form.addEventListener("submit", function (e) {
      var input = form.querySelector('input[type="file"]');
      var err = document.getElementById("upload-error");
      var picked = input.files && input.files[0];
      if (!picked) return; // the server explains
      e.preventDefault();
      err.textContent = "";
      var ui = { err: err, box: document.getElementById("upload-progress"), bar: document.getElementById("upload-bar"),
        pct: document.getElementById("upload-pct"), button: form.querySelector('button[type="submit"]') };
      ui.button.disabled = true;
      lighter(picked).then(function (file) {
        ui.button.disabled = false;
        if (file.size > +form.getAttribute("data-max")) { err.textContent = form.getAttribute("data-too-big"); return; }
        ui.note = file === picked ? "" : form.getAttribute("data-lighter").replace("{before}", mb(form, picked.size))
          .replace("{after}", mb(form, file.size));
        send(file, ui);
      });
    });
  }
  // The change is kept on this phone before its first try (js/outbox.js): a page closed, or a phone that
  // puts it away, in the middle of a long send loses nothing.
  function send(file, ui) {
    var outbox = window.companionOutbox;
    if (!outbox) { post(file, ui, null); return; }
    outbox.keep(form, file).then(function (it) { post(file, ui, it); });
  }
  function post(file, ui, it) {
    var xhr = new XMLHttpRequest(), outbox = it && window.companionOutbox;
    var data = new FormData(form), err = ui.err, box = ui.box, bar = ui.bar, pct = ui.pct, button = ui.button;
    var part = outbox && +document.getElementById("outbox").dataset.part;
    data.set(form.querySelector('input[type="file"]').name, file, file.name);
    // Without network the file waits on this phone (up to a limit) and is sent later, once: a big one
    // goes in parts, and what arrived before a cut is not sent again.
    var lost = function () {
      box.hidden = true; button.disabled = false;
      if (!outbox) { err.textContent = form.getAttribute("data-failed"); return; }
      outbox.queue(it).then(function (kept) { if (!kept) err.textContent = form.getAttribute("data-failed"); });
    };
    var shown = function (n) {
      var p = Math.round(n * 100 / file.size);
      // "45 %" in French, "45%" in English, the number never on another line than its sign.
      bar.value = p; pct.textContent = (ui.note ? ui.note + " " : "") + (p / 100).toLocaleString(
        document.documentElement.lang, { style: "percent" });
    };
    var done = function (status, body) {
      if (status >= 500 || status === 408 || status === 429) { lost(); return; }
      (outbox ? outbox.done(it) : Promise.resolve()).catch(function () {}).then(function () {
        if (status < 300 && body.url) { location.href = body.url; return; }
        err.textContent = body.message || form.getAttribute("data-failed");
        button.disabled = false;
      });
    };
    box.hidden = false; button.disabled = true; pct.textContent = ui.note;
    if (part && file.size > part) {
      outbox.send(it, shown).then(function (r) {
        if (r.type === "opaqueredirect") return lost();
        return r.json().catch(function () { return {}; }).then(function (body) { done(r.status, body); });
      }, lost);
      return;
    }
    xhr.open("POST", form.action || location.href);
    xhr.timeout = outbox ? outbox.sendTime(file.size) : 0; // by the file's size (js/outbox.js)
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    if (it) xhr.setRequestHeader("Idempotency-Key", it.key);
    xhr.upload.onprogress = function (ev) { if (ev.lengthComputable) shown(ev.loaded * file.size / ev.total); };
    xhr.onload = function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (x) { /* not JSON */ }
      done(xhr.status, body);
    };
    xhr.onerror = xhr.ontimeout = lost;
    xhr.send(data);
  }

  // "Saved on this phone" only once the worker says the bytes are stored; a failure in plain words.
  var pin = document.querySelector(".pin-form"), open = document.getElementById("doc-open");
  var state = document.getElementById("pin-state"), file = open && open.getAttribute("href");
  function show(attr, retry) {
    state.textContent = pin.getAttribute(attr);
    if (!retry) return;
    var b = document.createElement("button");
    b.type = "button"; b.className = "small secondary"; b.textContent = pin.getAttribute("data-retry");
    b.addEventListener("click", function () { show("data-saving"); sync(); });
    state.appendChild(document.createTextNode(" ")); state.appendChild(b);
  }
  function watch() {
    if (!sw || !sw.controller || !window.caches) return;
    show("data-saving");
    caches.match(file).then(function (hit) { if (hit) show("data-saved"); else sync(); });
  }
  if (sw && pin && file) {
    sw.addEventListener("message", function (e) {
      var m = e.data || {};
      if (pin.querySelector('input[name="pinned"]').value !== "0") return; // not kept: nothing to say
      if (m.type === "saved" && m.url === file) show("data-saved");
      if (m.type === "synced" && !m.ok) {
        caches.match(file).then(function (hit) { if (!hit) show(m.failure === "quota" ? "data-quota" : "data-failed", 1); });
      }
    });
  }
  if (pin) {
    pin.addEventListener("submit", function (e) {
      if (!window.fetch) return;
      e.preventDefault();
      var flag = pin.querySelector('input[name="pinned"]'), on = flag.value === "1";
      fetch(pin.action, { method: "POST", body: new FormData(pin), credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrf } })
        .then(function (r) { if (!r.ok) throw r; return r.json(); })
        .then(function () {
          flag.value = on ? "0" : "1";
          pin.querySelector("button").textContent = pin.getAttribute(on ? "data-label-on" : "data-label-off");
          state.textContent = pin.getAttribute(on ? "data-on" : "data-off");
          if (on && navigator.storage && navigator.storage.persist) navigator.storage.persist();
          if (on) watch(); else sync();
        })
        .catch(function () { pin.submit(); });
    });
    if (pin.querySelector('input[name="pinned"]').value === "0") watch(); else sync();
  }

  var info = document.getElementById("doc-storage");
  var note = document.getElementById("offline-notice");
  // A saved copy of the list may be older than what the sync stored since: list what is on the phone.
  if (info && note && note.getAttribute("data-offline-saved") && window.caches) {
    var pre = location.pathname + "/", found = [];
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf("acct-") === 0; }).map(function (n) {
        return caches.open(n).then(function (c) {
          return c.keys().then(function (reqs) {
            return Promise.all(reqs.map(function (r) {
              var path = new URL(r.url).pathname;
              if (path.indexOf(pre) || !/^\d+$/.test(path.slice(pre.length)) || document.querySelector('main a[href="' + path + '"]')) return null;
              return c.match(r, { ignoreVary: true }).then(function (x) { return x.text(); }).then(function (h) {
                var m = /<h1>([^<]*)<\/h1>/.exec(h);
                found.push({ url: path, title: m ? new DOMParser().parseFromString("<title>" + m[1], "text/html").title : path });
              });
            }));
          });
        });
      }));
    }).then(function () {
      if (!found.length) return;
      var sec = document.createElement("section"), h = document.createElement("h2"), ul = document.createElement("ul");
      h.textContent = info.getAttribute("data-saved-h"); ul.className = "doc-list";
      found.forEach(function (d) {
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = d.url; a.textContent = d.title; li.appendChild(a); ul.appendChild(li);
      });
      sec.appendChild(h); sec.appendChild(ul);
      info.parentNode.insertBefore(sec, info);
      var none = document.getElementById("doc-none");
      if (none) none.hidden = true;
    });
  }
  if (info) {
    sync();
    if (navigator.storage && navigator.storage.estimate) {
      navigator.storage.estimate().then(function (est) {
        // The room a browser gives is counted in GB: "10 GB", not "10,240.4 MB".
        var total = est.quota < 1073741824 ? mb(info, est.quota) : info.getAttribute("data-gb").replace("{n}",
          (est.quota / 1073741824).toLocaleString(document.documentElement.lang, { maximumFractionDigits: 1 }));
        var text = info.getAttribute("data-used").replace("{used}", mb(info, est.usage)).replace("{total}", total);
        if (est.quota - est.usage < 50 * 1048576 || est.usage > est.quota * 0.8) text += " " + info.getAttribute("data-low");
        info.textContent = text;
        info.hidden = false;
      });
    }
  }
})();
