//! `akua-local --events FILE`: the security events a deployed stack
//! publishes on EventBridge, as JSON lines, so that a developer can build
//! a consumer against them before deploying.
//!
//! Deployed, no code publishes them: the table's stream feeds an
//! EventBridge Pipe that passes only the INSERTs of audit items
//! (template.yaml). Locally this follows the same stream of the same table
//! through the real DynamoDB Streams API, keeps the same records
//! ([`akua_store::audit_event_of`]) and writes each as the event a rule's
//! target receives: `source` `akua.auth`, `detail-type` the action, the
//! audit event as `detail` (README, "Security events on EventBridge").

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use akua_core::audit::{AuditActor, AuditEvent, AuditLog, AuditTarget};
use aws_sdk_dynamodb::types::AttributeValue as TableValue;
use aws_sdk_dynamodbstreams::types::{
    AttributeValue as StreamValue, OperationType, ShardIteratorType,
};
use serde::Serialize;
use tokio::io::AsyncWriteExt;

/// The `source` of every event.
pub const SOURCE: &str = "akua.auth";

/// How long the follower waits when the stream has nothing new.
const IDLE: Duration = Duration::from_millis(200);

/// An event as an EventBridge target receives it.
#[derive(Debug, Serialize)]
pub struct BusEvent {
    pub version: &'static str,
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: &'static str,
    pub source: &'static str,
    pub account: &'static str,
    pub time: String,
    pub region: &'static str,
    pub resources: Vec<String>,
    pub detail: Detail,
}

/// An event's `detail`, as the pipe's input template (template.yaml)
/// shapes it from the stream record: the attributes every audit event has,
/// `at` as DynamoDB's number string, and the partition key of its log
/// (`AUDIT#WS#<ws_…>` or `AUDIT#USER#<user>`). The optional ones (source
/// IP, user agent, detail) are in the audit log, by `id`.
#[derive(Debug, Serialize)]
pub struct Detail {
    pub id: String,
    pub at: String,
    pub action: &'static str,
    pub actor: AuditActor,
    pub target: AuditTarget,
    /// `workspace` or `user`.
    pub log: &'static str,
    pub log_key: String,
}

impl BusEvent {
    pub fn of(event: AuditEvent) -> Self {
        let log = match &event.log {
            AuditLog::Workspace(_) => "workspace",
            AuditLog::User(_) => "user",
        };
        let time = jiff::Timestamp::from_second(event.at)
            .map(|t| t.to_string())
            .unwrap_or_default();
        Self {
            version: "0",
            id: event.id.to_string(),
            detail_type: event.action.as_str(),
            source: SOURCE,
            account: "000000000000",
            time,
            region: "local",
            resources: Vec::new(),
            detail: Detail {
                id: event.id.to_string(),
                at: event.at.to_string(),
                action: event.action.as_str(),
                log_key: akua_store::keys::audit_log(&event.log),
                log,
                actor: event.actor,
                target: event.target,
            },
        }
    }
}

/// Turns the table's stream on and follows it from now in the background,
/// appending each security event to `path` as one JSON line.
pub async fn follow(
    endpoint: &str,
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    path: PathBuf,
) -> Result<(), String> {
    let stream = akua_store::table::enable_stream(client, table)
        .await
        .map_err(|e| format!("cannot start the table's stream: {e}"))?;
    let file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .await
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let streams = aws_sdk_dynamodbstreams::Client::from_conf(streams_config(endpoint));
    let mut follower = Follower {
        streams,
        stream,
        file,
        iterators: HashMap::new(),
        seen: HashSet::new(),
    };
    // From now, as the deployed pipe starts (its `StartingPosition` is
    // `LATEST`): a restart does not replay what an earlier run wrote.
    follower.discover(ShardIteratorType::Latest).await?;
    let shown = path.display().to_string();
    tokio::spawn(async move {
        if let Err(e) = follower.run().await {
            tracing::error!(error = %e, file = %shown, "security events stopped");
        }
    });
    Ok(())
}

/// The Streams client of the engine at `endpoint`, with the local run's
/// region and placeholder credentials.
fn streams_config(endpoint: &str) -> aws_sdk_dynamodbstreams::Config {
    use aws_sdk_dynamodbstreams::config::{BehaviorVersion, Credentials, Region};
    aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "akua-local"))
        .endpoint_url(endpoint)
        .build()
}

struct Follower {
    streams: aws_sdk_dynamodbstreams::Client,
    stream: String,
    file: tokio::fs::File,
    /// Each open shard's next iterator.
    iterators: HashMap<String, String>,
    /// Every shard ever followed: a closed shard's children start at
    /// their beginning.
    seen: HashSet<String>,
}

impl Follower {
    /// Starts following the shards not seen yet, at `start`.
    async fn discover(&mut self, start: ShardIteratorType) -> Result<(), String> {
        let described = self
            .streams
            .describe_stream()
            .stream_arn(&self.stream)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let shards = described
            .stream_description
            .map(|d| d.shards.unwrap_or_default())
            .unwrap_or_default();
        for shard in shards {
            let Some(id) = shard.shard_id else { continue };
            if !self.seen.insert(id.clone()) {
                continue;
            }
            let iterator = self
                .streams
                .get_shard_iterator()
                .stream_arn(&self.stream)
                .shard_id(&id)
                .shard_iterator_type(start.clone())
                .send()
                .await
                .map_err(|e| e.to_string())?
                .shard_iterator;
            if let Some(iterator) = iterator {
                self.iterators.insert(id, iterator);
            }
        }
        Ok(())
    }

    async fn run(mut self) -> Result<(), String> {
        loop {
            let mut written = 0;
            let mut closed = false;
            for (shard, iterator) in std::mem::take(&mut self.iterators) {
                let out = self
                    .streams
                    .get_records()
                    .shard_iterator(iterator)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                for record in out.records.unwrap_or_default() {
                    if record.event_name != Some(OperationType::Insert) {
                        continue;
                    }
                    let image = record
                        .dynamodb
                        .and_then(|d| d.new_image)
                        .unwrap_or_default();
                    match akua_store::audit_event_of(&table_item(image)) {
                        Some(Ok(event)) => {
                            self.write(&BusEvent::of(event)).await?;
                            written += 1;
                        }
                        Some(Err(e)) => tracing::warn!(error = %e, "an unreadable audit item"),
                        None => {}
                    }
                }
                match out.next_shard_iterator {
                    Some(next) => {
                        self.iterators.insert(shard, next);
                    }
                    None => closed = true,
                }
            }
            if closed || self.iterators.is_empty() {
                self.discover(ShardIteratorType::TrimHorizon).await?;
            }
            if written == 0 {
                tokio::time::sleep(IDLE).await;
            }
        }
    }

    async fn write(&mut self, event: &BusEvent) -> Result<(), String> {
        let mut line = serde_json::to_vec(event).map_err(|e| e.to_string())?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .await
            .map_err(|e| e.to_string())?;
        self.file.flush().await.map_err(|e| e.to_string())
    }
}

/// A stream image as the table's item type. Audit items hold strings and
/// numbers only; any other attribute is left out.
fn table_item(image: HashMap<String, StreamValue>) -> HashMap<String, TableValue> {
    image
        .into_iter()
        .filter_map(|(name, value)| match value {
            StreamValue::S(s) => Some((name, TableValue::S(s))),
            StreamValue::N(n) => Some((name, TableValue::N(n))),
            _ => None,
        })
        .collect()
}
