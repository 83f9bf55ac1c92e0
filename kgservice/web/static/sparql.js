// Fill the query box from the example chosen in the select (the page works without it: see the links).
(function () {
  "use strict";
  var select = document.getElementById("example");
  var box = document.getElementById("query");
  if (!select || !box) { return; }
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    if (option && option.dataset.query) { box.value = option.dataset.query; box.focus(); }
  });
}());
