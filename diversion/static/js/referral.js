// The referral form's location button: fills the hidden lat/lon from the phone's location.
// No map tiles, no external hosts: the server decides the area from the coordinates.
(function () {
  "use strict";

  function status(form, key, extra) {
    var el = form.querySelector("#location-status");
    if (!el) return;
    el.textContent = (el.dataset["text" + key] || "") + (extra || "");
  }

  function field(form, name) {
    return form.querySelector("input[name='" + name + "']");
  }

  document.addEventListener("click", function (event) {
    var use = event.target.closest("[data-use-location]");
    var clear = event.target.closest("[data-clear-location]");
    if (!use && !clear) return;
    var form = event.target.closest("form");
    if (!form) return;
    event.preventDefault();
    if (clear) {
      field(form, "lat").value = "";
      field(form, "lon").value = "";
      if (field(form, "location_accuracy")) field(form, "location_accuracy").value = "";
      status(form, "None");
      return;
    }
    if (!("geolocation" in navigator)) {
      status(form, "Unsupported");
      return;
    }
    use.disabled = true;
    status(form, "Asking");
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        var lat = pos.coords.latitude.toFixed(6);
        var lon = pos.coords.longitude.toFixed(6);
        field(form, "lat").value = lat;
        field(form, "lon").value = lon;
        var metres = pos.coords.accuracy ? Math.round(pos.coords.accuracy) : "";
        // Kept with the form, so that a form sent back with an error still says it.
        if (field(form, "location_accuracy")) field(form, "location_accuracy").value = metres;
        var accuracy = metres !== "" ? ", ±" + metres + " m" : "";
        status(form, "Found", " (" + lat + ", " + lon + accuracy + ")");
        use.disabled = false;
      },
      function () {
        status(form, "Denied");
        use.disabled = false;
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
})();
