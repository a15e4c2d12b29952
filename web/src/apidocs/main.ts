/**
 * /api/docs: the REST API's OpenAPI description (/api/openapi.json, built from api/routes.py) in
 * Swagger UI, bundled from npm (swagger-ui-dist) into web/dist like the other pages: no CDN, and
 * it runs under the hub's Content-Security-Policy (scripts and styles of the hub's origin only).
 * "Try it out" sends requests with the console's login cookie, or a bearer token from Authorize.
 */
import SwaggerUIBundle from "swagger-ui-dist/swagger-ui-bundle.js";
import "swagger-ui-dist/swagger-ui.css";

SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
  tryItOutEnabled: false,
  validatorUrl: null,
  withCredentials: true,
});
