// "Show when locked": on their own phone, the owner may let one emergency card open without signing in
// (/emergency, linked from the signed-out and offline pages). Kept outside the account caches, so the
// ordinary wipes (sign-out, expiry) keep it; "all" (a lost phone signed out from elsewhere, the end of a
// shared computer's session), a shared computer and turning it off drop it.
const LOCK = "companion-lockcard", LOCK_SRC = /^\/p\/\d+\/emergency\/locked$/;
function lockHit() { return caches.match("/emergency", { cacheName: LOCK }); }
async function lockPut(src) {
  const r = await fetch(src, { credentials: "same-origin" });
  if (!r.ok || !r.headers.get("X-Account-Key") || r.headers.get("X-Shared-Device") === "1") return;
  await (await caches.open(LOCK)).put("/emergency", new Response(await r.blob(),
    { headers: { "Content-Type": "text/html; charset=utf-8", "X-Lock-Src": src } }));
}
const observeAll = observeNow;
observeNow = async (resp) => {
  const h = (n) => resp.headers.get(n);
  if (h("X-Companion-Wipe") === "all" || h("X-Shared-Device") === "1") await caches.delete(LOCK);
  return observeAll(resp);
};
// The card's page kept again (opened, or the sync saw a new version): the locked copy follows it.
const keepAll = keepCopy;
keepCopy = async (key, url, resp) => {
  if (!(await keepAll(key, url, resp))) return false;
  const hit = await lockHit(), src = new URL(url, self.location.origin).pathname + "/locked";
  if (hit && hit.headers.get("X-Lock-Src") === src) await lockPut(src);
  return true;
};
ROUTES.push({
  match: (req, url) => req.method === "GET" && url.pathname === "/emergency",
  handle: async (e, req) => (await lockHit()) || fetch(req).catch(offlinePage),
});
self.addEventListener("message", (e) => {
  const m = e.data || {};
  if (m.type !== "lockcard") return;
  const done = LOCK_SRC.test(m.src) ? lockPut(m.src) : caches.delete(LOCK);
  e.waitUntil(done.catch(() => {}).then(() => e.source && e.source.postMessage({ type: "lockcard" })));
});
