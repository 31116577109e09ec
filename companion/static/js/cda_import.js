// CDA import: when the file's patient cannot be checked, the server asks for a confirmation. Sent from
// here, the chosen file stays in the form, so the person ticks the box and presses "Import" again
// instead of looking for the file a second time. Without this script the plain form still works.
(function () {
  "use strict";
  var form = document.getElementById("cda-import");
  var warning = document.getElementById("import-warning");
  if (!form || !warning || !window.fetch || !window.FormData) return;
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.action || location.href, { method: "POST", body: new FormData(form), credentials: "same-origin",
                                         headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (data) { return { status: r.status, data: data }; }); })
      .then(function (res) {
        if (res.data.url) { location.assign(res.data.url); return; }
        warning.querySelector("[data-message]").textContent = res.data.message || "";
        var kept = res.data.kind === "identity";
        warning.querySelector("[data-again]").hidden = true;  // the file is still chosen
        warning.querySelector("[data-kept]").hidden = !kept;
        if (kept) document.getElementById("confirm-box").hidden = false;
        warning.hidden = false;
        warning.setAttribute("tabindex", "-1");
        warning.focus();
      })
      .catch(function () { form.submit(); })  // no answer we can read: the plain form
      .then(function () { button.disabled = false; });
  });
})();
