//! The generator of the committed document: every function's annotated
//! paths and types, merged, under the one `/v1` server.

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{self, InfoBuilder};

/// The whole API's OpenAPI document, generated.
pub fn document() -> openapi::OpenApi {
    let mut doc = akua_docs::ApiDoc::openapi();
    doc.merge(akua_tokens::ApiDoc::openapi());
    doc.merge(akua_workspaces::ApiDoc::openapi());
    doc.merge(akua_sessions::ApiDoc::openapi());
    doc.info = InfoBuilder::new()
        .title("Akua authentication API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Every request carries `Authorization: Bearer <token>`: a 32-character session token, \
             a workspace API token (`sk_akua_…`) or an OAuth2 JWT. Session and JWT callers select a \
             workspace with `Akua-Context: ws_…`. Errors use `{\"error\": {\"code\", \"message\"}}`.",
        ))
        .build();
    // Paths are relative to the one server, `/v1` under the deployment's
    // base URL (the API Gateway stage, a custom domain, or akua-local), so a
    // generated client is pointed at that base and nothing else.
    doc.servers = Some(vec![
        openapi::server::ServerBuilder::new()
            .url(akua_docs::API_BASE)
            .description(Some("This deployment's API, relative to its base URL"))
            .build(),
    ]);
    doc.paths.paths = std::mem::take(&mut doc.paths.paths)
        .into_iter()
        .map(
            |(path, item)| match path.strip_prefix(akua_docs::API_BASE) {
                Some(rest) => (rest.to_owned(), item),
                None => (path, item),
            },
        )
        .collect();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    doc
}

/// The generated document as committed: pretty JSON and a final newline.
pub fn rendered() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("the document serialises");
    text.push('\n');
    text
}
