// Documents and the one sync: the account's manifest (/offline/manifest.json) says what this device
// holds; one sync runs at a time, fetches only what changed, drops only what the manifest no longer
// lists (and only what was stored before it was asked for), and tells the pages what it stored.
const DOC_FILE = /^\/p\/\d+\/documents\/\d+\/file$/;
const DOC_PAGE = /^\/p\/\d+\/documents\/\d+$/;
const SHA = "X-Document-Sha256", VER = "X-Document-Version";

async function sha256Hex(buf) {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

// A file: the network first (it says whether the session holds, and the server logs the opening); the
// saved copy only without network, within the device grant, if its bytes are intact. An opening made
// offline is kept and reported with the next sync.
ROUTES.push({
  match: (req, url) => req.method === "GET" && DOC_FILE.test(url.pathname),
  handle: async (e, req, url) => {
    const path = url.pathname;
    let resp;
    try { resp = await send(req); } catch (err) {
      const key = await grantedKey();
      const cache = key && await caches.open(accountCacheName(key));
      const hit = cache && await cache.match(path);
      if (hit) {
        if ((await sha256Hex(await hit.clone().arrayBuffer())) === hit.headers.get(SHA)) {
          const opened = await metaList("opened-" + key);
          opened.push({ url: path, at: Date.now() });
          await metaSet("opened-" + key, JSON.stringify(opened.slice(-100)));
          return hit;
        }
        await cache.delete(path); // damaged: never served, copied again by the next sync
      }
      return offlinePage();
    }
    const info = await observe(resp);
    await observeRedirect(resp);
    if (info.key && (resp.status === 403 || resp.status === 404)) {
      await (await caches.open(accountCacheName(info.key))).delete(path);
    }
    return resp;
  },
});

let running = null;
let queued = null;
// One sync at a time for every tab; a sync asked for while one runs becomes one run after it.
function sync() {
  if (queued) return queued;
  if (!running) return (running = runSync().finally(() => { running = null; }));
  return (queued = running.then(() => { queued = null; return sync(); }));
}

async function runSync() {
  const done = [];
  let failure = "", capped = false, cap = 0;
  try {
    const since = Date.now();
    const resp = await send("/offline/manifest.json", { credentials: "same-origin", headers: { Accept: "application/json" } });
    const info = await observe(resp);
    if (!resp.ok || !info.key) return; // signed out, or a shared computer: keep nothing
    const key = info.key;
    const m = await resp.json();
    const cache = await caches.open(accountCacheName(key));
    const saver = m.data_saver || (self.navigator.connection && self.navigator.connection.saveData);
    const skip = await metaList("skip-" + key);
    const asked = await metaGet("keys-ok");
    // What this device downloads by itself is counted per calendar month, against the account's cap.
    const month = "spent-" + new Date().toISOString().slice(0, 7);
    let spent = +(await metaGet(month)) || 0;
    cap = m.monthly_cap || 0;
    const want = new Set(m.pages);
    const get = [];
    let keyBytes = 0;
    for (const f of m.files) {
      if (!f.pinned && (saver || skip.includes(f.url))) continue;
      if (!f.pinned && asked !== "1") { keyBytes += f.size; continue; }
      const hit = await cache.match(f.url);
      const fresh = hit && hit.headers.get(VER) === f.sha256;
      // Over the cap, an older copy already here is kept (not refreshed), a new one is not fetched.
      if (!fresh && !f.pinned && cap && spent + f.size > cap) { capped = true; if (hit) want.add(f.url); continue; }
      want.add(f.url);
      if (!fresh) { get.push(f); if (!f.pinned) spent += f.size; }
    }
    // Key documents are copied only once the person agreed to their size on this device.
    if (keyBytes && !asked) broadcast({ type: "ask", bytes: keyBytes });
    const opened = await metaList("opened-" + key);
    let headers;
    // The copy token, asked once when anything is copied: only with it is a fetch logged as a copy.
    const copying = async () => {
      if (headers) return headers;
      const r = await send("/offline/report", {
        method: "POST", credentials: "same-origin", body: JSON.stringify({ copy: get.map((f) => f.url), opened }),
        headers: { "Content-Type": "application/json", "X-CSRFToken": m.csrf },
      });
      if (!(await observe(r)).key || !r.ok) throw new Error("report");
      headers = { "X-Companion-Copy": (await r.json()).token };
      await metaSet("opened-" + key, JSON.stringify((await metaList("opened-" + key)).slice(opened.length)));
      return headers;
    };
    if (get.length || opened.length) await copying();
    // A page or card without a token is fetched all the same, logged as a look: the log says more, never less.
    const tok = () => copying().catch(() => (headers = {}));
    for (const f of get) {
      const r = await send(f.url, { credentials: "same-origin", headers });
      if (!(await observe(r)).key) throw new Error("signed out");
      const body = r.ok && await r.arrayBuffer();
      // Stored whole and checked, or not at all: a cut or damaged download is tried again next time.
      if (!body || r.headers.get(VER) !== f.sha256 || (await sha256Hex(body)) !== r.headers.get(SHA)) continue;
      if (!(await keepCopy(key, f.url, new Response(body, { headers: r.headers })))) throw new Error("signed out");
      if (!f.pinned) await metaSet(month, String((+(await metaGet(month)) || 0) + body.byteLength));
      done.push(f.url);
      broadcast({ type: "saved", url: f.url });
    }
    // Missing pages: those of the documents kept, and the account's own (the start screen, "On this phone").
    const pages = m.files.filter((f) => want.has(f.url)).map((f) => f.page).concat(m.pages.filter((p) => !p.startsWith("/p/")));
    for (const p of pages) {
      if (await cache.match(p, { ignoreVary: true })) continue;
      const r = await send(p, { credentials: "same-origin", headers: await tok() });
      if ((await observe(r)).keep && r.ok) await keepCopy(key, p, r);
    }
    // Emergency cards (every profile this account may read one for): again only when their version changed.
    for (const c of m.cards || []) {
      const hit = await cache.match(c.url, { ignoreVary: true });
      if (hit && hit.headers.get("X-Card-Version") === c.version) continue;
      const r = await send(c.url, { credentials: "same-origin", headers: await tok() });
      if ((await observe(r)).keep && r.ok) await keepCopy(key, c.url, r);
    }
    for (const req of await cache.keys()) {
      const path = new URL(req.url).pathname;
      if (!(DOC_FILE.test(path) || DOC_PAGE.test(path)) || want.has(path)) continue;
      const hit = await cache.match(req, { ignoreVary: true });
      if ((Date.parse(hit && hit.headers.get("X-Saved-At")) || 0) < since) await cache.delete(req, { ignoreVary: true });
    }
  } catch (err) {
    failure = err && err.name === "QuotaExceededError" ? "quota" : "network";
  }
  broadcast({ type: "synced", ok: !failure, failure, done, capped, cap });
}

async function forget(url) {
  const key = await metaGet("account");
  if (!key) return;
  const cache = await caches.open(accountCacheName(key));
  await cache.delete(url, { ignoreVary: true });
  if (DOC_FILE.test(new URL(url, self.location.origin).pathname)) {
    const skip = await metaList("skip-" + key);
    await metaSet("skip-" + key, JSON.stringify(skip.concat(url)));
  }
}

self.addEventListener("message", (e) => {
  const msg = e.data || {};
  if (msg.type === "keys") e.waitUntil(metaSet("keys-ok", msg.ok ? "1" : "no").then(sync));
  if (msg.type === "sync") e.waitUntil(sync());
  if (msg.type === "forget" && typeof msg.url === "string") e.waitUntil(forget(msg.url));
});
