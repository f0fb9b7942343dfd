// The segment editor: "Add a condition" without a round trip, each row's conditions and
// value box following its field (the operators it takes, a select of statuses, tags or
// lists, a date), and the live count of the clients the rules match (asked of the
// server a moment after the last change). The page works without it: the server renders
// each row for its field, and the button re-renders the form with one more row.
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
  // Field → {operators: [[name, label, input]], choices: [[value, label]]}.
  var fields = JSON.parse(document.getElementById("rule-fields").textContent);
  var INPUT_TYPES = { text: "text", date: "date", number: "number", "": "hidden" };

  function control(row, part) {
    return row.querySelector("[name$='-" + part + "']");
  }

  function operatorOf(entry, name) {
    for (var i = 0; i < entry.operators.length; i++) {
      if (entry.operators[i][0] === name) return entry.operators[i];
    }
    return null;
  }

  // The field's own operators only; the one chosen stays if the field takes it.
  function offerOperators(row, entry) {
    var select = control(row, "op");
    var chosen = select.value;
    select.replaceChildren();
    entry.operators.forEach(function (operator) {
      select.add(new Option(operator[1], operator[0]));
    });
    select.value = operatorOf(entry, chosen) ? chosen : entry.operators[0][0];
  }

  // The value box the operator asks for; a value that still fits is kept.
  function offerValue(row, entry) {
    var old = control(row, "value");
    var operator = operatorOf(entry, control(row, "op").value);
    var kind = operator ? operator[2] : "text";
    var box;
    if (kind === "choice") {
      box = document.createElement("select");
      box.className = "form-select form-select-sm";
      box.add(new Option("—", ""));
      entry.choices.forEach(function (choice) {
        box.add(new Option(choice[1], choice[0]));
      });
      box.value = old.value;
      if (box.value !== old.value) box.value = "";
    } else {
      box = document.createElement("input");
      box.type = INPUT_TYPES[kind] || "text";
      if (kind) box.className = "form-control form-control-sm";
      if (kind === "number") box.min = "1";
      if (old.tagName === "INPUT" && old.type === box.type) box.value = old.value;
    }
    box.name = old.name;
    box.id = old.id;
    old.replaceWith(box);
  }

  rows.addEventListener("change", function (event) {
    var row = event.target.closest("[data-rule-row]");
    var name = event.target.name || "";
    if (!row || !/-(field|op)$/.test(name)) return;
    var entry = fields[control(row, "field").value];
    if (!entry) return;
    if (/-field$/.test(name)) offerOperators(row, entry);
    offerValue(row, entry);
  });

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
