// Outbox (js/outbox.js): Background Sync with no page open; a logout without network wipes and waits.
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
async function obxSend() {
  const items = (await obx("readonly", (s) => s.getAll())).filter((it) => !it.problem);
  if (!items.length) return;
  const home = await fetch("/", { redirect: "manual", cache: "no-store" });
  const acct = home.headers.get("X-Account-Key");
  const m = /name="csrf-token" content="([^"]+)"/.exec(home.ok ? await home.text() : "");
  for (const it of items) {
    if (!m || !acct || (it.account && it.account !== acct)) return;
    const body = new FormData();
    for (const [k, v] of it.fields) if (k !== "csrf_token") body.append(k, v);
    body.append("csrf_token", m[1]);
    const r = await fetch(it.url, { method: "POST", body, redirect: "manual",
      headers: { "Accept": "application/json", "X-CSRFToken": m[1], "Idempotency-Key": it.key } });
    if (!r.ok && it.kind !== "logout") return;
    await obx("readwrite", (s) => s.delete(it.id));
  }
}
self.addEventListener("sync", (e) => {
  if (e.tag === "companion-outbox") e.waitUntil(self.clients.matchAll({ type: "window" }).then((pages) => {
    if (pages.length) return pages.forEach((p) => p.postMessage({ type: "outbox-flush" }));
    return navigator.locks ? navigator.locks.request("companion-outbox", obxSend) : obxSend();
  }));
});
ROUTES.push({
  match: (req, url) => req.method === "POST" && url.pathname === "/logout",
  handle: (e, req) => fetch(req).then(async (r) => { await observe(r); return r; }, async () => {
    const account = await metaGet("account");
    await wipeAccounts(null);
    await metaSet("account", "");
    await obx("readwrite", (s) => {
      s.clear();
      return s.add({ kind: "logout", url: req.url, key: "logout00", fields: [], account });
    });
    return offlinePage();
  }),
});
