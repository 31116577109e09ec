// Offline queue for "mark as done": each action is kept in IndexedDB with an idempotency key and sent
// in order once the server answers again; the server applies each key once. Pending actions are shown.
(function () {
  "use strict";
  var DB = "companion-outbox", STORE = "queue", busy = false;
  var status = document.getElementById("outbox-status");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var attention = document.getElementById("outbox-attention"), gone = [];

  function open() {
    return new Promise(function (ok, ko) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true }); };
      req.onsuccess = function () { ok(req.result); };
      req.onerror = function () { ko(req.error); };
    });
  }
  function tx(mode, fn) {
    return open().then(function (db) {
      return new Promise(function (ok, ko) {
        var t = db.transaction(STORE, mode), out = fn(t.objectStore(STORE));
        t.oncomplete = function () { ok(out && out.result); };
        t.onerror = function () { ko(t.error); };
      });
    });
  }
  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function key() {
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function token() { return meta ? meta.content : ""; }
  // The page may come from the offline copy, made under an earlier sign-in: ask the server for the
  // token of the current session (the agenda page carries it in its meta tag).
  function freshToken() {
    return fetch(location.href, { credentials: "same-origin", cache: "no-store", redirect: "manual" })
      .then(function (r) { return r.ok ? r.text() : ""; }).then(function (html) {
        var m = /name="csrf-token" content="([^"]+)"/.exec(html);
        if (m && meta) meta.content = m[1];
        return m ? m[1] : "";
      });
  }
  function say(el, text) { var p = document.createElement("p"); p.textContent = text; el.appendChild(p); return p; }
  function button(text, fn) {
    var b = document.createElement("button"); b.type = "button"; b.className = "secondary";
    b.textContent = text; b.addEventListener("click", fn); return b;
  }
  // The item's name is read from the page, not kept in the queue (which may outlive the session).
  function label(it) {
    var h = document.querySelector("#item-" + it.rule + " h3");
    return h && h.firstChild ? h.firstChild.textContent.trim() : "";
  }
  function show(items) {
    if (!status) return;
    document.querySelectorAll(".agenda-item.pending").forEach(function (el) { el.classList.remove("pending"); });
    var waiting = items.filter(function (it) { return !it.problem; });
    items.forEach(function (it) {
      var el = document.getElementById("item-" + it.rule);
      if (el) el.classList.add("pending");
    });
    status.hidden = !waiting.length;
    status.textContent = waiting.length === 1 ? status.dataset.one : status.dataset.many.replace("{n}", waiting.length);
    if (!attention) return;
    attention.textContent = "";
    gone.forEach(function (text) { say(attention, text); });
    items.filter(function (it) { return it.problem; }).forEach(function (it) {
      var p = say(attention, attention.dataset.problem.replace("{label}", label(it)).replace("{why}", it.problem));
      p.appendChild(document.createElement("br"));
      p.appendChild(button(attention.dataset.retry, function () { update(it.id, null).then(flush); }));
      p.appendChild(document.createTextNode(" "));
      p.appendChild(button(attention.dataset.discard, function () { drop(it.id).then(refresh); }));
    });
    attention.hidden = !attention.firstChild;
  }
  function refresh() { return all().then(show); }
  function drop(id) { return tx("readwrite", function (s) { return s.delete(id); }); }
  function update(id, problem) {
    return tx("readwrite", function (s) {
      var req = s.get(id);
      req.onsuccess = function () { if (req.result) { req.result.problem = problem; s.put(req.result); } };
    });
  }
  function send(it, csrf) {
    var ctl = new AbortController(), timer = setTimeout(function () { ctl.abort(); }, 8000);
    return fetch(it.url, {
      method: "POST", credentials: "same-origin", signal: ctl.signal, redirect: "manual",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
        "X-CSRFToken": csrf, "Idempotency-Key": it.key },
      body: JSON.stringify(it.body)
    }).finally(function () { clearTimeout(timer); });
  }
  function reason(resp) {
    return resp.json().then(function (b) { return b && b.message; }, function () { return ""; })
      .then(function (m) { return m || attention.dataset.refused; });
  }
  // Sends in order; stops when the server cannot be reached. Only a success or a definite "gone" (shown
  // to the person) removes an action; a refusal keeps it, in plain words, to retry or discard.
  function flush() {
    if (busy) return Promise.resolve();
    busy = true;
    var sent = 0;
    function next(items) {
      if (!items.length) return null;
      var it = items[0], rest = function () { return next(items.slice(1)); };
      if (it.problem) return rest();
      return send(it, token()).then(function (resp) {
        if (resp.status !== 400) return resp;
        return freshToken().then(function (t) { return t ? send(it, t) : resp; });
      }).then(function (resp) {
        var later = resp.type === "opaqueredirect" || resp.status >= 500 || resp.status === 429 || resp.status === 408;
        if (later) throw new Error("later");
        if (resp.ok) { sent++; return drop(it.id).then(rest); }
        if (resp.status === 404 || resp.status === 410) {
          gone.push(attention.dataset.gone.replace("{label}", label(it)));
          return drop(it.id).then(rest);
        }
        return reason(resp).then(function (why) { return update(it.id, why); }).then(rest);
      });
    }
    return all().then(next).then(function () {
      if (sent && !gone.length) location.reload();
    }).catch(function () { /* offline or server busy: try again later */ })
      .finally(function () { busy = false; refresh(); });
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-outbox]") || !window.indexedDB) return;
    e.preventDefault();
    var li = form.closest("[data-rule]");
    // No CSRF token is stored: the one of the session at send time is used (a new sign-in changes it).
    var item = { url: form.action, key: key(), rule: li ? li.dataset.rule : "",
      body: { done_on: form.elements.done_on.value } };
    tx("readwrite", function (s) { return s.add(item); }).then(function () {
      return refresh();
    }).then(flush).catch(function () { form.submit(); });
  });
  window.addEventListener("online", flush);
  setInterval(function () { all().then(function (items) { if (items.length) flush(); }); }, 30000);
  if (window.indexedDB) all().then(function (items) { show(items); if (items.length) flush(); });
})();
