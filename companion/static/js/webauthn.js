// Security keys and passkeys: buttons with data-webauthn="register|login|passkey|reauth" ask the server
// for options, call the browser, send back the answer, then go where the server says.
(function () {
  "use strict";
  var status = document.getElementById("wa-status");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;
  var supported = !!(window.PublicKeyCredential && navigator.credentials);

  function say(key, text) {
    if (!status) return;
    status.textContent = text || status.getAttribute("data-msg-" + key) || "";
    if (key !== "wait") status.focus();
  }

  function b64ToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    var bin = atob(s + "===".slice((s.length + 3) % 4));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function bufToB64(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function ids(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: b64ToBuf(c.id) }); });
  }
  // Older phones lack parse*OptionsFromJSON and toJSON: the small fallback below does their work.
  function creation(o) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(o);
    return Object.assign({}, o, { challenge: b64ToBuf(o.challenge), excludeCredentials: ids(o.excludeCredentials),
      user: Object.assign({}, o.user, { id: b64ToBuf(o.user.id) }) });
  }
  function request(o) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(o);
    return Object.assign({}, o, { challenge: b64ToBuf(o.challenge), allowCredentials: ids(o.allowCredentials) });
  }
  function toJSON(c) {
    try { if (c.toJSON) return c.toJSON(); } catch (e) { /* fall back below */ }
    var r = c.response, out = { clientDataJSON: bufToB64(r.clientDataJSON) };
    if (r.attestationObject) {
      out.attestationObject = bufToB64(r.attestationObject);
      out.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.authenticatorData = bufToB64(r.authenticatorData);
      out.signature = bufToB64(r.signature);
      if (r.userHandle) out.userHandle = bufToB64(r.userHandle);
    }
    return { id: c.id, rawId: bufToB64(c.rawId), type: c.type, response: out,
      authenticatorAttachment: c.authenticatorAttachment || null,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {} };
  }

  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", body: JSON.stringify(body || {}),
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf }
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok && data.redirect) { location.assign(data.redirect); throw { handled: true }; }
        if (!resp.ok) throw { server: data.message || "" };
        return data;
      });
    }, function () { throw { name: "offline" }; });
  }

  function field(id) {
    var el = id && document.getElementById(id);
    return el ? (el.type === "checkbox" ? el.checked : el.value) : undefined;
  }

  function run(btn) {
    if (!supported) return say("unsupported");
    var mode = btn.getAttribute("data-webauthn"), started = 0, timeout = 60000;
    btn.disabled = true;
    say("wait");
    post(btn.getAttribute("data-options")).then(function (o) {
      timeout = o.timeout || timeout;
      started = Date.now();
      return mode === "register" ? navigator.credentials.create({ publicKey: creation(o) })
        : navigator.credentials.get({ publicKey: request(o) });
    }).then(function (cred) {
      var nameEl = document.getElementById(btn.getAttribute("data-name") || "");
      return post(btn.getAttribute("data-check"), { credential: toJSON(cred), name: nameEl ? nameEl.value : undefined,
        next: btn.getAttribute("data-next") || field(btn.getAttribute("data-next-field")),
        shared: field(btn.getAttribute("data-shared-field")) || false });
    }).then(function (done) {
      location.assign(done.redirect || "/");
    }).catch(function (e) {
      btn.disabled = false;
      if (e && e.handled) return;
      if (e && e.server !== undefined) return say("error", e.server);
      var name = e && e.name;
      if (name === "offline") return say("offline");
      if (name === "InvalidStateError") return say("exists");
      if (name === "NotAllowedError" || name === "AbortError") {
        return say(started && Date.now() - started >= timeout - 1000 ? "timeout" : "cancelled");
      }
      if (name === "SecurityError" || name === "NotSupportedError") return say("unsupported");
      say("error");
    });
  }

  document.querySelectorAll("[data-webauthn]").forEach(function (btn) {
    btn.addEventListener("click", function () { run(btn); });
  });
  var passkey = document.querySelector("[data-passkey]");
  if (passkey && supported) passkey.hidden = false;
  var printBtn = document.querySelector("[data-print]");
  if (printBtn) {
    printBtn.hidden = false;
    printBtn.addEventListener("click", function () { window.print(); });
  }
})();
