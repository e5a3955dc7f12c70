// Live preview of the branding form: colours, contrast, tagline and the chosen logo.
// A static file because the Content-Security-Policy forbids inline script.
(function () {
  "use strict";
  function luminance(hex) {
    var channels = [1, 3, 5].map(function (i) { return parseInt(hex.substr(i, 2), 16) / 255; });
    var linear = channels.map(function (c) {
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
  }
  function contrastWithWhite(hex) { return 1.05 / (luminance(hex) + 0.05); }

  function init() {
    var preview = document.getElementById("branding-preview");
    if (!preview) { return; }
    var min = parseFloat(preview.dataset.minContrast);
    var primary = document.querySelector("[data-preview=primary]");
    var accent = document.querySelector("[data-preview=accent]");
    var tagline = document.querySelector("[data-preview=tagline]");
    var logo = document.querySelector("[data-preview=logo]");
    var out = document.getElementById("preview-contrast");

    function update() {
      preview.style.setProperty("--preview-primary", primary.value);
      preview.style.setProperty("--preview-accent", accent.value);
      var ratio = contrastWithWhite(primary.value);
      var ok = ratio >= min;
      out.textContent = ratio.toFixed(1) + ":1 — " + (ok ? out.dataset.ok : out.dataset.bad);
      out.className = ok ? "contrast-ok" : "contrast-bad";
      document.getElementById("preview-tagline").textContent = tagline.value;
    }
    [primary, accent, tagline].forEach(function (el) { el.addEventListener("input", update); });
    if (logo) {
      logo.addEventListener("change", function () {
        var file = logo.files && logo.files[0];
        if (!file) { return; }
        var reader = new FileReader();
        reader.onload = function () {
          var img = document.getElementById("preview-logo");
          img.src = reader.result;
          img.hidden = false;
        };
        reader.readAsDataURL(file);
      });
    }
    update();
  }
  document.addEventListener("DOMContentLoaded", init);
}());
