// Workspace behaviour: confirmation of state-changing buttons and the client picker.
// Everything works without it; the script only makes the pages easier to use.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // The client picker: the chosen clients are the selected options of a <select
  // multiple>; typing asks the server for up to 20 matches, and a click adds one.
  function setUpPicker(picker) {
    var search = picker.querySelector("[data-picker-search]");
    var results = picker.querySelector("[data-picker-results]");
    var chosen = picker.querySelector("select");
    var allBox = document.querySelector("input[name='all_subscribed']");
    var timer = null;
    var asked = 0;

    function optionOf(id) {
      return Array.prototype.find.call(chosen.options, function (option) {
        return option.value === String(id);
      });
    }

    function has(id) {
      var option = optionOf(id);
      return Boolean(option && option.selected);
    }

    function show(found) {
      results.textContent = "";
      found.forEach(function (client) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "list-group-item list-group-item-action py-1";
        button.textContent = client.label;
        button.disabled = has(client.id);
        button.addEventListener("click", function () {
          var option = optionOf(client.id);
          if (option) { option.selected = true; } else { chosen.add(new Option(client.label, client.id, true, true)); }
          button.disabled = true;
          chosen.dispatchEvent(new Event("change", { bubbles: true }));
        });
        results.appendChild(button);
      });
    }

    function ask() {
      var words = search.value.trim();
      var mine = ++asked;
      if (!words) { show([]); return; }
      fetch(picker.dataset.searchUrl + "?q=" + encodeURIComponent(words), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (answer) { if (mine === asked) { show(answer.results); } })
        .catch(function () { show([]); });
    }

    function followAll() {
      var all = allBox && allBox.checked;
      picker.classList.toggle("opacity-50", Boolean(all));
      search.disabled = Boolean(all);
    }

    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 250);
    });
    // Enter in the search box must not submit the whole form.
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
    if (allBox) { allBox.addEventListener("change", followAll); followAll(); }
  }

  document.querySelectorAll("[data-client-picker]").forEach(setUpPicker);

  // The mailing form's recipient count, asked of the server a moment after its targets
  // change (the count a run starting now would reach). Only where the form says where
  // to ask and where to show it: other pages have no count to fetch.
  var targets = document.querySelector("#mailing-targets[data-count-url]");
  var shown = document.getElementById("recipient-preview");
  var problems = document.getElementById("recipient-preview-errors");
  if (targets && shown) {
    var format = new Intl.NumberFormat(document.documentElement.lang || undefined);
    var countTimer = null;
    var countAsked = 0;
    var countTarget = function () {
      var query = new URLSearchParams();
      targets.querySelectorAll("input, select").forEach(function (input) {
        if (!input.name || input.disabled) return;
        if (input.tagName === "SELECT") {
          Array.prototype.forEach.call(input.selectedOptions, function (option) {
            query.append(input.name, option.value);
          });
        } else if ((input.type !== "checkbox" && input.type !== "radio") || input.checked) {
          if (input.type !== "search") query.append(input.name, input.value);
        }
      });
      var mine = ++countAsked;
      fetch(targets.dataset.countUrl + "?" + query.toString(), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (answer) {
          if (mine !== countAsked) return;
          var errors = answer.errors ? Object.values(answer.errors).flat() : [];
          shown.textContent = errors.length ? "—" : format.format(answer.count);
          if (problems) problems.textContent = errors.join(" ");
        })
        .catch(function () { shown.textContent = "—"; });
    };
    var countLater = function (event) {
      if (event && event.target && event.target.type === "search") return;
      window.clearTimeout(countTimer);
      countTimer = window.setTimeout(countTarget, 300);
    };
    targets.addEventListener("change", countLater);
    countTarget();
  }

  // The mailing form's "send now": the schedule's fields have nothing to say then.
  var schedule = document.getElementById("schedule-fields");
  var whenChoices = document.querySelectorAll("input[name='when']");
  if (schedule && whenChoices.length) {
    var followWhen = function () {
      var now = document.querySelector("input[name='when'][value='now']:checked");
      schedule.hidden = Boolean(now);
    };
    whenChoices.forEach(function (choice) { choice.addEventListener("change", followWhen); });
    followWhen();
  }
})();
