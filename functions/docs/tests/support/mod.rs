//! The generator of the committed document: every function's annotated
//! paths and types, merged, under the one `/v1` server.

use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
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
    restrictions(&mut doc);
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    // API Gateway's AWS_IAM: the request is signed with AWS Signature
    // Version 4 by an AWS principal (its `Authorization` header).
    components.add_security_scheme(
        "sigv4",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "Authorization",
            "AWS Signature Version 4 of an AWS principal allowed execute-api:Invoke on the route",
        ))),
    );
    doc
}

/// What restricted tokens meet, from the one route declaration: each
/// operation a restricted token needs a permission for names it in
/// `x-akua-permission`, and its `403` says so; every operation behind the
/// authorizer says a token's allow list may refuse it.
fn restrictions(doc: &mut openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::extensions::ExtensionsBuilder;
    use utoipa::openapi::path::Operation;
    use utoipa::openapi::response::ResponseBuilder;

    for route in akua_core::routes::ROUTES
        .iter()
        .filter(|r| r.behind_authorizer())
    {
        let path = route
            .path
            .strip_prefix(akua_docs::API_BASE)
            .unwrap_or(route.path);
        let Some(item) = doc.paths.paths.get_mut(path) else {
            continue;
        };
        let operation: Option<&mut Operation> = match route.method {
            akua_core::routes::Method::Get => item.get.as_mut(),
            akua_core::routes::Method::Post => item.post.as_mut(),
            akua_core::routes::Method::Patch => item.patch.as_mut(),
            akua_core::routes::Method::Delete => item.delete.as_mut(),
        };
        let Some(operation) = operation else {
            continue;
        };
        let mut refusals = Vec::new();
        if let Some(permission) = route.permission() {
            let extensions = operation.extensions.get_or_insert_with(Default::default);
            extensions.merge(
                ExtensionsBuilder::new()
                    .add("x-akua-permission", permission.as_str())
                    .build(),
            );
            refusals.push(format!(
                "`insufficient_permission`: a token restricted to permissions without `{}`",
                permission.as_str()
            ));
        }
        refusals.push(
            "`ip_not_allowed`: a token with an IP allow list, from another address".to_owned(),
        );
        let text = refusals.join("; ");
        match operation.responses.responses.get_mut("403") {
            Some(RefOr::T(response)) => {
                response.description = format!("{}; or {text}", response.description);
            }
            Some(RefOr::Ref(_)) | None => {
                let error = RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorBody"));
                let response = ResponseBuilder::new()
                    .description(text)
                    .content(
                        "application/json",
                        utoipa::openapi::content::ContentBuilder::new()
                            .schema(Some(error))
                            .build(),
                    )
                    .build();
                operation
                    .responses
                    .responses
                    .insert("403".to_owned(), RefOr::T(response));
            }
        }
    }
}

/// The generated document as committed: pretty JSON and a final newline.
pub fn rendered() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("the document serialises");
    text.push('\n');
    text
}
