// A share for a health professional (services/shares.py): the key is in the link's fragment, which the
// browser never sends; the server answers only the encrypted package, decrypted here. Or a short code:
// PBKDF2 of the code gives the lookup (sent) and the key that unwraps the link's key (never sent).
(function () {
  "use strict";
  var subtle = window.crypto && crypto.subtle, enc = new TextEncoder();
  function bytes(b64) {
    var s = atob(b64.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((b64.length + 3) % 4));
    return Uint8Array.from(s, function (c) { return c.charCodeAt(0); });
  }
  function b64url(buf) {
    return btoa(String.fromCharCode.apply(null, new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function aes(raw, blob, aad) {
    return subtle.importKey("raw", raw, "AES-GCM", false, ["decrypt"]).then(function (k) {
      return subtle.decrypt({ name: "AES-GCM", iv: blob.slice(0, 12), additionalData: enc.encode(aad) }, k, blob.slice(12));
    });
  }
  function el(tag, text, parent) {
    var e = document.createElement(tag);
    if (text) e.textContent = text; // never markup: whatever was typed is shown as text
    if (parent) parent.appendChild(e);
    return e;
  }

  var codeForm = document.getElementById("share-code-form");
  if (codeForm) {
    codeForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var err = document.getElementById("share-code-error");
      var code = codeForm.code.value.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
      err.textContent = "";
      subtle.importKey("raw", enc.encode(code), "PBKDF2", false, ["deriveBits"]).then(function (k) {
        return subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: enc.encode("companion-share-code"), iterations: 100000 }, k, 512);
      }).then(function (bits) {
        var d = new Uint8Array(bits), hex = Array.from(d.slice(0, 32), function (b) { return b.toString(16).padStart(2, "0"); }).join("");
        return fetch("/s/code/" + hex, { headers: { Accept: "application/json" } }).then(function (r) {
          if (!r.ok) throw new Error("code");
          return r.json();
        }).then(function (j) {
          return aes(d.slice(32), bytes(j.wrapped), "companion-share-key").then(function (key) {
            location.href = "/s/" + j.id + "#" + b64url(key);
          });
        });
      }).catch(function () { err.textContent = codeForm.getAttribute("data-wrong"); });
    });
  }

  var box = document.getElementById("share");
  if (!box) return;
  function t(k) { return box.getAttribute("data-" + k) || ""; }
  var status = document.getElementById("share-status"), pass = document.getElementById("share-pass");
  var body = document.getElementById("share-body"), lang = t("lang");
  function day(iso) {
    var d = new Date(iso);
    return isNaN(d) ? iso : window.companionDate(d, { timeStyle: iso.length > 10 ? "short" : undefined }, lang);
  }
  function section(title, items) {
    var s = el("section", null, body);
    s.className = "card";
    el("h2", title, s);
    if (!items.length) { el("p", t("none"), s).className = "muted"; return s; }
    var ul = el("ul", null, s);
    items.forEach(function (i) { el("li", i, ul); });
    return s;
  }
  function show(p) {
    el("p", p.name + (p.birth_date ? " · " + t("born").replace("{date}", day(p.birth_date)) : ""), body).className = "lead";
    status.textContent = t("made").replace("{date}", day(p.made_at)) + " " + t("until").replace("{date}", day(p.expires_at));
    var c = p.card;
    if (c) {
      el("h2", t("h-card"), body);
      ["allergies", "treatments", "conditions", "devices", "contacts"].forEach(function (f) { section(t("h-" + f), c[f]); });
      var dl = el("dl", null, body);
      dl.className = "facts";
      ["blood_group", "languages", "gp", "directives", "notes"].forEach(function (f) {
        if (!c[f]) return;
        el("dt", t("h-" + f), dl); el("dd", c[f], dl);
      });
    }
    if (p.vaccinations.length) {
      section(t("h-vaccinations"), p.vaccinations.map(function (v) { return (v[lang] || v.fr) + " · " + day(v.date); }));
    }
    if (p.documents.length) {
      var s = section(t("h-documents"), []), ul = el("ul", null, s);
      s.querySelector("p").remove();
      p.documents.forEach(function (d) {
        var li = el("li", d.title + (d.date ? " · " + day(d.date) : "") + " ", ul);
        var a = el("a", t("download"), li);
        a.href = URL.createObjectURL(new Blob([bytes(d.data)], { type: d.content_type }));
        a.download = d.title.replace(/[\\/:*?"<>|]/g, "_") + ({ "application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png" }[d.content_type] || "");
      });
    }
  }
  var key = location.hash.slice(1);
  if (!key || !subtle) { status.textContent = t("nolink"); return; }
  function open(passcode) {
    fetch(t("open"), {
      method: "POST", credentials: "same-origin", body: JSON.stringify({ passcode: passcode || null }),
      headers: { "Content-Type": "application/json", Accept: "application/json",
        "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content },
    }).then(function (r) {
      return r.json().then(function (j) {
        if (r.ok) {
          return aes(bytes(key), bytes(j.data), t("id")).then(function (plain) {
            pass.hidden = true;
            show(JSON.parse(new TextDecoder().decode(plain)));
            var leave = document.getElementById("share-leave");
            leave.passcode.value = passcode || "";
            leave.hidden = false;
          }, function () { status.textContent = t("broken"); });
        }
        status.textContent = j.message || t("broken");
        pass.hidden = r.status !== 401;
        if (!pass.hidden) pass.querySelector("input").focus();
      });
    }).catch(function () { status.textContent = t("network"); });
  }
  pass.addEventListener("submit", function (ev) { ev.preventDefault(); open(pass.querySelector("input").value); });
  open("");
})();
