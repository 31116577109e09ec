// Turn reminders on or off for this device. Permission is asked only after a tap on the button.
(function () {
  "use strict";
  var box = document.getElementById("push-device");
  if (!box) return;
  var on = box.querySelector('[data-push="on"]'), off = box.querySelector('[data-push="off"]');
  var status = document.getElementById("push-status");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  function say(what) { status.textContent = status.dataset[what] || ""; }
  function show(subscribed) { on.hidden = subscribed; off.hidden = !subscribed; }
  function key(b64) {
    var s = (b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(s), function (c) { return c.charCodeAt(0); });
  }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r; });
  }
  if (!box.dataset.key || !("serviceWorker" in navigator) || !("PushManager" in window) || !window.Notification) {
    if (box.dataset.key) say("unsupported");
    return;
  }
  navigator.serviceWorker.ready.then(function (reg) {
    return reg.pushManager.getSubscription();
  }).then(function (sub) {
    show(!!sub && Notification.permission === "granted");
    if (Notification.permission === "denied") say("denied");
  });
  on.addEventListener("click", function () {
    Notification.requestPermission().then(function (perm) {
      if (perm !== "granted") { say("denied"); throw null; }
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(box.dataset.key) });
    }).then(function (sub) {
      return post(box.dataset.subscribe, sub.toJSON());
    }).then(function () { show(true); say("on"); })
      .catch(function (e) { if (e !== null) say("failed"); });
  });
  off.addEventListener("click", function () {
    navigator.serviceWorker.ready.then(function (reg) { return reg.pushManager.getSubscription(); })
      .then(function (sub) {
        if (!sub) return null;
        return post(box.dataset.unsubscribe, { endpoint: sub.endpoint }).then(function () { return sub.unsubscribe(); });
      }).then(function () { show(false); say("off"); })
      .catch(function () { say("failed"); });
  });
})();
