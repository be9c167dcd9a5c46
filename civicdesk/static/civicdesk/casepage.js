/* The case page: htmx answers and tooltips. */
(function () {
  "use strict";
  // The server answers a refused action (403), a conflict or a stale state (409) and invalid
  // input (422) with the re-rendered case page: swap those in like a success.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "(403|409|422)", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
  ];
  // Legal bases show on hover and focus; set up again for every swapped-in page body.
  htmx.onLoad(function (root) {
    document.querySelectorAll(".tooltip").forEach(function (tip) { tip.remove(); });
    root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) {
      bootstrap.Tooltip.getOrCreateInstance(el);
    });
  });
})();
