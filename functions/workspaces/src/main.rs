use akua_store::DynamoStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let store = DynamoStore::from_env().await?;
    store.warm_up(akua_store::WarmUp::Workspaces).await;
    let sudo = akua_edge::settings::sudo_window()?;
    akua_http::run(akua_workspaces::router(akua_workspaces::WorkspacesState {
        store,
        sudo,
    }))
    .await
}
