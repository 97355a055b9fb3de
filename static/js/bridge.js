// ChangePortal bridge helpers: no inline handlers, so the pages work under a CSP without 'unsafe-inline'.
// 1. The navigation's host search: arrow keys move through the suggestions, Escape closes them.
// 2. Bridge forms (hx-swap="none", the answer is out-of-band fragments): a 422 answer still swaps its
//    fragments (the flash message says what was refused) and keeps what was typed; a success resets the
//    form and closes the <details> it sits in.
(function () {
  "use strict";

  function results(form) {
    return Array.prototype.slice.call(form.querySelectorAll(".typeahead a"));
  }

  function closeTypeahead(form) {
    var box = form.querySelector(".nav-host-results");
    if (box) { box.innerHTML = ""; }
  }

  document.addEventListener("keydown", function (event) {
    var form = event.target.closest && event.target.closest("[data-typeahead]");
    if (!form) { return; }
    var links = results(form);
    var input = form.querySelector("input[type=search]");
    var index = links.indexOf(event.target);
    if (event.key === "Escape") {
      closeTypeahead(form);
      input.focus();
    } else if (event.key === "ArrowDown" && links.length) {
      event.preventDefault();
      links[Math.min(index + 1, links.length - 1)].focus();
    } else if (event.key === "ArrowUp" && index >= 0) {
      event.preventDefault();
      if (index === 0) { input.focus(); } else { links[index - 1].focus(); }
    }
  });

  document.addEventListener("click", function (event) {
    document.querySelectorAll("[data-typeahead]").forEach(function (form) {
      if (!form.contains(event.target)) { closeTypeahead(form); }
    });
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.elt;
    if (event.detail.xhr.status === 422 && elt && elt.closest && elt.closest("[data-bridge]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches("form[data-reset-on-success]")) { return; }
    if (event.detail.xhr.status !== 200) { return; }
    form.reset();
    var details = form.closest("details");
    if (details) { details.open = false; }
  });
})();
