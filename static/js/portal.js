// ChangePortal page helpers. Under the Content-Security-Policy (script-src 'self', style-src 'self') markup may
// carry no inline handlers and no style attributes, so the little behaviour and sizing they gave lives here.
// 1. [data-select-on-focus]: the field's text is selected when it gets focus (a new API token to copy).
// 2. [data-width]: a bar segment's width in percent (host progress bars); set through the CSSOM, which the
//    policy allows, on page load and on every fragment htmx swaps in.
// 3. form[data-busy]: while a long submit runs (an inventory import), its buttons are disabled and the element
//    named by data-busy (a status line, hidden until then) is shown.
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

  document.addEventListener("DOMContentLoaded", function () { applyWidths(document); });
  document.addEventListener("htmx:load", function (event) { applyWidths(event.target); });
})();
