// The proof verifier (/verify) opens without network once it was opened online: its page is kept
// without cookies (nothing of an account in it), outside the account caches, so no wipe needs to
// reach it; the keys it checks with are kept by the page itself (static/js/verify.js).
const VERIFY_CACHE = "companion-verify";
ROUTES.push({
  match: (req, url) => req.method === "GET" && req.mode === "navigate" && url.pathname === "/verify",
  handle: async (e, req) => {
    try {
      const resp = await fetch(req);
      e.waitUntil(fetch("/verify", { credentials: "omit" }).then(async (plain) => {
        if (plain.ok) await (await caches.open(VERIFY_CACHE)).put("/verify", plain);
      }).catch(() => {}));
      return resp;
    } catch (x) {
      return (await caches.match("/verify", { cacheName: VERIFY_CACHE })) || offlinePage();
    }
  },
});
