// Outbox (js/outbox.js): Background Sync with no page open; a logout offline wipes, then waits.
function obx(mode, fn) {
  return new Promise((ok, ko) => {
    const req = indexedDB.open("companion-outbox", 1);
    req.onupgradeneeded = () => req.result.createObjectStore("queue", { keyPath: "id", autoIncrement: true });
    req.onerror = () => ko(req.error);
    req.onsuccess = () => {
      const t = req.result.transaction("queue", mode), out = fn(t.objectStore("queue"));
      t.oncomplete = () => { req.result.close(); ok(out.result); };
      t.onerror = () => ko(t.error);
    };
  });
}
// Stopped for a passing reason (the server busy or restarting, the line cut), it rejects: the browser fires
// the sync again later. Refused for good (the page explains) or waiting for its account: it resolves.
const obxBusy = r => { if (r.status > 499 || r.status == 429 || r.status == 408) throw 0; };
async function obxSend() {
  const items = (await obx("readonly", s => s.getAll())).filter(it => !it.problem && !(it.sendBy < Date.now()));
  if (!items.length) return;
  // As js/outbox.js (late: the page explains); only a 200 gives the session.
  const got = await fetch("/outbox/session", { redirect: "manual", cache: "no-store" });
  if (!got.ok) throw 0;
  const { token, account } = await got.json();
  for (const it of items) {
    if (it.trying > Date.now()) throw 0;  // a page tries it now (js/outbox.js): the browser syncs again later
    const out = it.kind == "logout";
    if (!token || (it.account && it.account != account)) {
      if (!out) return;  // a logout: nothing left to end
    } else {
      // A big file from what arrived (as js/outbox.js); refused: the page says why.
      // Done: its form was applied already (a lost answer).
      let fields = it.fields, file = fields.map(f => f[1]).find(v => v.size > PART), url = "/uploads/" + it.key, at = {};
      if (file) {
        for (let r = await fetch(url); (at = await r.json()).received < file.size && !at.done;) {
          r = await fetch(url, { method: "PUT", body: file.slice(at = at.received),
            headers: { "X-CSRFToken": token, "Upload-Offset": at } });
          obxBusy(r);
          if (!r.ok && r.status != 409) return;
        }
        fields = fields.filter(f => f[1] != file).concat([["upload", file.size]]);
      }
      const body = new FormData();
      // The form's old token stays out: the header's fresh one is the one checked (flask_wtf).
      for (const [k, v] of fields) if (k != "csrf_token") body.append(k, v);
      const r = at.done || await fetch(it.url, { method: "POST", body, redirect: "manual",
        headers: { "Accept": "application/json", "X-CSRFToken": token, "Idempotency-Key": it.key } });
      if (!at.done) { obxBusy(r); if (!out && !r.ok) return; }
    }
    await obx("readwrite", s => s.delete(it.id));
  }
}
// An open page with the outbox sends (it shows what goes, and tries again while open); a page without it
// (the offline page, the login page) does not answer, and must not keep the worker from sending.
async function outboxSync() {
  const taken = await Promise.all((await self.clients.matchAll({ type: "window" })).map(p => new Promise(ok => {
    const ch = new MessageChannel();
    ch.port1.onmessage = ok;
    p.postMessage({ type: "outbox-flush" }, [ch.port2]);
    setTimeout(ok, 1000, 0);
  })));
  // The same lock as the pages' (every browser with Background Sync has Web Locks).
  if (!taken.some(Boolean)) return navigator.locks.request("companion-outbox", obxSend);
}
self.addEventListener("sync", e => { if (e.tag == "companion-outbox") e.waitUntil(outboxSync()); });
ROUTES.push({
  match: (req, url) => req.method == "POST" && url.pathname == "/logout",
  handle: (e, req) => send(req).then(async r => { await observe(r); return r; }, async () => {
    const account = await metaGet("account");
    await wipeAccounts(null);
    await metaSet("account", "");
    await obx("readwrite", s => {
      s.clear();
      return s.add({ kind: "logout", url: req.url, key: "logout00", fields: [], account });
    });
    self.registration.sync?.register("companion-outbox").catch(() => {});
    return offlinePage();
  }),
});
