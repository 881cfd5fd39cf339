use akua_core::leaks::{LeakConfig, ScannerKeys};
use akua_store::DynamoStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let store = DynamoStore::from_env().await?;
    let leaks = ScannerKeys::new(LeakConfig::from_env()).map_err(|e| e.to_string())?;
    akua_http::run(akua_tokens::router(akua_tokens::TokensState {
        store,
        leaks,
    }))
    .await
}
