// Page behaviour for the back office. No inline scripts anywhere: the CSP forbids them.
document.addEventListener("htmx:configRequest", (event) => {
  // htmx requests carry the CSRF token from the cookie-less form field Django renders.
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (token) event.detail.headers["X-CSRFToken"] = token.value;
});
