#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = akua_dashboard::DashboardConfig::from_env()?;
    akua_http::run(akua_http::finish(akua_dashboard::router(config))).await
}
