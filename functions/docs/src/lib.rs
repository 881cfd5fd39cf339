//! `GET /v1/openapi.json` (public): the OpenAPI 3.1 document of every route,
//! assembled from the function crates' own annotations and types, so it
//! cannot describe an API that does not exist (a test compares it with the
//! route table).

use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{self, InfoBuilder};

/// Serves the document.
#[utoipa::path(get, path = "/v1/openapi.json", operation_id = "meta.openapi", tag = "Meta",
    responses((status = 200, description = "This OpenAPI document", content_type = "application/json")))]
async fn openapi_json() -> Json<openapi::OpenApi> {
    Json(document())
}

/// This function's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(openapi_json))]
pub struct ApiDoc;

/// The prefix every route shares, the document's one `servers` entry.
pub const API_BASE: &str = "/v1";

/// The whole API's OpenAPI document.
pub fn document() -> openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
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
            .url(API_BASE)
            .description(Some("This deployment's API, relative to its base URL"))
            .build(),
    ]);
    doc.paths.paths = std::mem::take(&mut doc.paths.paths)
        .into_iter()
        .map(|(path, item)| match path.strip_prefix(API_BASE) {
            Some(rest) => (rest.to_owned(), item),
            None => (path, item),
        })
        .collect();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    doc
}

pub fn router() -> Router {
    akua_http::finish(Router::new().route("/v1/openapi.json", get(openapi_json)))
}
