// ChangePortal calendar: the only script the calendar needs (no inline handlers, CSP-friendly).
// A [data-print] button prints the current view; the print stylesheet lives in css/calendar.css.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
