const params = new URLSearchParams(location.search);
const next = params.get("next");
if (next && next.startsWith("/") && !next.startsWith("//")) {
  document.getElementById("next").value = next;
}
if (params.has("error")) {
  document.getElementById("login-error").hidden = false;
}
