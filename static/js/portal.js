// ChangePortal page helpers. Under the Content-Security-Policy (script-src 'self', style-src 'self') markup may
// carry no inline handlers and no style attributes, so the little behaviour and sizing they gave lives here.
// 1. [data-select-on-focus]: the field's text is selected when it gets focus (a new API token to copy).
// 2. [data-width]: a bar segment's width in percent (host progress bars); set through the CSSOM, which the
//    policy allows, on page load and on every fragment htmx swaps in.
// 3. form[data-busy]: while a long submit runs (an inventory import), its buttons are disabled and the element
//    named by data-busy (a status line, hidden until then) is shown.
// 4. The Menu button of the top navigation (narrow screens): it folds the links away only once this script runs,
//    so without JS they stay visible; aria-expanded tells screen readers the state, Escape closes the menu.
// 5. "/" anywhere outside a form field focuses the host search ("what changed on this host?").
// 6. A .table-wrap whose table is wider than its card scrolls sideways: it takes keyboard focus (tabindex) so
//    the arrow keys can scroll it too.
// 7. A link of a form's error summary puts the keyboard in its field (following "#id" only scrolls), also when a
//    picker stands in for the field's hidden <select>.
(function () {
  "use strict";

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) {
      event.target.select();
    }
  });

  function applyWidths(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var elements = Array.prototype.slice.call(scope.querySelectorAll("[data-width]"));
    if (scope.matches && scope.matches("[data-width]")) { elements.push(scope); }
    elements.forEach(function (element) {
      var value = parseFloat(element.getAttribute("data-width"));
      if (isFinite(value)) { element.style.width = Math.max(0, Math.min(100, value)) + "%"; }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-busy]")) { return; }
    var status = document.getElementById(form.getAttribute("data-busy"));
    if (status) { status.hidden = false; }
    // Disabled after the submit has collected the pressed button's name (preview or apply).
    window.setTimeout(function () {
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (button) { button.disabled = true; });
    }, 0);
  });

  function setupNavToggle() {
    var header = document.querySelector(".topnav");
    var button = header && header.querySelector(".nav-toggle");
    if (!button) { return; }
    header.classList.add("nav-collapsible");
    button.hidden = false;
    function setOpen(open) {
      header.classList.toggle("nav-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () { setOpen(!header.classList.contains("nav-open")); });
    header.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("nav-open")) {
        setOpen(false);
        button.focus();
      }
    });
  }

  function isTyping(target) {
    if (!target || !target.closest) { return false; }
    return Boolean(target.isContentEditable || target.closest("input, textarea, select, [contenteditable]"));
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) { return; }
    var search = document.getElementById("nav-host-search");
    if (!search) { return; }
    event.preventDefault();
    search.focus();
    search.select();
  });

  function focusableScrollers() {
    Array.prototype.forEach.call(document.querySelectorAll(".table-wrap"), function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        if (!wrap.hasAttribute("tabindex")) { wrap.setAttribute("tabindex", "0"); }
      } else if (wrap.getAttribute("tabindex") === "0") {
        wrap.removeAttribute("tabindex");
      }
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }
    event.preventDefault();
    if (field.tomselect) { field.tomselect.focus(); } else { field.focus(); }
    (field.closest(".field") || field).scrollIntoView({ block: "center" });
  });

  document.addEventListener("DOMContentLoaded", function () {
    applyWidths(document);
    setupNavToggle();
    focusableScrollers();
  });
  window.addEventListener("resize", function () { focusableScrollers(); });
  document.addEventListener("htmx:load", function (event) {
    applyWidths(event.target);
    focusableScrollers();  // a swapped-in table may make its wrapper (outside the fragment) scroll
  });
})();
