// The join page's device check: asks the browser for the camera and microphone, says what it
// found in the page's language (the words are on the button's data attributes), and lets them go.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("device-check");
    var result = document.getElementById("device-result");
    if (!button || !result) { return; }
    button.addEventListener("click", function () {
      var media = navigator.mediaDevices;
      if (!media || !media.getUserMedia) {
        result.textContent = button.dataset.unsupported;
        return;
      }
      result.textContent = button.dataset.checking;
      media.getUserMedia({ audio: true, video: true }).then(function (stream) {
        var kinds = stream.getTracks().map(function (track) { return track.kind; });
        stream.getTracks().forEach(function (track) { track.stop(); });
        result.textContent = kinds.indexOf("video") >= 0 && kinds.indexOf("audio") >= 0
          ? button.dataset.ready : button.dataset.partial;
        result.dataset.outcome = "ready";
      }).catch(function () {
        result.textContent = button.dataset.blocked;
        result.dataset.outcome = "blocked";
      });
    });
  });
})();
