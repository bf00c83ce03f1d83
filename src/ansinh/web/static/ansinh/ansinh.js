// Site-wide behaviour, kept out of the pages so the Content-Security-Policy can forbid inline script.
document.addEventListener("change", function (e) {
  // <select data-autosubmit>: submit the form on change (the language menu).
  if (e.target.matches && e.target.matches("[data-autosubmit]") && e.target.form) { e.target.form.submit(); }
});

// Numbers as the page's language writes them (60.723 and 71,4 in Vietnamese), for charts and maps:
// the separators come from Django's formats (<html data-decimal data-thousand>). null -> "".
function ansinhNumber(v, decimals) {
  if (v === null || v === undefined || v === "" || isNaN(v)) return "";
  var root = document.documentElement, dec = root.dataset.decimal || ",", thou = root.dataset.thousand || ".";
  var s = Number(v).toFixed(decimals || 0), neg = s.charAt(0) === "-";
  if (neg) s = s.slice(1);
  var parts = s.split("."), whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, thou);
  if (parts[1] && /[1-9]/.test(parts[1])) whole += dec + parts[1].replace(/0+$/, "");
  return (neg ? "-" : "") + whole;
}
function ansinhPercent(v, decimals) {
  var s = ansinhNumber(v, decimals === undefined ? 1 : decimals);
  return s === "" ? "" : s + "%";
}

// <button data-copy="#selector">: copy that element's text to the clipboard (the SMS/Zalo text of a case).
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("[data-copy]");
  if (!b) return;
  var el = document.querySelector(b.getAttribute("data-copy"));
  if (!el || !navigator.clipboard) return;
  navigator.clipboard.writeText(el.textContent.trim()).then(function () { b.classList.add("btn-success"); });
});

// <form data-confirm="question">: ask before submitting (no inline handler: the CSP allows none).
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (f && f.dataset && f.dataset.confirm && !window.confirm(f.dataset.confirm)) e.preventDefault();
}, true);
