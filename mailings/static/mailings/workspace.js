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

  function setUpPicker(picker) {
    var filter = picker.querySelector("[data-picker-filter]");
    var items = Array.prototype.slice.call(picker.querySelectorAll("[data-picker-item]"));
    var boxes = items.map(function (item) { return item.querySelector("input"); });
    var texts = items.map(function (item) { return item.textContent.toLowerCase(); });
    var counter = picker.querySelector("[data-picker-count]");
    var allBox = document.querySelector("input[name='all_subscribed']");

    function count() {
      var ticked = 0;
      for (var i = 0; i < boxes.length; i++) { if (boxes[i].checked) { ticked++; } }
      counter.textContent = ticked + " / " + boxes.length;
    }

    function applyFilter() {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (var i = 0; i < items.length; i++) {
        var shown = words.every(function (word) { return texts[i].indexOf(word) !== -1; });
        items[i].hidden = !shown;
      }
    }

    function followAll() {
      var all = allBox && allBox.checked;
      picker.classList.toggle("opacity-50", Boolean(all));
      boxes.forEach(function (box) { box.disabled = Boolean(all); });
      filter.disabled = Boolean(all);
    }

    filter.addEventListener("input", applyFilter);
    // Enter in the filter must not submit the whole form.
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
    picker.querySelector("[data-picker-select]").addEventListener("click", function () {
      items.forEach(function (item, i) { if (!item.hidden) { boxes[i].checked = true; } });
      count();
    });
    picker.querySelector("[data-picker-clear]").addEventListener("click", function () {
      boxes.forEach(function (box) { box.checked = false; });
      count();
    });
    picker.addEventListener("change", count);
    if (allBox) { allBox.addEventListener("change", followAll); followAll(); }
    count();
  }

  document.querySelectorAll("[data-client-picker]").forEach(setUpPicker);
})();
