// The offline outbox. A form marked data-outbox is sent with an idempotency key; when the request fails or
// times out, the change (fields, files, key, account) waits in IndexedDB and is sent again in order, once,
// when the server answers (on "online", on page load, every 30 s, on a Background Sync message). The
// server applies each key once. Refusals stay, in plain words, until the person retries or discards.
// Logging out without network erases this device, keeps only the logout, and sends it later.
(function () {
  "use strict";
  // After a change the page opens at the changed item (its fragment), even where the reload
  // restored the old scroll position.
  var mark = location.hash && document.getElementById(location.hash.slice(1));
  if (mark) addEventListener("load", function () { mark.scrollIntoView(); });
  var box = document.getElementById("outbox");
  if (!box || !window.indexedDB || !window.fetch || !window.Promise) return;
  var d = box.dataset, DB = "companion-outbox", STORE = "queue", conn = null, busy = false;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var status = document.getElementById("outbox-status"), list = document.getElementById("outbox-list");
  var details = document.getElementById("outbox-details"), attention = document.getElementById("outbox-attention");
  var warn = document.getElementById("outbox-logout"), notes = [], pending = 0;
  var sendLine = document.getElementById("outbox-sending"), sendBar = document.getElementById("outbox-bar");
  var sendPct = document.getElementById("outbox-pct");

  function open() {
    if (conn) return Promise.resolve(conn);
    return new Promise(function (ok, ko) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true }); };
      req.onsuccess = function () {
        conn = req.result;
        conn.onversionchange = function () { conn.close(); conn = null; }; // the worker wipes: let it
        ok(conn);
      };
      req.onerror = function () { ko(req.error); };
    });
  }
  function tx(mode, fn) {
    return open().then(function (db) {
      return new Promise(function (ok, ko) {
        var t = db.transaction(STORE, mode), out = fn(t.objectStore(STORE));
        t.oncomplete = function () { ok(out && out.result); };
        t.onerror = t.onabort = function () { ko(t.error); };
      });
    });
  }
  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function drop(id) { return tx("readwrite", function (s) { return s.delete(id); }); }
  function put(it) { return tx("readwrite", function (s) { return s.put(it); }); }
  function add(it) { return tx("readwrite", function (s) { return s.add(it); }); }
  function key() {
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function el(tag, text, cls) { var e = document.createElement(tag); e.textContent = text || ""; if (cls) e.className = cls; return e; }
  function button(text, fn) { var b = el("button", text, "secondary"); b.type = "button"; b.addEventListener("click", fn); return b; }
  function fill(t, it) { return t.replace("{label}", it.label || "").replace("{name}", it.who || "").replace("{n}", it.n); }
  function timed(url, init, ms) {
    var ctl = new AbortController(), timer = setTimeout(function () { ctl.abort(); }, ms);
    init.signal = ctl.signal; init.credentials = "same-origin"; init.redirect = "manual";
    return fetch(url, init).finally(function () { clearTimeout(timer); });
  }
  function waiting(items) { return items.filter(function (it) { return !it.problem && it.kind !== "logout"; }); }

  function show(items) {
    var w = waiting(items).filter(function (it) { return !held(it); });
    pending = w.length + items.filter(function (it) { return it.problem; }).length;
    status.hidden = !w.length;
    status.textContent = w.length === 1 ? d.one : fill(d.many, { n: w.length });
    list.textContent = "";
    w.forEach(function (it) { list.appendChild(el("li", it.label)); });
    details.hidden = !w.length;
    document.querySelectorAll(".pending").forEach(function (e) { e.classList.remove("pending"); });
    w.forEach(function (it) {
      var e = it.mark && it.page === location.pathname && document.getElementById(it.mark);
      if (!e) return;
      e.classList.add("pending");
      if (!e.querySelector(".pending-note")) e.appendChild(el("p", d.waiting, "pending-note"));
    });
    attention.textContent = "";
    notes.forEach(function (t) { attention.appendChild(el("p", t)); });
    items.filter(function (it) { return it.problem; }).forEach(function (it) {
      var p = attention.appendChild(el("p", it.problem));
      p.appendChild(el("br"));
      if (it.current != null) {
        p.appendChild(button(d.mine, function () { retry(it, it.current); }));
        p.appendChild(document.createTextNode(" "));
        p.appendChild(button(d.theirs, function () { notes = []; drop(it.id).then(refresh); }));
        return;
      }
      if (it.retry) p.appendChild(button(d.retry, function () { retry(it); }));
      if (it.old && it.page) { var a = p.appendChild(el("a", d.open)); a.href = it.page; }
      p.appendChild(document.createTextNode(" "));
      p.appendChild(button(d.discard, function () { notes = []; forget(it); drop(it.id).then(refresh); }));
    });
    attention.hidden = !attention.firstChild;
    sendLine.hidden = true;
    box.hidden = status.hidden && attention.hidden && warn.hidden;
  }
  // A file sent again after a cut: how much has arrived, from what the server kept, as it goes.
  function sending(it, at) {
    var f = Math.min(at / (it.size || 1), 1);
    sendBar.value = Math.round(f * 100);
    sendPct.textContent = d.sending.replace("{pct}",
      f.toLocaleString(document.documentElement.lang, { style: "percent" }));
    sendLine.hidden = box.hidden = false;
  }
  // A discarded change's parts already sent are of no use: they go now, not in 30 days.
  function forget(it) {
    if (it.big) timed("/uploads/" + it.key, { method: "DELETE", headers: { "X-CSRFToken": meta ? meta.content : "" } }, 8000).catch(function () {});
  }
  function refresh() { return all().then(show); }
  function say(text) { notes = [text]; return refresh().catch(function () { show([]); }); } // said even if storage fails
  // "Keep my name": send again on top of the name seen now, with a new key (a new request).
  function retry(it, base) {
    if (base != null) {
      it.fields = it.fields.map(function (f) { return f[0] === "base_title" ? [f[0], base] : f; });
      it.key = key();
    }
    delete it.problem; delete it.current; delete it.retry;
    return put(it).then(flush);
  }

  // The session now: its form token and account ({} once signed out). The page may be a copy saved under
  // an earlier sign-in. Any answer but a 200 (a restart's 502, a 429) says nothing: everything waits.
  function session() {
    return timed("/outbox/session", { cache: "no-store" }, 8000).then(function (r) {
      if (!r.ok) throw new Error("later");
      return r.json().then(function (s) {
        if (s.token && meta) meta.content = s.token;
        return s.token && s.account ? s : {};
      });
    });
  }
  function body(fields, token) {
    var fd = new FormData();
    fields.forEach(function (f) {
      if (f[0] === "csrf_token") return;
      if (f[1] instanceof Blob) fd.append(f[0], f[1], f[1].name || "file"); else fd.append(f[0], f[1]);
    });
    fd.append("csrf_token", token);
    return fd;
  }
  // A file may take the base time plus what the slowest line served (25 KB/s) needs for its bytes: cut
  // at a fixed 120 s, a file over ~6 MB never got through on Slow 3G, and held the queue behind it.
  function sendTime(bytes) { return +d.sendMs + bytes / 25; }
  // A file over d.part is sent resumably (services/upload_parts.py): the server keeps what arrives even
  // when the line drops, the next try asks how much arrived and sends only the rest, then the form gives
  // the file's size in place of the file (the bytes are under the change's own key, its
  // Idempotency-Key). Gives the fields to send, or the answer that refused the bytes.
  // `progress(bytes)`: what arrived so far. A first try (`fresh`) knows nothing arrived yet.
  function parts(it, token, progress, fresh) {
    var i = it.fields.findIndex(function (f) { return f[1] instanceof Blob && f[1].size > +d.part; });
    if (i < 0) return Promise.resolve(it.fields);
    var file = it.fields[i][1], url = "/uploads/" + it.key;
    function next(r) {
      if (later(r) || (!r.ok && r.status !== 409)) return r;
      return r.json().then(function (b) {
        var at = b.received;
        // Its form was applied (the answer was lost, or the item was sent by an older page whole).
        if (b.done) return new Response("{}");
        if (at >= file.size) {
          return it.fields.filter(function (f, j) { return j !== i; }).concat([["upload", file.size]]);
        }
        if (progress) progress(at);
        return putPart(url, file.slice(at), at, token, progress).then(next);
      });
    }
    if (fresh) return next(new Response('{"received":0}'));
    return timed(url, { cache: "no-store", headers: { "Accept": "application/json" } }, 8000).then(next);
  }
  // XHR for its upload progress. Any redirect (signed out meanwhile) is a failure: the rest waits.
  function putPart(url, blob, at, token, progress) {
    return new Promise(function (ok, ko) {
      var x = new XMLHttpRequest();
      x.open("PUT", url);
      x.timeout = sendTime(blob.size);
      x.setRequestHeader("Accept", "application/json");
      x.setRequestHeader("X-CSRFToken", token);
      x.setRequestHeader("Upload-Offset", at);
      if (progress) x.upload.onprogress = function (e) { progress(at + e.loaded); };
      x.onload = function () { if (x.responseURL.indexOf(url) < 0) ko(); else ok(new Response(x.responseText, { status: x.status })); };
      x.onerror = x.ontimeout = ko;
      x.send(blob);
    });
  }
  function send(it, token, progress, fresh) {
    return parts(it, token, progress, fresh).then(function (f) {
      if (f instanceof Response) return f;
      return timed(it.url, { method: "POST", body: body(f, token), headers: { "Accept": "application/json",
        "X-CSRFToken": token, "Idempotency-Key": it.key } }, !it.big ? 8000 : f === it.fields ? sendTime(it.size || 0) : sendTime(0));
    });
  }
  function later(r) { return r.type === "opaqueredirect" || r.status >= 500 || r.status === 429 || r.status === 408; }
  function why(r) { return r.json().catch(function () { return {}; }); }
  // One answer decides: sent (removed), try later (stop), or a problem shown to the person (kept).
  function settle(it, r) {
    if (later(r)) throw new Error("later");
    if (r.ok) return drop(it.id).then(function () { return 1; });
    return why(r).then(function (b) {
      var label = { label: it.label, who: it.who };
      if (b.kind === "renamed") { it.current = b.current; it.problem = b.message; }
      else if (b.kind === "access") it.problem = fill(d.access, label);
      else if (b.kind === "gone" || r.status === 404 || r.status === 410) it.problem = fill(d.gone, label);
      else { it.retry = 1; it.problem = fill(d.problem, label).replace("{why}", b.message || d.refused); }
      return put(it).then(function () { return 0; });
    });
  }
  function run() {
    var sent = 0;
    return all().then(function (items) {
      // "Too old" is the phone's clock speaking: set right again (it ran ahead), the change goes.
      items.forEach(function (it) { if (it.old && !(it.sendBy < Date.now())) { delete it.old; delete it.problem; put(it); } });
      var todo = items.filter(function (it) { return !it.problem; });
      if (!todo.length) return;
      return session().then(function (s) {
        return todo.reduce(function (chain, it) {
          return chain.then(function () {
            if (held(it)) throw new Error("later"); // its page still tries it: it goes first
            if (it.kind === "logout") {
              // Already ended, or this browser now holds another account's session: nothing to end.
              if (!s.token || (it.account && it.account !== s.account)) return drop(it.id);
              return timed(it.url, { method: "POST", body: body(it.fields, s.token) }, 15000).then(function (r) {
                if (later(r)) throw new Error("later"); // the session still lives: the logout waits
                return drop(it.id).then(function () { location.replace("/login"); });
              });
            }
            if (!s.token) throw new Error("signed out"); // kept for when this account signs in again
            if (it.account && it.account !== s.account) {
              it.problem = fill(d.other, it);
              return put(it);
            }
            if (it.sendBy < Date.now()) { it.problem = fill(d.old, it); it.old = 1; return put(it); }
            var progress = it.big ? function (at) { sending(it, at); } : null;
            return send(it, s.token, progress).then(function (r) { return settle(it, r); })
              .then(function (n) { sent += n; });
          });
        }, Promise.resolve());
      });
    }).catch(function () { /* no network or server busy: the rest waits, in order */ })
      .then(function () { return sent; });
  }
  function flush() {
    if (busy) return Promise.resolve();
    busy = true;
    // One sender at a time across tabs; the server's keys make a double send harmless anyway.
    var p = navigator.locks ? navigator.locks.request("companion-outbox", run) : run();
    return p.then(function (sent) {
      busy = false;
      notes = [];
      var typing = document.activeElement && /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName);
      if (sent && !typing) location.reload(); else return refresh();
    }, function () { busy = false; });
  }

  function fields(form, submitter) {
    var out = [];
    new FormData(form).forEach(function (v, k) { if (!(v instanceof Blob) || v.size) out.push([k, v]); });
    if (submitter && submitter.name) out.push([submitter.name, submitter.value]);
    return out;
  }
  function sizeOf(it) { return it.fields.reduce(function (n, f) { return n + (f[1] instanceof Blob ? f[1].size : 0); }, 0); }
  function sized(it) { it.size = sizeOf(it); it.big = it.size > 0; return it.size; }
  function queue(it) {
    if (d.shared) return say(d.sharedText).then(function () { return false; });
    if (sized(it) > +d.max) return say(d.tooBig).then(function () { return false; });
    // A full phone (or storage refused) must say the change was not kept, never fail in silence.
    return (it.id ? put(it) : add(it)).then(function () { bgSync(); notes = [d.saved]; return refresh().then(function () { return true; }); },
      function () { return say(d.full).then(function () { return false; }); });
  }
  // Background Sync, where the browser has it: the worker sends even if no page is open then.
  function bgSync() {
    if ("SyncManager" in window) navigator.serviceWorker.ready.then(function (r) { return r.sync.register("companion-outbox"); }).catch(function () {});
  }
  function go(url) {
    var u = new URL(url || location.href, location.href);
    if (u.pathname + u.search === location.pathname + location.search) { location.hash = u.hash; location.reload(); }
    else location.assign(u.href);
  }
  function item(form, submitter) {
    var li = form.closest("[id]");
    var h = form.closest("li, main") && form.closest("li, main").querySelector("h1, h3");
    // Sent by then or not at all: the server keeps its receipts a few days longer (services/receipts.py).
    return { url: form.action, key: key(), fields: fields(form, submitter), account: d.account, who: d.who,
      sendBy: Date.now() + +d.within,
      label: form.dataset.outboxLabel || (submitter ? submitter.textContent.trim() + ": " : "") +
        (h ? h.firstChild.textContent.trim() : document.title),
      mark: li ? li.id : "", page: location.pathname };
  }
  // Tried at once with its key, kept while it is tried (not shown as waiting then): a page closed or a
  // phone asleep in the middle of the try loses nothing, the next page sends it once the try's time is
  // over. Behind older changes still waiting, or one being tried, it waits its turn: sent first, it would
  // be overwritten by them.
  function submit(form, submitter) {
    var it = item(form, submitter), token = meta ? meta.content : "";
    return all().catch(function () { return []; }).then(function (items) {
      if (waiting(items).length) return queue(it).then(flush);
      return hold(it).then(function () { return send(it, token); }).then(function (r) {
        if (later(r) && r.type !== "opaqueredirect") throw new Error("later");
        return (it.id ? drop(it.id) : Promise.resolve()).then(function () {
          if (r.ok) return r.json().then(function (b) { go(b.url); });
          form.dataset.native = "1"; // a refusal: the plain form shows it, with its errors
          if (form.requestSubmit) form.requestSubmit(submitter); else form.submit();
        });
      }, function () { throw new Error("later"); }).catch(function () { delete it.trying; return queue(it); });
    });
  }
  function hold(it, ms) {
    if (d.shared || sized(it) > +d.max) return Promise.resolve(); // nothing kept there: queue() says why
    it.trying = Date.now() + (ms || 10000); // the try's 8 s, and a margin
    return add(it).then(function (id) { it.id = id; }, function () { delete it.trying; });
  }
  // A file's first try may last minutes on a weak line: the change is held for the try's longest time
  // (the worker, with no page open, waits that long), and the page that tries it beats a heartbeat in
  // localStorage (a few bytes; rewriting the stored change would write the whole file again each time).
  // A page closed, or a phone that put it away, stops beating: within LEASE the next page takes the
  // change and sends it from what arrived.
  var LEASE = 15000, beats = {}, BEAT = "companion-try-";
  function lease(it) {
    var most = sendTime(sizeOf(it)) + sendTime(0) + 10000;
    it.leased = 1;
    return hold(it, most).then(function () {
      if (!it.id) return;
      var beat = function () { try { localStorage.setItem(BEAT + it.key, Date.now()); } catch (e) { /* full */ } };
      beat();
      beats[it.key] = setInterval(beat, LEASE / 3);
      bgSync();
    });
  }
  function unlease(it) {
    clearInterval(beats[it.key]);
    try { localStorage.removeItem(BEAT + it.key); } catch (e) { /* none */ }
    delete it.trying; delete it.leased;
    return it;
  }
  // Held by a page's try: a form's for its 8 s; a file's while its page's heartbeat goes on.
  function held(it) {
    if (!(it.trying > Date.now())) return false;
    if (!it.leased) return true;
    try { return +localStorage.getItem(BEAT + it.key) > Date.now() - LEASE; } catch (e) { return true; }
  }
  window.companionOutbox = { key: key, sendTime: sendTime,
    // The upload page's change, kept on this phone before its first try. `file`: what the page sends in
    // place of the chosen file (a photo made lighter, js/documents.js). Gives the change.
    keep: function (form, file) {
      var it = item(form);
      it.fields = it.fields.map(function (f) { return f[1] instanceof Blob ? [f[0], file] : f; });
      return lease(it).then(function () { return it; });
    },
    // Its first try, in parts when the file is big (`progress`: bytes arrived).
    send: function (it, progress) { return send(it, meta ? meta.content : "", progress, true); },
    // Answered (added, or refused: the page says why): no longer kept.
    done: function (it) { unlease(it); return it.id ? drop(it.id) : Promise.resolve(); },
    // Not answered: it waits, shown, for the next try.
    queue: function (it) { return queue(unlease(it)); } };

  // Changes not sent belong to the session that ends: they go. Without network the device is erased at
  // once and the logout itself waits to be sent.
  function logout(form) {
    var up = timed("/healthz", { cache: "no-store" }, 5000).then(function (r) { return r.ok; }, function () { return false; });
    return up.then(function (online) {
      return tx("readwrite", function (s) { return s.clear(); }).catch(function () {}).then(function () {
        if (online) { form.dataset.native = "1"; form.submit(); return; }
        return add({ kind: "logout", url: form.action, key: key(), fields: [], account: d.account }).then(function () {
          var sw = navigator.serviceWorker && navigator.serviceWorker.controller;
          if (sw) sw.postMessage({ type: "wipe" });
          bgSync();
          var main = document.getElementById("main"), nav = document.querySelector("header nav");
          if (nav) nav.hidden = true;
          box.hidden = true;
          main.textContent = "";
          main.appendChild(el("h1", d.outTitle));
          main.appendChild(el("p", d.outText, "lead"));
          main.focus();
        });
      });
    });
  }
  function confirmLogout(form, n) {
    warn.textContent = "";
    warn.appendChild(el("p", n === 1 ? d.loseOne : fill(d.loseMany, { n: n })));
    warn.appendChild(button(d.anyway, function () { warn.hidden = true; logout(form); }));
    warn.appendChild(document.createTextNode(" "));
    warn.appendChild(button(d.stay, function () { warn.hidden = true; refresh(); }));
    warn.hidden = box.hidden = false;
    warn.querySelector("button").focus();
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || form.dataset.native) return;
    if (form.matches("form[data-logout]")) {
      // Nothing waiting and no sign of being offline: the plain form (the worker still catches a logout
      // that fails). Otherwise name what would be lost first, or erase this device now.
      if (!pending && navigator.onLine !== false) return;
      e.preventDefault();
      if (pending) confirmLogout(form, pending); else logout(form);
    } else if (form.matches("form[data-outbox]")) {
      e.preventDefault();
      submit(form, e.submitter);
    }
  });
  window.addEventListener("online", flush);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (!e.data || e.data.type !== "outbox-flush") return;
      if (e.ports[0]) e.ports[0].postMessage(1); // "this page sends": the worker leaves it to us
      flush();
    });
  }
  setInterval(function () { all().then(function (items) { if (items.length) flush(); }); }, 30000);
  all().then(function (items) { show(items); if (items.length) flush(); }, function () {});
})();
