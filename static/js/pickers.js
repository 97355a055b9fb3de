// ChangePortal pickers: every <select multiple> becomes a searchable picker (Tom Select, vendored in
// static/vendor/tom-select/): type to filter, Enter to choose, chosen values as chips, Backspace removes the last.
// Progressive enhancement: without this script the native <select multiple> still submits the same values.
// Under the CSP (script-src 'self', style-src 'self') nothing here writes inline style attributes; Tom Select sizes
// its dropdown through element.style (the CSSOM), which the policy allows.
// 1. select[multiple] (not [data-native]) → a picker, on page load and in every fragment htmx swaps in.
// 2. a[data-chip-field] (components/active_filters.html): a click deselects that value in the filter form named by
//    data-form, whose change refreshes the results through htmx; without a matching control the link just loads.
// 3. form[data-saved-view] (components/saved_views.html): saves the URL as it is now (htmx pushes filter changes
//    into the address bar after the page rendered the form).
(function () {
  "use strict";

  function enhance(select) {
    if (select.tomselect || select.hasAttribute("data-native") || typeof window.TomSelect !== "function") { return; }
    var field = select.closest(".field");
    new window.TomSelect(select, {
      plugins: { remove_button: { title: "Remove" } },
      maxOptions: null,          // every match is reachable; the list scrolls
      closeAfterSelect: false,   // keep typing and choosing without reopening
      // Filter on every keystroke (the default waits 300 ms, and an Enter typed sooner picks a stale match).
      refreshThrottle: 0,
      hidePlaceholder: true,
      placeholder: select.getAttribute("data-placeholder") || "Type to filter…",
      onItemAdd: function () { this.setTextboxValue(""); this.refreshOptions(false); },
      render: {
        no_results: function () { return '<div class="no-results">No match</div>'; }
      }
    });
    if (field) { field.classList.add("has-picker"); }
    // Tom Select points the <label> at its own text box, which leaves the hidden original <select> (still in the
    // accessibility tree) without a name: give it the label's words.
    var label = select.id && document.querySelector('label[for="' + select.id + '-ts-control"]');
    if (label && !select.hasAttribute("aria-label")) { select.setAttribute("aria-label", label.textContent.trim()); }
    // The help and the errors Django names in the select's aria-describedby describe the text box people type in.
    var described = select.getAttribute("aria-describedby");
    if (described) { select.tomselect.control_input.setAttribute("aria-describedby", described); }
  }

  function enhanceAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var selects = Array.prototype.slice.call(scope.querySelectorAll("select[multiple]"));
    if (scope.matches && scope.matches("select[multiple]")) { selects.push(scope); }
    selects.forEach(enhance);
  }

  function changed(element) {
    element.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var chip = event.target.closest && event.target.closest("a[data-chip-field]");
    if (!chip) { return; }
    var form = document.getElementById(chip.getAttribute("data-form"));
    var control = form && form.elements.namedItem(chip.getAttribute("data-chip-field"));
    if (!control || !control.tagName) { return; }  // not in the form (or several controls): follow the link
    var value = chip.getAttribute("data-chip-value");
    if (control.tomselect) {
      event.preventDefault();
      control.tomselect.removeItem(value);  // updates the <select> and fires its change event
    } else if (control.tagName === "SELECT") {
      event.preventDefault();
      Array.prototype.forEach.call(control.options, function (option) {
        if (option.value === value) { option.selected = false; }
      });
      changed(control);
    } else if (control.tagName === "INPUT") {
      event.preventDefault();
      control.value = "";
      changed(control);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-saved-view]")) { return; }
    form.elements.namedItem("query").value = window.location.search.replace(/^\?/, "");
    form.elements.namedItem("next").value = window.location.pathname + window.location.search;
  });

  document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  document.addEventListener("htmx:load", function (event) { enhanceAll(event.target); });
})();
