// The ALTCHA widget's proof of work runs in a worker served from our static files: the
// widget build without bundled workers is used because those start from blob: URLs,
// which the Content-Security-Policy does not allow.
(function () {
  "use strict";
  var widget = document.querySelector("altcha-widget[data-worker]");
  if (!widget || !window.$altcha) {
    return;
  }
  var url = widget.getAttribute("data-worker");
  window.$altcha.algorithms.set("PBKDF2/SHA-256", function () {
    return new Worker(url);
  });
})();
