//! `GET /v1/openapi.json` (public): the OpenAPI 3.1 document of every route.
//!
//! The document is generated from the function crates' own annotations and
//! types, and committed as `openapi.json` beside this crate: this function
//! serves those bytes and links none of the other functions (nor their
//! DynamoDB code). A test regenerates the document and fails when the
//! committed one differs (`AKUA_WRITE_OPENAPI=1` rewrites it), and holds its
//! paths to the one route declaration, so it cannot describe an API that
//! does not exist.

#![cfg_attr(not(test), warn(clippy::wildcard_enum_match_arm))]

use akua_core::routes::DocsOp;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::on;

/// The committed document, served as it is.
pub const DOCUMENT: &str = include_str!("../openapi.json");

/// The prefix every route shares, the document's one `servers` entry.
pub const API_BASE: &str = "/v1";

/// Serves the document.
#[utoipa::path(get, path = "/v1/openapi.json", operation_id = "meta.openapi", tag = "Meta",
    responses((status = 200, description = "This OpenAPI document", content_type = "application/json")))]
async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

/// This function's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(openapi_json))]
pub struct ApiDoc;

pub fn router() -> Router {
    // No operation here needs a sign-in: the window is never asked.
    akua_http::declared(
        akua_core::sudo::SudoWindow::default(),
        |op, method| match op {
            DocsOp::OpenApi => on(method, openapi_json),
        },
    )
}
