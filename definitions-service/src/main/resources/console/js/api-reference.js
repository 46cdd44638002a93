// The OpenAPI document the service serves, rendered by Swagger UI (from its WebJar).
window.ui = SwaggerUIBundle({ url: "/openapi.yaml", dom_id: "#swagger", deepLinking: true });
