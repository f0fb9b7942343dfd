// Live counts of the mailing's current run: polls the JSON feed while the run goes on.
(function () {
  "use strict";
  var card = document.getElementById("mailing-progress");
  if (!card || card.dataset.active !== "true") return;
  var url = card.dataset.progressUrl;
  var shownAttempt = card.dataset.attempt || null;
  var wasRunning = card.dataset.running === "true";
  var format = new Intl.NumberFormat(document.documentElement.lang || undefined);
  var timer = null;

  function setText(selector, value) {
    var node = card.querySelector(selector);
    if (node) node.textContent = value;
  }

  function render(data) {
    var attempt = data.attempt;
    if (!attempt) return;
    ["sent", "failed", "unknown", "pending", "total"].forEach(function (name) {
      setText('[data-count="' + name + '"]', format.format(attempt[name]));
    });
    ["sent", "failed", "unknown"].forEach(function (name) {
      var bar = card.querySelector('[data-bar="' + name + '"]');
      if (bar) bar.style.width = attempt.percent[name] + "%";
    });
    setText('[data-field="status_display"]', attempt.status_display);
    var response = card.querySelector('[data-field="server_response"]');
    if (response && attempt.server_response) {
      response.textContent = attempt.server_response;
      response.parentElement.hidden = false;
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        var attemptId = data.attempt ? String(data.attempt.id) : null;
        var running = !!data.attempt && data.attempt.status === "in_progress";
        // A new run began, or the one shown ended: show the page as the server renders
        // it (final figures, the resend form, the list of runs).
        if (attemptId !== shownAttempt || (wasRunning && !running)) {
          window.location.reload();
          return;
        }
        render(data);
        if (data.active) schedule(data.hold ? 10000 : 2000);
      })
      .catch(function () {
        schedule(10000);
      });
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, delay);
  }

  schedule(2000);
})();
