use akua_sessions::AppState;
use akua_store::DynamoStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let device = akua_edge::settings::device_config();
    if device.is_loopback() {
        return Err(format!(
            "AKUA_VERIFICATION_URI is a loopback address ({}): only akua-local serves one; leave VerificationUri empty to use this stack's dashboard",
            device.verification_uri
        )
        .into());
    }
    let store = DynamoStore::from_env().await?;
    store.warm_up(akua_store::WarmUp::Credentials).await;
    let sessions = akua_edge::settings::session_settings()?;
    let state = AppState {
        store,
        device,
        sessions,
        sudo: akua_edge::settings::sudo_window()?,
        platform_introspection: akua_edge::settings::platform_introspection()?,
        id_tokens: akua_edge::settings::id_token_config()?
            .map(akua_edge::fetch::jwt_verifier)
            .transpose()?
            .map(std::sync::Arc::new),
    };
    akua_http::run(akua_sessions::router(state)).await
}
