// Site-wide behaviour, kept out of the pages so the Content-Security-Policy can forbid inline script.
document.addEventListener("change", function (e) {
  // <select data-autosubmit>: submit the form on change (the language menu).
  if (e.target.matches && e.target.matches("[data-autosubmit]") && e.target.form) { e.target.form.submit(); }
});
