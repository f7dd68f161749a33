// "Use where I am" on the directory search: fills latitude and longitude from the device.
// A file, not inline, because the Content-Security-Policy allows only scripts from 'self'.
(function () {
  var button = document.getElementById("here");
  if (!button || !navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (p) {
      document.getElementById("id_lat").value = p.coords.latitude.toFixed(5);
      document.getElementById("id_lon").value = p.coords.longitude.toFixed(5);
    });
  });
})();
