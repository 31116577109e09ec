// Offline on a signed-in page: asks before key documents are copied; what is on this phone, read from
// the worker's caches (offline too): a line per profile on the start screen, and the "On this phone"
// page listing every saved item with its size and a button to remove it.
(function () {
  "use strict";
  var sw = navigator.serviceWorker, ask = document.getElementById("keys-ask");
  var choice = document.getElementById("keys-choice");
  var capNote = document.getElementById("cap-note"), used = document.getElementById("cap-used");
  // A size in the page's language with the words the element carries, rounded as the pages round it
  // (documents/_macros.html size_text): KB under a megabyte, so a small document is never "0 MB".
  function sizeText(el, n) {
    return n >= 1048576 || !n ? el.getAttribute("data-mb").replace("{n}", (n / 1048576).toLocaleString(
      document.documentElement.lang, { maximumFractionDigits: 1 }))
      : el.getAttribute("data-kb").replace("{n}", Math.ceil(n / 1024));
  }
  // The data settings page says what this phone downloaded by itself this month (counted by the worker).
  if (used && window.caches) {
    caches.open("companion-meta").then(function (c) {
      return c.match("/__meta/spent-" + new Date().toISOString().slice(0, 7));
    }).then(function (r) { return r ? r.text() : "0"; }).then(function (n) {
      used.textContent = used.getAttribute("data-text").replace("{size}", sizeText(used, +n || 0));
      used.hidden = false;
    });
  }
  // The answer to "keep the key documents?" (the banner, or the data settings page) is kept per device.
  if (sw) {
    if (choice && sw.controller) choice.hidden = false;
    // Back online: the sync also reports the documents opened without network. The "online" event can
    // come before requests get through (the line, or the worker's own network, is still coming up): a
    // sync it asked for that failed for the network is asked again, a few times, a second apart.
    var retries = 0;
    function syncNow() { if (sw.controller) sw.controller.postMessage({ type: "sync" }); }
    window.addEventListener("online", function () { retries = 5; syncNow(); });
    sw.addEventListener("message", function (e) {
      var m = e.data || {};
      if (m.type === "synced") {
        if (m.capped && capNote) {
          capNote.firstChild.textContent = capNote.getAttribute("data-text").replace("{size}", sizeText(capNote, m.cap));
          capNote.hidden = false;
        }
        if (m.ok || m.failure !== "network" || navigator.onLine === false) retries = 0;
        else if (retries > 0) { retries--; setTimeout(syncNow, 1000); }
        return;
      }
      if (m.type !== "ask" || !ask || !ask.hidden) return;
      ask.firstChild.textContent = ask.getAttribute("data-text").replace("{size}", sizeText(ask, m.bytes));
      ask.hidden = false;
    });
    document.addEventListener("click", function (e) {
      var b = e.target;
      if (!b.matches || !b.matches("#keys-ask button, [data-keys]") || !sw.controller) return;
      sw.controller.postMessage({ type: "keys", ok: b.value === "1" });
      if (ask) ask.hidden = true;
      if (choice && b.textContent.slice(-1) !== "✓") b.textContent += " ✓";
    });
  }
  var box = document.getElementById("on-phone");
  if (!box || !window.caches) return;
  var lang = document.documentElement.lang || "fr", name = "acct-" + box.getAttribute("data-account");
  var list = document.getElementById("on-phone-list");
  function t(k) { return box.getAttribute("data-" + k); }
  function size(n) { return sizeText(box, n); }
  function when(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : window.companionDate(d, { timeStyle: "short" }, lang);
  }
  function entries() {
    return caches.has(name).then(function (has) { return has ? caches.open(name) : null; }).then(function (c) {
      return c ? c.keys().then(function (reqs) {
        return Promise.all(reqs.map(function (r) {
          return c.match(r, { ignoreVary: true }).then(function (resp) {
            return resp.blob().then(function (b) {
              return { url: new URL(r.url).pathname, size: b.size, at: resp.headers.get("X-Saved-At") || "", blob: b };
            });
          });
        }));
      }) : [];
    });
  }
  // The queue of changes made offline (js/outbox.js); never created here.
  function pending() {
    if (!window.indexedDB || !indexedDB.databases) return Promise.resolve([]);
    return indexedDB.databases().then(function (dbs) {
      if (!dbs.some(function (d) { return d.name === "companion-outbox"; })) return [];
      return new Promise(function (ok) {
        var req = indexedDB.open("companion-outbox");
        req.onerror = function () { ok([]); };
        req.onsuccess = function () {
          var db = req.result;
          if (!db.objectStoreNames.contains("queue")) { db.close(); ok([]); return; }
          var g = db.transaction("queue").objectStore("queue").getAll();
          g.onsuccess = g.onerror = function () { db.close(); ok(g.result || []); };
        };
      });
    }).catch(function () { return []; });
  }
  if (sw && sw.controller) sw.controller.postMessage({ type: "sync" });

  if (!list) {
    Promise.all([entries(), pending()]).then(function (r) {
      document.querySelectorAll(".on-phone[data-profile]").forEach(function (p) {
        var pre = "/p/" + p.getAttribute("data-profile") + "/", lines = [], bytes = 0, last = "";
        var mine = r[0].filter(function (e) { return e.url.indexOf(pre) === 0; });
        mine.forEach(function (e) {
          if (e.url === pre + "emergency") lines.push(t("card").replace("{date}", when(e.at)));
          if (e.url === pre + "agenda") lines.push(t("agenda").replace("{date}", when(e.at)));
        });
        var files = mine.filter(function (e) { return /\/file$/.test(e.url); });
        files.forEach(function (f) { bytes += f.size; if (f.at > last) last = f.at; });
        if (files.length) {
          lines.push(t(files.length === 1 ? "doc1" : "docs").replace("{n}", files.length)
            .replace("{size}", size(bytes)).replace("{date}", when(last)));
        }
        var n = r[1].filter(function (it) { return String(it.url).indexOf(pre) >= 0; }).length;
        if (n) lines.push(n === 1 ? t("pending1") : t("pending").replace("{n}", n));
        p.textContent = lines.length ? lines.join(" ") : t("none");
        p.hidden = false;
      });
    });
    return;
  }

  var total = document.getElementById("on-phone-total"), sum = 0;
  function shown() { total.textContent = sum ? t("total").replace("{size}", size(sum)) : t("empty"); }
  entries().then(function (all) {
    var titles = {};
    return Promise.all(all.map(function (e) {
      return /html/.test(e.blob.type) ? e.blob.text().then(function (h) {
        var m = /<title>([^<]*)/.exec(h);
        titles[e.url] = m ? new DOMParser().parseFromString("<title>" + m[1], "text/html").title.replace(/ · Companion$/, "") : e.url;
      }) : null;
    })).then(function () {
      all.sort(function (a, b) { return a.url < b.url ? -1 : 1; }).forEach(function (e) {
        var li = document.createElement("li"), b = document.createElement("button"), s = document.createElement("span");
        li.textContent = titles[e.url] || t("file").replace("{name}", titles[e.url.replace(/\/file$/, "")] || e.url);
        s.className = "muted";
        s.textContent = size(e.size) + " · " + t("saved").replace("{date}", when(e.at));
        b.type = "button"; b.className = "small secondary"; b.textContent = t("remove");
        b.setAttribute("aria-label", t("remove") + " — " + li.textContent);
        b.addEventListener("click", function () {
          if (sw && sw.controller) sw.controller.postMessage({ type: "forget", url: e.url });
          else caches.open(name).then(function (c) { c.delete(e.url, { ignoreVary: true }); });
          if (/\/file$/.test(e.url)) { // a pinned document is no longer kept: tell the server when it answers
            var f = new FormData(), csrf = document.querySelector('meta[name="csrf-token"]').content;
            f.append("pinned", "0");
            fetch(e.url.replace(/file$/, "pin"), { method: "POST", body: f, credentials: "same-origin",
              headers: { Accept: "application/json", "X-CSRFToken": csrf } }).catch(function () {});
          }
          sum -= e.size; li.remove(); shown();
        });
        sum += e.size;
        li.appendChild(s); li.appendChild(b);
        list.appendChild(li);
      });
      shown();
    });
  });
})();
