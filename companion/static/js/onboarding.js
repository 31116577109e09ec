// Assisted onboarding (reading aloud is js/listen.js): follow a session's steps live (the plain "Refresh" link
// is the fallback without JavaScript), and leave the page when the advisor ends the session.
(function () {
  "use strict";
  function poll(url, every, onData) {
    var timer = setInterval(function () {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data && onData(data) === false) clearInterval(timer); })
        .catch(function () { /* try again next time */ });
    }, every);
  }
  var live = document.getElementById("onb-live");
  if (live && live.getAttribute("data-status-url")) {
    var state = document.getElementById("onb-state");
    poll(live.getAttribute("data-status-url"), 3000, function (data) {
      if (state && data.state && state.textContent !== data.state) state.textContent = data.state;
      data.steps.forEach(function (s) {
        var cell = live.querySelector('tr[data-step="' + s.name + '"] td');
        if (cell && cell.textContent !== s.status_label) {
          cell.textContent = s.status_label;
          cell.className = "onb-" + s.status;
        }
      });
      // Joined: the code is used up. Taken off in place, as the server now renders the page: a reload
      // would blank the advisor's screen (and anything reading it) for a round trip.
      var code = document.querySelector(".onb-code");
      if (data.joined && !data.ended && code) code.parentNode.removeChild(code);
      if (data.ended) { location.reload(); return false; }
    });
  }
  var end = document.querySelector(".onb-end[data-status-url]");
  if (end) {
    poll(end.getAttribute("data-status-url"), 5000, function (data) {
      if (data.ended) { location.assign(end.getAttribute("data-ended-url")); return false; }
    });
  }
})();
