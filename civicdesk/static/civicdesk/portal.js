// The resident's report form: a map pin (works with no tiles), the photo limit, and the
// anonymous choice offered only for the case types that allow it. The form works without it.
(function () {
  "use strict";
  var form = document.getElementById("submit-form");
  if (!form) { return; }
  var ANONYMOUS_TYPES = ["complaint", "hazard"];

  function setUpMap() {
    var box = document.getElementById("map");
    if (!box || typeof L === "undefined") { return; }
    // With no boundaries and no configured centre the map opens on the whole country.
    var centre = box.dataset.lat ? [Number(box.dataset.lat), Number(box.dataset.lng)] : [35, 105];
    var map = L.map(box).setView(centre, box.dataset.lat ? Number(box.dataset.zoom) : 4);
    if (box.dataset.tiles) { L.tileLayer(box.dataset.tiles, { maxZoom: 19 }).addTo(map); }
    var lat = form.querySelector("[name=latitude]");
    var lng = form.querySelector("[name=longitude]");
    var marker = null;
    function place(point) {
      if (marker) { marker.setLatLng(point); } else { marker = L.marker(point).addTo(map); }
      lat.value = point.lat.toFixed(6);
      lng.value = point.lng.toFixed(6);
      document.getElementById("pin-status").textContent =
        lat.value + ", " + lng.value;
    }
    if (lat.value && lng.value) { place(L.latLng(Number(lat.value), Number(lng.value))); }
    map.on("click", function (event) { place(event.latlng); });
  }

  function limitPhotos() {
    var input = document.getElementById("id_photos");
    input.addEventListener("change", function () {
      var tooMany = input.files.length > Number(input.dataset.max);
      input.classList.toggle("is-invalid", tooMany);
      input.setCustomValidity(tooMany ? document.getElementById("photo-count-error").textContent : "");
    });
  }

  function offerAnonymity() {
    var category = document.getElementById("id_category");
    var choice = document.getElementById("anonymous-choice");
    var box = document.getElementById("id_anonymous");
    var contact = document.getElementById("contact-fields");
    function update() {
      var option = category.options[category.selectedIndex];
      var allowed = option && ANONYMOUS_TYPES.indexOf(option.dataset.type) >= 0;
      choice.hidden = !allowed;
      if (!allowed) { box.checked = false; }
      contact.hidden = box.checked;
    }
    category.addEventListener("change", update);
    box.addEventListener("change", update);
    update();
  }

  setUpMap();
  limitPhotos();
  offerAnonymity();
})();
