// Core of the service worker: app shell, per-account page copies, offline page, wipe on logout.
// Parts (later files) add routes with ROUTES.push({match(req, url), handle(event, req, url)}).
const SHELL_CACHE = "shell-" + VERSION;
const META_CACHE = "companion-meta";
const ROUTES = [];
const PAGE_TIMEOUT_MS = 6000;

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(SHELL_CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((k) => k.startsWith("shell-") && k !== SHELL_CACHE).map((k) => caches.delete(k))
  )).then(() => self.clients.claim()));
});

async function metaGet(key) {
  const hit = await (await caches.open(META_CACHE)).match("/__meta/" + key);
  return hit ? hit.text() : "";
}
async function metaSet(key, value) {
  await (await caches.open(META_CACHE)).put("/__meta/" + key, new Response(value));
}
function accountCacheName(key) { return "acct-" + key; }
async function currentAccountCache() {
  const key = await metaGet("account");
  return key ? caches.open(accountCacheName(key)) : null;
}
async function wipeAccounts(keep) {
  const keys = await caches.keys();
  await Promise.all(keys.filter((k) => k.startsWith("acct-") && k !== keep).map((k) => caches.delete(k)));
  for (const fn of WIPE_HOOKS) await fn(keep);
}
const WIPE_HOOKS = [];

// The server steers what is kept through response headers; this reads them. One at a time: the home
// page and its documents check arrive together, and two account switches run side by side would each
// read the other's half-written state (the second one deleted the offline queue kept for this account).
let observing = Promise.resolve();
function observe(resp) {
  const run = observing.then(() => observeNow(resp));
  observing = run.catch(() => {});
  return run;
}
async function observeNow(resp) {
  const wipe = resp.headers.get("X-Companion-Wipe");
  const key = resp.headers.get("X-Account-Key");
  const shared = resp.headers.get("X-Shared-Device") === "1";
  if (wipe === "all" || wipe === "account" || shared) {
    await wipeAccounts(null);
    await metaSet("account", "");
  } else if (key) {
    const prev = await metaGet("account");
    if (prev !== key) await wipeAccounts(accountCacheName(key));
    await metaSet("account", key);
    const reach = resp.headers.get("X-Profile-Access");
    if (reach) await dropUnreachable(key, reach);
  }
  return { key: shared ? "" : key || "", keep: !shared && resp.headers.get("X-Offline-Cache") === "1" };
}

// Saved copies under /p/<id>/<area> stay only while the account still reaches that profile and area.
const AREA_SCOPE = { agenda: "agenda", documents: "documents:read" };
async function dropUnreachable(key, header) {
  const reach = {};
  for (const part of header.split(";")) {
    const [id, scopes] = part.split("=");
    if (id && id !== "-") reach[id] = (scopes || "").split(" ");
  }
  const cache = await caches.open(accountCacheName(key));
  for (const req of await cache.keys()) {
    const m = new URL(req.url).pathname.match(/^\/p\/(\d+)\/([^/]*)/);
    if (!m) continue;
    const scopes = reach[m[1]];
    const need = AREA_SCOPE[m[2]];
    if (!scopes || (need && !scopes.includes(need))) await cache.delete(req);
  }
}

function timeout(ms) { return new Promise((resolve) => setTimeout(resolve, ms, "timeout")); }

async function savedCopy(request) {
  const cache = await currentAccountCache();
  const hit = cache && await cache.match(request.url, { ignoreVary: true });
  if (!hit) return null;
  // Mark the page as a saved copy so it can say when it was saved.
  const saved = hit.headers.get("X-Saved-At") || "";
  const html = (await hit.text()).replace('data-offline-saved=""', 'data-offline-saved="' + saved + '"');
  return new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function keepCopy(key, request, resp) {
  const headers = new Headers(resp.headers);
  headers.set("X-Saved-At", new Date().toISOString());
  const body = await resp.clone().arrayBuffer();
  await (await caches.open(accountCacheName(key))).put(request.url, new Response(body, { status: 200, headers }));
}

async function offlinePage() {
  const lang = (await metaGet("lang")) || "fr";
  return (await caches.match("/offline/" + lang)) || (await caches.match("/offline/fr")) || Response.error();
}

async function page(event) {
  const req = event.request;
  const network = fetch(req).then(async (resp) => {
    const info = await observe(resp);
    if (req.method === "GET" && resp.ok && info.keep && info.key) await keepCopy(info.key, req, resp);
    return resp;
  });
  if (req.method !== "GET") return network.catch(offlinePage);
  // Network first; on a slow line, a saved copy wins after the timeout, the network otherwise.
  const first = await Promise.race([network.catch(() => "failed"), timeout(PAGE_TIMEOUT_MS)]);
  if (first instanceof Response) return first;
  const copy = await savedCopy(req);
  if (copy) return copy;
  if (first === "timeout") return network.catch(offlinePage);
  return offlinePage();
}

async function shellFirst(req) {
  const hit = await caches.match(req, { ignoreSearch: false });
  if (hit) return hit;
  const resp = await fetch(req);
  if (resp.ok && /\.[0-9a-f]{10}\.\w+$/.test(new URL(req.url).pathname)) {
    (await caches.open(SHELL_CACHE)).put(req, resp.clone());
  }
  return resp;
}

self.addEventListener("message", (e) => {
  const msg = e.data || {};
  if (msg.type === "lang" && /^(fr|en)$/.test(msg.lang)) e.waitUntil(metaSet("lang", msg.lang));
  if (msg.type === "wipe") e.waitUntil(wipeAccounts(null).then(() => metaSet("account", "")));
});

self.addEventListener("fetch", (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  for (const route of ROUTES) {
    if (route.match(req, url)) { e.respondWith(route.handle(e, req, url)); return; }
  }
  if (req.mode === "navigate") { e.respondWith(page(e)); return; }
  if (req.method === "GET" && url.pathname.startsWith("/static/")) e.respondWith(shellFirst(req));
});
