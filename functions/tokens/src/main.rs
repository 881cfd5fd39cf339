use akua_store::DynamoStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let store = DynamoStore::from_env().await?;
    store.warm_up(akua_store::WarmUp::Credentials).await;
    let leaks = akua_edge::fetch::scanner_keys(akua_edge::settings::leak_config())?;
    akua_http::run(akua_tokens::router(akua_tokens::TokensState {
        store,
        leaks,
        sudo: akua_edge::settings::sudo_window()?,
    }))
    .await
}
