use crate::CapacityMeter;
use akua_store::{CallCounter, DynamoStore, endpoint_config, table};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A fresh in-memory engine on a loopback port with the table created, and
/// a store whose client counts every DynamoDB call it makes and the write
/// units its writes consume.
pub struct Engine {
    pub store: DynamoStore,
    pub calls: CallCounter,
    pub capacity: CapacityMeter,
    pub endpoint: String,
    pub table: String,
    _shutdown: oneshot::Sender<()>,
}

impl Engine {
    pub async fn start() -> Engine {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let endpoint = format!("http://{}", listener.local_addr().expect("local addr"));
        let db = dynoxide::Database::memory().expect("in-memory engine");
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = dynoxide::server::serve_with_shutdown(listener, db, async {
                let _ = rx.await;
            })
            .await;
        });
        let table = "akua-test".to_owned();
        let calls = CallCounter::new();
        let capacity = CapacityMeter::new();
        let client = aws_sdk_dynamodb::Client::from_conf(
            endpoint_config(&endpoint)
                .interceptor(calls.clone())
                .interceptor(capacity.clone())
                .build(),
        );
        table::ensure_table(&client, &table)
            .await
            .expect("create table");
        calls.reset();
        capacity.reset();
        Engine {
            store: DynamoStore::new(client, table.clone()),
            calls,
            capacity,
            endpoint,
            table,
            _shutdown: tx,
        }
    }

    /// A raw item by primary key, read past the service's own code, so tests
    /// can see exactly what is stored.
    pub async fn raw_item(
        &self,
        pk: &str,
        sk: &str,
    ) -> Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        use aws_sdk_dynamodb::types::AttributeValue::S;
        self.store
            .client()
            .get_item()
            .table_name(&self.table)
            .key("pk", S(pk.to_owned()))
            .key("sk", S(sk.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("raw get")
            .item
    }

    /// Every item in the table (a test-only `Scan`).
    pub async fn all_items(
        &self,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        self.store
            .client()
            .scan()
            .table_name(&self.table)
            .send()
            .await
            .expect("scan")
            .items
            .unwrap_or_default()
    }
}
