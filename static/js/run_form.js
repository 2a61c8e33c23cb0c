// Run form: example buttons fill every field in one click. No model output is handled here.
(function () {
  "use strict";
  var form = document.getElementById("run-form");
  var data = document.getElementById("run-examples");
  if (!form || !data) return;
  var examples;
  try { examples = JSON.parse(data.textContent); } catch (e) { return; }
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button.example");
    if (!button) return;
    event.preventDefault();
    var example = examples[Number(button.dataset.example)];
    if (!example) return;
    Object.keys(example.values).forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (!field) return;
      var value = example.values[name];
      if (field.type === "checkbox") {
        field.checked = Boolean(value);
      } else {
        field.value = value === null || value === undefined ? "" : String(value);
      }
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });
    var first = form.querySelector("input:not([type=hidden]), textarea, select");
    if (first) first.focus();
  });
})();
