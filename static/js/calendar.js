// ChangePortal calendar: the only script the calendar needs (no inline handlers, CSP-friendly).
// A [data-print] button prints the current view; the print stylesheet lives in css/calendar.css.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// A "+N more" or stack list opened near the right edge of the calendar opens leftwards instead of off the edge
// (CSS alone cannot know where a stack sits). The class only flips its anchor; without it the list still works.
document.addEventListener("toggle", function (event) {
  var details = event.target;
  if (!details.matches || !details.matches("#calendar details") || !details.open) { return; }
  var list = details.querySelector(".more-list");
  var frame = details.closest(".tl-scroll, .tg, .month");
  if (!list || !frame) { return; }
  list.classList.remove("flip");
  if (list.getBoundingClientRect().right > frame.getBoundingClientRect().right) { list.classList.add("flip"); }
}, true);
