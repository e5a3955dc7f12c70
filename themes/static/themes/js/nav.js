/* The main menu on narrow screens: collapsed behind the Menu button (aria-expanded), opened
   and closed by the button, closed again by Escape. Loaded from the head without defer: the
   class below must be on <html> before the header is painted, so the collapsed menu does
   not flash open. Without JavaScript the menu simply stays open. No inline code: the
   Content-Security-Policy allows scripts from the portal's own host only. */
(function () {
  "use strict";
  document.documentElement.classList.add("js-nav");

  function setUp() {
    var button = document.querySelector(".nav-toggle");
    var nav = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!nav) {
      return;
    }
    function set(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("is-open", open);
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        set(false);
        button.focus();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
