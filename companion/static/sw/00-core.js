// Core of the service worker: app shell, per-account saved pages (the saved copy first on a slow line),
// and a wipe whenever an answer says the session is gone. Header names: companion/sw_contract.py.
// Parts (later files) add routes with ROUTES.push({match(req, url), handle(event, req, url)}).
const SHELL_CACHE = "shell-" + VERSION;
const META_CACHE = "companion-meta";
const ROUTES = [];
const WIPE_HOOKS = [];

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
async function metaList(key) {
  try { return JSON.parse(await metaGet(key)) || []; } catch (x) { return []; }
}
function accountCacheName(key) { return "acct-" + key; }
// The account whose copies may be served: signed in here at the last answer, and that answer is recent
// enough (the device grant: GRANT_MS, so a lost phone offline does not open health data for ever).
async function grantedKey() {
  const key = await metaGet("account");
  return key && Date.now() - (+(await metaGet("seen")) || 0) < GRANT_MS ? key : "";
}
async function currentAccountCache() {
  const key = await grantedKey();
  return key ? caches.open(accountCacheName(key)) : null;
}
async function wipeAccounts(keep, everything = false) {
  const keys = await caches.keys();
  await Promise.all(keys.filter((k) => k.startsWith("acct-") && k !== keep).map((k) => caches.delete(k)));
  for (const fn of WIPE_HOOKS) await fn(keep, everything);
}

// The server steers what is kept through response headers; this reads them, one answer at a time (two
// account switches side by side would each read the other's half-written state).
let observing = Promise.resolve();
// An answer asked for before the account was last ended here (a sign-out, another account) never brings
// it back: a file sent while signed in and arriving after the sign-out is neither kept nor a sign-in.
let ended = 0;
const SENT = new WeakMap();
async function send(req, init) {
  const at = ended, r = await fetch(req, init);
  SENT.set(r, at);
  return r;
}
function serial(fn) {
  const run = observing.then(fn);
  observing = run.catch(() => {});
  return run;
}
function observe(resp) { return serial(() => observeNow(resp)); }
async function observeNow(resp) {
  const h = (name) => resp.headers.get(name);
  const key = h("X-Account-Key");
  const wipe = h("X-Companion-Wipe");
  const shared = h("X-Shared-Device") === "1";
  // Any answer without a session (the login page, its redirect, a 401) wipes before anything is served.
  const out = h("X-Signed-Out") === "1" && ((await metaGet("account")) ||
    (await caches.keys()).some((k) => k.startsWith("acct-")));
  const late = SENT.has(resp) && SENT.get(resp) !== ended;
  if (wipe === "all" || wipe === "account" || shared || out) {
    ended++;
    await wipeAccounts(null, wipe === "all");
    await metaSet("account", "");
  } else if (key && !late) {
    const prev = await metaGet("account");
    if (prev && prev !== key) ended++;
    if (prev !== key) await wipeAccounts(accountCacheName(key));
    await metaSet("account", key);
    await metaSet("seen", String(Date.now()));
    const reach = h("X-Profile-Access");
    if (reach) await dropUnreachable(key, reach);
  }
  return { key: shared || late ? "" : key || "", keep: !shared && !late && h("X-Offline-Cache") === "1" };
}

// A redirect's target is hidden from the worker: it may be the login page, so ask (the answer is marked).
async function observeRedirect(resp) {
  if (resp.type === "opaqueredirect") await observe(await send("/healthz", { credentials: "same-origin" }));
}

// Saved copies under /p/<id>/<area> stay only while the account still reaches that profile and area; a
// page of an area not listed here goes at once (a new kind of page is not kept by mistake).
const AREA_SCOPE = { agenda: "agenda", documents: "documents:read", emergency: "documents:read",
  counter: "documents:read" };
async function dropUnreachable(key, header) {
  const reach = {};
  for (const part of header.split(";")) {
    const [id, scopes] = part.split("=");
    if (id && id !== "-") reach[id] = (scopes || "").split(" ");
  }
  const cache = await caches.open(accountCacheName(key));
  for (const req of await cache.keys()) {
    const m = new URL(req.url).pathname.match(/^\/p\/(\d+)\/([^/]*)/);
    if (!m) {
      // A page showing several people's agendas (X-Page-Profiles) goes once any of them is out of reach.
      const hit = await cache.match(req, { ignoreVary: true });
      const shown = ((hit && hit.headers.get("X-Page-Profiles")) || "").split(" ").filter((p) => p && p !== "-");
      if (shown.some((p) => !(reach[p] || []).includes("agenda"))) await cache.delete(req, { ignoreVary: true });
      continue;
    }
    const scopes = reach[m[1]];
    const need = AREA_SCOPE[m[2]];
    if (!scopes || !need || !scopes.includes(need)) await cache.delete(req);
  }
}

function timeout(ms) { return new Promise((resolve) => setTimeout(resolve, ms, "timeout")); }
// The start screen is one page whatever its query (/?source=pwa).
function pageKey(url) {
  const u = new URL(url, self.location.origin);
  if (u.pathname === "/") u.search = "";
  return u.href;
}

// state: "offline" or "updating" marks the copy (the page says when it was saved); "" serves it as is.
async function savedCopy(url, state) {
  const cache = await currentAccountCache();
  const hit = cache && await cache.match(pageKey(url), { ignoreVary: true });
  if (!hit) return null;
  let html = await hit.text();
  if (state) {
    html = html.replace('data-offline-saved=""',
      'data-offline-saved="' + (hit.headers.get("X-Saved-At") || "") + '" data-state="' + state + '"');
  }
  return new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function keepCopy(key, url, resp) {
  const headers = new Headers(resp.headers);
  headers.set("X-Saved-At", new Date().toISOString());
  const body = await resp.clone().arrayBuffer();
  // In turn with observe, and only while its account is signed in: never after a wipe. Says if it kept it.
  return serial(async () => {
    if ((await metaGet("account")) !== key) return false;
    await (await caches.open(accountCacheName(key))).put(pageKey(url), new Response(body, { status: 200, headers }));
    return true;
  });
}

async function offlinePage() {
  const lang = (await metaGet("lang")) || "fr";
  return (await caches.match("/offline/" + lang)) || (await caches.match("/offline/fr")) || Response.error();
}

async function tell(id, msg) {
  for (let i = 0; i < 40; i++) {
    const c = id && await self.clients.get(id);
    if (c) return c.postMessage(msg);
    await timeout(250);
  }
}
async function broadcast(msg) {
  for (const c of await self.clients.matchAll({ type: "window" })) c.postMessage(msg);
}

// After a saved copy was shown: "copy" = the fresh page just kept, serve it at once; "net" = ask the network.
const NEXT = new Map();
async function page(event) {
  const req = event.request;
  const url = req.url;
  const next = NEXT.get(url);
  NEXT.delete(url);
  if (next === "copy") {
    const fresh = await savedCopy(url, "");
    if (fresh) return fresh;
  }
  let kept = false;
  const network = send(req).then(async (resp) => {
    const info = await observe(resp);
    if (req.method === "GET" && resp.ok && info.keep && info.key) kept = await keepCopy(info.key, url, resp);
    return resp;
  });
  if (req.method !== "GET") return network.catch(offlinePage);
  // The network first, but a saved copy is shown once the network is slower than COPY_AFTER_MS; the page
  // is told when the fresh one has arrived (it then reloads into it) or could not be had.
  const first = next ? await network.catch(() => "failed")
    : await Promise.race([network.catch(() => "failed"), timeout(COPY_AFTER_MS)]);
  if (first instanceof Response) return first;
  const copy = await savedCopy(url, first === "timeout" ? "updating" : "offline");
  if (copy && first === "timeout") {
    event.waitUntil(network.then(async (resp) => {
      await observeRedirect(resp);
      // Served from the cache at the reload only if this very answer was kept; otherwise the network.
      const ok = resp.ok && !!(await grantedKey());
      NEXT.set(url, ok && kept ? "copy" : "net");
      await tell(event.resultingClientId, { type: "page", ok: ok || resp.type === "opaqueredirect" });
    }, () => tell(event.resultingClientId, { type: "page", ok: false })));
  }
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
  if (msg.type === "wipe") { ended++; e.waitUntil(wipeAccounts(null).then(() => metaSet("account", ""))); }
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
