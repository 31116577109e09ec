// Background Sync for the offline outbox: when the browser says the line is back, the open pages send
// what waits (static/js/outbox.js sends in order, one tab at a time; the server applies each key once).
self.addEventListener("sync", (e) => {
  if (e.tag !== "companion-outbox") return;
  e.waitUntil(self.clients.matchAll({ type: "window" }).then((pages) =>
    pages.forEach((p) => p.postMessage({ type: "outbox-flush" }))));
});
