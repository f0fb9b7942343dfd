// The mailing page follows its state (reports/progress.py): while a run goes on, its
// counts move in the progress card and in the runs table; when the state itself
// changes, the page is shown again as the server renders it, so no part of it lags.
(function () {
  "use strict";
  var card = document.getElementById("mailing-progress");
  if (!card || !card.dataset.progressUrl) return;
  var url = card.dataset.progressUrl;
  var shownAttempt = card.dataset.attempt || null;
  var shownState = card.dataset.state || "";
  var shownRetry = card.dataset.nextRetry || "";
  var format = new Intl.NumberFormat(document.documentElement.lang || undefined);
  var timer = null;
  // A page left open on a mailing about to start asks when it is due (within an hour).
  var HOUR = 3600;

  function setText(root, selector, value) {
    var node = root && root.querySelector(selector);
    if (node && value !== undefined && value !== null) node.textContent = value;
  }

  function render(attempt) {
    var row = document.querySelector('#attempt-table tr[data-attempt="' + attempt.id + '"]');
    ["sent", "failed", "unknown", "pending", "total"].forEach(function (name) {
      var value = format.format(attempt[name]);
      setText(card, '[data-count="' + name + '"]', value);
      setText(row, '[data-count="' + name + '"]', value);
    });
    ["sent", "failed", "unknown"].forEach(function (name) {
      var bar = card.querySelector('[data-bar="' + name + '"]');
      if (bar && attempt.percent) bar.style.width = attempt.percent[name] + "%";
    });
    var response = card.querySelector('[data-field="server_response"]');
    if (response && attempt.server_response) {
      response.textContent = attempt.server_response;
      if (response.parentElement) response.parentElement.hidden = false;
    }
  }

  function changed(data) {
    var attemptId = data.attempt ? String(data.attempt.id) : null;
    var retry = data.attempt ? data.attempt.next_retry_at || "" : "";
    return attemptId !== shownAttempt || data.state !== shownState || retry !== shownRetry;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        // A new run, a run that ended or paused, a new retry time: every part of the
        // page (header, card, runs table) is rendered again together.
        if (changed(data)) {
          window.location.reload();
          return;
        }
        if (data.attempt) render(data.attempt);
        follow(data.active, data.state, data.due_in);
      })
      .catch(function () {
        schedule(10000);
      });
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, delay);
  }

  function follow(active, state, dueIn) {
    if (active) {
      schedule(state === "paused" ? 10000 : 2000);
    } else if (dueIn !== undefined && dueIn !== null && dueIn !== "" && Number(dueIn) < HOUR) {
      schedule(Number(dueIn) * 1000 + 2000);
    }
  }

  follow(card.dataset.active === "true", shownState, card.dataset.dueIn);
})();
