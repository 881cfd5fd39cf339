use akua_core::device::DeviceConfig;
use akua_sessions::AppState;
use akua_store::DynamoStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let store = DynamoStore::from_env().await?;
    let state = AppState {
        store,
        device: DeviceConfig::from_env(),
    };
    akua_http::run(akua_sessions::router(state)).await
}
