// Push reminders: show the notification (the payload holds no health detail), open or focus the
// agenda on click, subscribe again when the browser renews the subscription.
self.addEventListener("push", (e) => {
  let data = {};
  try { data = e.data ? e.data.json() : {}; } catch (err) { data = {}; }
  e.waitUntil(self.registration.showNotification(data.title || "Companion", {
    body: data.body || "", tag: data.tag || "companion", data: { url: data.url || "/" },
    icon: "/static/icons/icon-192.png", badge: "/static/icons/icon-192.png", renotify: !!data.tag
  }));
});

self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  const target = new URL((e.notification.data && e.notification.data.url) || "/", self.location.origin);
  if (target.origin !== self.location.origin) return;
  e.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((wins) => {
    for (const w of wins) {
      if (new URL(w.url).pathname === target.pathname && "focus" in w) return w.focus();
    }
    return self.clients.openWindow(target.href);
  }));
});

self.addEventListener("pushsubscriptionchange", (e) => {
  const old = e.oldSubscription;
  const key = old && old.options && old.options.applicationServerKey;
  e.waitUntil((key ? self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key })
    : Promise.reject(new Error("no key"))).then((sub) => fetch("/push/renew", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ old: old ? old.endpoint : "", sub: sub.toJSON() })
    })).catch(() => { /* the settings page offers to turn reminders on again */ }));
});

// The offline queue belongs to the account. At logout (keep null) it waits for that account to sign in
// again; another account, a shared computer or a sign-out from elsewhere (a lost phone) deletes it.
function dropOutbox() {
  return new Promise((ok) => {
    const req = indexedDB.deleteDatabase("companion-outbox");
    req.onsuccess = req.onerror = req.onblocked = () => ok();
  });
}
WIPE_HOOKS.push(async (keep, everything) => {
  const owner = await metaGet("account");
  if (keep === null && owner && !everything) return metaSet("outbox-owner", owner);
  const waiting = await metaGet("outbox-owner");
  await metaSet("outbox-owner", "");
  if (keep === null || !waiting || accountCacheName(waiting) !== keep) await dropOutbox();
});
