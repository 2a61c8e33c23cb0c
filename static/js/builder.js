// Builder: add, remove and reorder input fields without a page load. Without JavaScript the
// same form works through its "Add field" / "Apply" buttons and the Remove / Position inputs.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // The Model select: the help under it describes the model chosen now.
  ready(function () {
    var select = document.getElementById("id_model");
    var help = document.querySelector("[data-model-help]");
    if (!select || !help) return;
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      help.textContent = (option && option.getAttribute("data-help")) || "";
    });
  });

  ready(function () {
    var list = document.getElementById("field-rows");
    var template = document.getElementById("field-row-template");
    var total = document.getElementById("id_fields-TOTAL_FORMS");
    var addButton = document.getElementById("add-field");
    if (!list || !template || !total) return;
    list.classList.add("js");
    var apply = document.getElementById("apply-fields");
    if (apply) apply.hidden = true;

    function rows() {
      return Array.prototype.slice.call(list.querySelectorAll("[data-field-row]"));
    }
    function renumber() {
      var position = 1;
      rows().forEach(function (row) {
        var order = row.querySelector("input[name$='-ORDER']");
        if (row.classList.contains("is-removed")) return;
        if (order) order.value = String(position);
        position += 1;
      });
    }
    function enable(row) {
      row.querySelectorAll("[data-move], [data-remove]").forEach(function (b) { b.hidden = false; });
    }
    // Only the settings a field's type uses are shown; the server ignores the others, so a
    // value typed before switching type does no harm.
    var APPLIES = {
      max_length: ["short_text", "long_text"],
      min: ["integer", "number"],
      max: ["integer", "number"],
      choices: ["choice"]
    };
    function showSettings(row) {
      var type = row.querySelector("select[name$='-type']");
      if (!type) return;
      Object.keys(APPLIES).forEach(function (key) {
        var input = row.querySelector("[name$='-" + key + "']");
        var box = input && input.closest(".field");
        if (box) box.classList.toggle("is-unused", APPLIES[key].indexOf(type.value) === -1);
      });
    }

    rows().forEach(function (row) { enable(row); showSettings(row); });
    renumber();
    list.addEventListener("change", function (event) {
      if (event.target.matches("select[name$='-type']")) {
        showSettings(event.target.closest("[data-field-row]"));
      }
    });

    if (addButton) {
      addButton.addEventListener("click", function (event) {
        event.preventDefault();
        var index = Number(total.value);
        var html = template.innerHTML.replace(/__prefix__/g, String(index));
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var row = holder.firstElementChild;
        list.appendChild(row);
        total.value = String(index + 1);
        enable(row);
        showSettings(row);
        renumber();
        var name = row.querySelector("input[name$='-name']");
        if (name) name.focus();
      });
    }

    list.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-move], button[data-remove]");
      if (!button) return;
      event.preventDefault();
      var row = button.closest("[data-field-row]");
      if (button.hasAttribute("data-remove")) {
        var del = row.querySelector("input[name$='-DELETE']");
        if (del) del.checked = true;
        row.classList.add("is-removed");
      } else if (button.dataset.move === "up") {
        var prev = row.previousElementSibling;
        while (prev && prev.classList.contains("is-removed")) prev = prev.previousElementSibling;
        if (prev) list.insertBefore(row, prev);
      } else {
        var next = row.nextElementSibling;
        while (next && next.classList.contains("is-removed")) next = next.nextElementSibling;
        if (next) list.insertBefore(next, row);
      }
      renumber();
      button.focus();
    });
  });
})();
