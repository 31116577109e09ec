// "Listen": reads the page aloud with the phone's own voice. Hidden while the browser has no voice
// (voices may arrive later: voiceschanged); a press that produces no speech says so in words, since a
// silent button looks broken to someone who cannot read the page well.
(function () {
  "use strict";
  var box = document.querySelector("[data-listen]");
  var synth = window.speechSynthesis;
  if (!box || !synth || !window.SpeechSynthesisUtterance) return;
  var button = box.querySelector("button"), note = box.querySelector(".listen-failed");
  var lang = (document.documentElement.lang || "fr").slice(0, 2);
  function voices() { try { return synth.getVoices() || []; } catch (e) { return []; } }
  function update() { box.hidden = voices().length === 0; }
  update();
  if (synth.addEventListener) synth.addEventListener("voiceschanged", update);
  function words() {
    var target = document.getElementById(box.getAttribute("data-listen")) || document.querySelector("main");
    var copy = target.cloneNode(true);
    // Controls and hidden parts are not reading content.
    copy.querySelectorAll("form, button, script, [hidden], .listen, .visually-hidden, [aria-hidden=true]")
      .forEach(function (el) { el.remove(); });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }
  function failed() { note.textContent = note.getAttribute("data-text"); }
  button.addEventListener("click", function () {
    if (synth.speaking) { synth.cancel(); return; }  // a second press stops the reading
    note.textContent = "";
    var say = new SpeechSynthesisUtterance(words()), started = false;
    say.lang = lang === "en" ? "en-GB" : "fr-FR";
    var voice = voices().filter(function (v) { return (v.lang || "").slice(0, 2) === lang; })[0];
    try { if (voice) say.voice = voice; } catch (e) { /* the language alone picks a voice */ }
    say.onstart = function () { started = true; };
    say.onerror = function (e) { if (e.error !== "interrupted" && e.error !== "canceled") failed(); };
    synth.cancel();
    try { synth.speak(say); } catch (e) { failed(); return; }
    setTimeout(function () { if (!started && !synth.speaking) failed(); }, 5000);
  });
})();
