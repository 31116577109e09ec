// "Download everything": while the archive is being made, look again every few seconds and show its new
// state in place. Without this script the page works the same: a reload shows the state.
(function () {
  var state = document.getElementById("export-state");
  if (!state || !state.hasAttribute("data-running")) return;
  var DELAY = 3000;
  function look() {
    fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("export-state");
        if (!fresh) return;
        state.innerHTML = fresh.innerHTML;
        if (fresh.hasAttribute("data-running")) setTimeout(look, DELAY);
        else state.removeAttribute("data-running");
      })
      .catch(function () { setTimeout(look, DELAY * 4); }); // a dropped line: try again, less often
  }
  setTimeout(look, DELAY);
})();
