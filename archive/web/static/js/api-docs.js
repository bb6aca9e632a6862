// The API's browsable documentation: Swagger UI (vendored) on the archive's own OpenAPI
// document. A file of its own, not inline: the pages' Content-Security-Policy allows no
// inline script.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec"),
    domNode: root,
    deepLinking: false,
    validatorUrl: null, // never ask another site to check the document
    tryItOutEnabled: false,
    defaultModelsExpandDepth: 0,
  });
})();
