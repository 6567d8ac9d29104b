// Runs before the first paint (a plain script in <head>; the CSP allows no inline ones):
// ?theme=light|dark pins the theme (auto follows prefers-color-scheme in page.css), and
// <html lang> gets ?lang= or the browser's language until Python knows site.json's.
(function () {
  var params = new URLSearchParams(location.search);
  var root = document.documentElement;
  var theme = params.get("theme");
  if (theme === "light" || theme === "dark") root.setAttribute("data-theme", theme);
  var spoken = ["en", "ru", "es", "pt"];
  var wanted = [params.get("lang")].concat(navigator.languages || [], navigator.language);
  for (var i = 0; i < wanted.length; i++) {
    var code = String(wanted[i] || "").toLowerCase().split(/[-_]/)[0];
    if (spoken.indexOf(code) >= 0) {
      root.lang = code;
      return;
    }
  }
})();
