// The segment editor: "Add a condition" without a round trip, and the live count of the
// clients the rules match (asked of the server a moment after the last change). The
// page works without it: the button then re-renders the form with one more row.
(function () {
  "use strict";
  var form = document.getElementById("segment-form");
  if (!form) return;
  var rows = document.getElementById("rule-rows");
  var template = document.getElementById("rule-row-template");
  var total = form.querySelector("input[name='rules-TOTAL_FORMS']");
  var shown = document.getElementById("segment-live-count");
  var problems = document.getElementById("segment-live-errors");
  var format = new Intl.NumberFormat(document.documentElement.lang || undefined);
  var timer = null;

  form.querySelector("[data-add-rule]").addEventListener("click", function (event) {
    event.preventDefault();
    var index = parseInt(total.value, 10) || 0;
    rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
    total.value = String(index + 1);
  });

  function ask() {
    var data = new FormData(form);
    data.delete("csrfmiddlewaretoken");
    var query = new URLSearchParams(data).toString();
    fetch(form.dataset.countUrl + "?" + query, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (answer) {
        shown.textContent = answer.errors ? "—" : format.format(answer.count);
        problems.textContent = answer.errors ? answer.errors.join(" ") : "";
      })
      .catch(function () {
        shown.textContent = "—";
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 400);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  ask();
})();
