// The run history: filters apply on change, and Delete asks in a dialog. Without this file
// the Apply button submits the filters and Delete opens a page that asks.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form.requestSubmit) select.form.requestSubmit();
        else select.form.submit();
      });
    });

    var dialog = document.getElementById("delete-dialog");
    if (!dialog || typeof dialog.showModal !== "function") return;
    var form = dialog.querySelector("form");
    var what = dialog.querySelector("[data-delete-what]");
    dialog.querySelector("[data-delete-keep]").addEventListener("click", function () {
      dialog.close();
    });
    // A live conversation keeps the link: its page says why it cannot be deleted yet.
    document.querySelectorAll("a[data-delete]:not([data-live])").forEach(function (link) {
      link.addEventListener("click", function (e) {
        e.preventDefault();
        form.action = link.pathname;
        what.textContent = link.getAttribute("data-delete");
        dialog.showModal();
      });
    });
  });
})();
