//! The authorizer Lambda: configuration and the SDK client are built once at
//! init (and the connection warmed there), then each invocation is one
//! decision.

use akua_authorizer::handle;
use akua_core::Authorizer;
use akua_core::clock;
use akua_store::DynamoStore;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let store = DynamoStore::from_env().await?;
    store.warm_up(akua_store::WarmUp::Credentials).await;
    let jwt = akua_edge::settings::jwt_config()?
        .map(akua_edge::fetch::jwt_verifier)
        .transpose()?;
    let authorizer = Authorizer::new(store, jwt);
    let authorizer = &authorizer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(authorizer, event.payload, clock::now()).await
    }))
    .await
}
