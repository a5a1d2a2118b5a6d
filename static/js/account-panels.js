// The account page's panels load after the page: a link to something inside one (a note of the
// timeline, "#note-12") finds it only once its panel is in, so scroll to it then, once (opening the
// older entries if it is among them).
(function () {
  "use strict";
  var found = false;
  document.addEventListener("htmx:afterSettle", function () {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && !found ? document.getElementById(id) : null;
    if (target && !target.classList.contains("panel-loading")) {
      found = true;
      var older = target.closest("details");
      if (older) { older.open = true; }
      target.scrollIntoView();
    }
  });
})();
