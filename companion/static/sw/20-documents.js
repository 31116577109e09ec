// Documents: the files of pinned and key documents (and pinned documents' pages) in the account cache.
const DOC_FILE = /^\/p\/\d+\/documents\/\d+\/file$/;
const DOC_PAGE = /^\/p\/\d+\/documents\/\d+$/;

ROUTES.push({
  match: (req, url) => req.method === "GET" && DOC_FILE.test(url.pathname),
  // Cache first: a document's bytes never change, and the cache only holds what this account may see.
  handle: async (e, req) => {
    const cache = await currentAccountCache();
    const hit = cache && await cache.match(req.url);
    if (hit) return hit;
    return fetch(req);
  },
});

async function sha256Hex(buf) {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function docsSync(url) {
  const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const info = await observe(resp);
  if (!resp.ok || !info.key) return; // signed out, or a shared computer: keep nothing
  const m = await resp.json();
  const cache = await caches.open(accountCacheName(info.key));
  const saver = m.data_saver || (self.navigator.connection && self.navigator.connection.saveData);
  const want = new Set();
  for (const d of m.documents) {
    if (d.key && saver) continue;
    want.add(d.file);
    if (!(await cache.match(d.file))) {
      const r = await fetch(d.file, { credentials: "same-origin" });
      const body = r.ok ? await r.arrayBuffer() : null;
      if (body && (await sha256Hex(body)) === d.sha256) {
        await cache.put(d.file, new Response(body, { headers: r.headers }));
      }
    }
    if (d.page) {
      want.add(d.page);
      // A page already kept is refreshed when it is visited; do not spend data on it here.
      if (await cache.match(d.page, { ignoreVary: true })) continue;
      const r = await fetch(d.page, { credentials: "same-origin" });
      if (r.ok && r.headers.get("X-Offline-Cache") === "1") await keepCopy(info.key, new Request(d.page), r);
    }
  }
  for (const req of await cache.keys()) {
    const path = new URL(req.url).pathname;
    if (path.startsWith(m.prefix) && (DOC_FILE.test(path) || DOC_PAGE.test(path)) && !want.has(path)) {
      await cache.delete(req);
    }
  }
}

// On each visit of the home page, forget the documents of profiles this account may no longer see.
async function docsPrune() {
  // JSON asked for: the key policy then answers plainly instead of redirecting to its page.
  const resp = await fetch("/documents/offline.json", { credentials: "same-origin", headers: { Accept: "application/json" } });
  const info = await observe(resp);
  if (!resp.ok || !info.key) return;
  const allowed = new Set((await resp.json()).profiles.map(String));
  const cache = await caches.open(accountCacheName(info.key));
  for (const req of await cache.keys()) {
    const m = new URL(req.url).pathname.match(/^\/p\/(\d+)\/documents(\/|$)/);
    if (m && !allowed.has(m[1])) await cache.delete(req);
  }
}

ROUTES.push({
  match: (req, url) => req.mode === "navigate" && url.pathname === "/",
  handle: (e) => { e.waitUntil(docsPrune().catch(() => {})); return page(e); },
});

self.addEventListener("message", (e) => {
  const msg = e.data || {};
  if (msg.type === "docs-sync" && typeof msg.url === "string" && msg.url.startsWith("/p/")) {
    e.waitUntil(docsSync(msg.url).catch(() => {}));
  }
});
