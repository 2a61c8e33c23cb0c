// Small progressive enhancements; everything works without them.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var input = document.getElementById("site-search");
    var box = document.getElementById("suggestions");
    if (input && box) {
      var links = function () { return Array.prototype.slice.call(box.querySelectorAll("a")); };
      var hide = function () { box.hidden = true; };
      var show = function () { box.hidden = false; };
      input.addEventListener("input", show);
      input.addEventListener("focus", show);
      document.addEventListener("click", function (e) {
        if (!box.contains(e.target) && e.target !== input) hide();
      });
      document.addEventListener("keydown", function (e) {
        var items = links();
        var i = items.indexOf(document.activeElement);
        if (e.key === "Escape" && (document.activeElement === input || i >= 0)) {
          hide();
          input.focus();
        } else if (e.key === "ArrowDown" && (document.activeElement === input || i >= 0) && items.length) {
          e.preventDefault();
          show();
          items[Math.min(i + 1, items.length - 1)].focus();
        } else if (e.key === "ArrowUp" && i >= 0) {
          e.preventDefault();
          if (i === 0) input.focus();
          else items[i - 1].focus();
        }
      });
      // Leaving the search area with Tab closes the list.
      input.form.addEventListener("focusout", function (e) {
        if (!input.form.contains(e.relatedTarget)) hide();
      });
    }

    // The header's Menu button (shown below 1000 px) folds the links away.
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("main-nav");
    if (toggle && nav) {
      var setOpen = function (open) {
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        nav.classList.toggle("is-open", open);
      };
      toggle.addEventListener("click", function () {
        setOpen(toggle.getAttribute("aria-expanded") !== "true");
      });
      nav.addEventListener("keydown", function (e) {
        if (e.key === "Escape" && nav.classList.contains("is-open")) {
          setOpen(false);
          toggle.focus();
        }
      });
    }

    // The account menu (a <details>, so it opens without scripts) closes like a menu: on
    // Escape, and on a click or focus anywhere else.
    document.querySelectorAll("details.account-menu").forEach(function (menu) {
      var close = function () { menu.open = false; };
      menu.addEventListener("keydown", function (e) {
        if (e.key === "Escape" && menu.open) {
          e.stopPropagation();
          close();
          menu.querySelector("summary").focus();
        }
      });
      document.addEventListener("click", function (e) {
        if (menu.open && !menu.contains(e.target)) close();
      });
      menu.addEventListener("focusout", function (e) {
        if (e.relatedTarget && !menu.contains(e.relatedTarget)) close();
      });
    });

    // Copy buttons: data-copy names the field whose value goes to the clipboard.
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var field = document.querySelector(button.getAttribute("data-copy"));
        if (!field) return;
        var done = function () { button.textContent = "Copied"; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
        } else {
          field.select();
          if (document.execCommand("copy")) done();
        }
      });
    });

    // Forms marked data-autosubmit apply a choice as soon as it is made; their button is
    // only for browsers without scripts.
    document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      form.querySelectorAll("[data-autosubmit-button]").forEach(function (b) { b.hidden = true; });
      form.addEventListener("change", function () {
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      });
    });

    // Forms whose action cannot be undone ask first (data-confirm holds the question).
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.getAttribute("data-confirm"))) e.preventDefault();
      });
    });

    // Filters start folded on phones so results come first.
    if (window.matchMedia("(max-width: 860px)").matches) {
      document.querySelectorAll("details[data-collapse-narrow]").forEach(function (d) {
        d.open = false;
      });
    }
  });
})();
