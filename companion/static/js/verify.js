// The verifier page: checks a proof's Ed25519 signature in the browser (WebCrypto) against the keys
// published at /.well-known/companion-proof-keys.json, kept in localStorage so the check works without
// network once the page was opened online. Same rules as services/proofs.read.
(function () {
  "use strict";
  var root = document.getElementById("verify");
  if (!root) return;
  var words = JSON.parse(root.getAttribute("data-words"));
  var lang = root.getAttribute("data-lang") || "fr";
  var STORE = "companion-proof-keys";
  var FIELDS = ["v", "k", "n", "p", "c", "s", "f", "u", "i"];
  var $ = function (id) { return document.getElementById(id); };

  function b64url(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("format");
    var s = text.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function loadKeys() {
    return fetch(root.getAttribute("data-keys"), { credentials: "omit", cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error("keys"); return r.json(); })
      .then(function (data) { localStorage.setItem(STORE, JSON.stringify(data.keys)); return data.keys; })
      .catch(function () { return JSON.parse(localStorage.getItem(STORE) || "null"); });
  }

  function say(el, text, cls) {
    el.textContent = text; el.hidden = !text;
    if (cls !== undefined) el.className = cls;
  }

  function refuse(reason) {
    say($("verdict"), root.getAttribute("data-" + reason), "flash error");
    say($("sentence"), ""); say($("state"), "");
  }

  function parse(text) {
    text = (text || "").trim().slice(0, 2000);
    if (text.indexOf("#") >= 0) text = text.split("#")[1];
    var parts = text.split(".");
    if (parts.length !== 4 || parts[0] !== "CP1") throw new Error("format");
    return { kid: parts[1], payload: b64url(parts[2]), sig: b64url(parts[3]) };
  }

  function statement(bytes) {
    var data = JSON.parse(new TextDecoder().decode(bytes));
    var keys = Object.keys(data).sort().join(), want = FIELDS.slice().sort().join();
    if (keys !== want || data.v !== 1 || !words.sentences[data.k] || !Array.isArray(data.s) ||
        data.s.some(function (s) { return !words.scopes[s]; })) throw new Error("format");
    return data;
  }

  function day(iso) {
    var d = new Date(iso + "T12:00:00Z");
    return window.companionDate(d, { timeZone: "UTC" }, lang);
  }

  function plain(data) {
    var scopes = data.s.map(function (s) { return words.scopes[s]; }).join(", ");
    // One pass, each value given by a function: a string replacement reads "$&" or "$'" in a signed
    // name as a pattern, and a name holding "%(person)s" would be filled in turn.
    var values = { caregiver: data.c, person: data.p, scopes: scopes, until: day(data.u) };
    return words.sentences[data.k].replace(/%\((caregiver|person|scopes|until)\)s/g, function (_m, name) {
      return values[name];
    });
  }

  function status(data) {
    var url = root.getAttribute("data-status").replace("ID", encodeURIComponent(data.n));
    return fetch(url, { credentials: "omit", cache: "no-store" }).then(function (r) {
      return r.json().then(function (j) { say($("state"), words.status[j.state] || ""); });
    }).catch(function () { say($("state"), root.getAttribute("data-offline")); });
  }

  function check(text) {
    var parsed;
    try { parsed = parse(text); } catch (x) { refuse("format"); return Promise.resolve(); }
    if (!(window.crypto && crypto.subtle)) { refuse("no-crypto"); return Promise.resolve(); }
    return loadKeys().then(function (keys) {
      if (!keys) { refuse("no-keys"); return; }
      var jwk = keys.filter(function (k) { return k.kid === parsed.kid; })[0];
      if (!jwk) { refuse("unknown-key"); return; }
      return crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" },
        false, ["verify"]).then(function (key) {
        return crypto.subtle.verify({ name: "Ed25519" }, key, parsed.sig, parsed.payload);
      }).then(function (ok) {
        if (!ok) { refuse("bad-signature"); return; }
        var data;
        try { data = statement(parsed.payload); } catch (x) { refuse("format"); return; }
        say($("verdict"), root.getAttribute("data-valid"), "flash success");
        say($("sentence"), plain(data));
        say($("state"), "");
        return status(data);
      }, function () { refuse("no-crypto"); });
    });
  }

  $("verify-form").addEventListener("submit", function (e) {
    e.preventDefault();
    check($("proof-text").value);
  });

  // A QR code opened by a phone's camera app lands here with the statement after "#".
  if (location.hash.length > 1) {
    $("proof-text").value = decodeURIComponent(location.hash.slice(1));
    check($("proof-text").value);
  } else {
    loadKeys();  // keep the keys now, so a later check works without network
  }

  // Scanning in the page where the browser can read QR codes (BarcodeDetector: Android, ChromeOS, macOS).
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  var scan = $("scan"), video = $("camera");
  scan.hidden = false;
  scan.addEventListener("click", function () {
    var detector = new BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream; video.hidden = false; video.play();
      var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; };
      var look = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) { stop(); $("proof-text").value = codes[0].rawValue; check(codes[0].rawValue); }
          else setTimeout(look, 300);
        }, function () { stop(); });
      };
      look();
    }, function () { say($("verdict"), root.getAttribute("data-camera-failed"), "flash error"); });
  });
})();
