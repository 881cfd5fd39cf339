//! The audit log ([`AuditStore`]): one partition per log, events sorted by
//! time, written only as steps of the transactions that make the changes
//! they record ([`DynamoStore::with_audit`]).
//!
//! An event carries the table's TTL at the end of the retention period and
//! no `expires_at`, so the hourly sweep never reads it; a read asks only
//! for sort keys inside the retention period, so an event TTL has not
//! deleted yet is never shown.

use akua_core::audit::{
    ActorKind, AuditAction, AuditActor, AuditEvent, AuditFilter, AuditLog, AuditPage, AuditTarget,
    Origin, TargetKind,
};
use akua_core::ids::{EventId, UserId, WorkspaceId};
use akua_core::ports::{AuditStore, StoreError};
use aws_sdk_dynamodb::types::TransactWriteItem;

use crate::error::sdk_error;
use crate::items::{FromItem, attr, corrupt, get_n, get_s, n, opt_s, s};
use crate::keys::{self, Item, List};
use crate::{DynamoStore, table};

/// Query pages a filtered read examines before it answers with what it
/// found and a cursor ...
const MAX_FILTERED_PAGES: usize = 4;
/// ... of this many events each: at most 2,000 events (a few hundred read
/// units) per request, whatever the filter.
const FILTERED_PAGE_EVENTS: i32 = 500;

fn kind_of_log(log: &AuditLog) -> &'static str {
    match log {
        AuditLog::Workspace(_) => "workspace",
        AuditLog::User(_) => "user",
    }
}

pub(crate) fn event_item(event: &AuditEvent, retention_secs: i64) -> Item {
    let mut item = Item::new();
    item.insert(table::PK.to_owned(), s(keys::audit_log(&event.log)));
    item.insert(
        table::SK.to_owned(),
        s(keys::audit_sort_key(event.at, &event.id)),
    );
    item.insert(attr::KIND.to_owned(), s(keys::kind::AUDIT_EVENT));
    item.insert(attr::ID.to_owned(), s(event.id.as_str()));
    item.insert(attr::AT.to_owned(), n(event.at));
    item.insert(attr::ACTION.to_owned(), s(event.action.as_str()));
    item.insert(attr::ACTOR_ID.to_owned(), s(&event.actor.id));
    item.insert(
        attr::ACTOR_CREDENTIAL.to_owned(),
        s(event.actor.credential.as_str()),
    );
    item.insert(attr::TARGET_TYPE.to_owned(), s(event.target.kind.as_str()));
    item.insert(attr::TARGET_ID.to_owned(), s(&event.target.id));
    item.insert("log".to_owned(), s(kind_of_log(&event.log)));
    match &event.log {
        AuditLog::Workspace(ws) => item.insert(attr::WORKSPACE_ID.to_owned(), s(ws.as_str())),
        AuditLog::User(user) => item.insert(attr::USER_ID.to_owned(), s(user.as_str())),
    };
    let optional = [
        (attr::SOURCE_IP, &event.origin.source_ip),
        (attr::USER_AGENT, &event.origin.user_agent),
        (attr::DETAIL, &event.detail),
    ];
    for (name, value) in optional {
        if let Some(v) = value {
            item.insert(name.to_owned(), s(v));
        }
    }
    item.insert(table::TTL.to_owned(), n(event.at + retention_secs));
    item
}

impl FromItem for AuditEvent {
    fn from_item(item: &Item) -> Result<Self, StoreError> {
        let log = match get_s(item, "log")? {
            "workspace" => AuditLog::Workspace(
                WorkspaceId::parse(get_s(item, attr::WORKSPACE_ID)?).map_err(corrupt)?,
            ),
            "user" => AuditLog::User(UserId::parse(get_s(item, attr::USER_ID)?).map_err(corrupt)?),
            _ => return Err(StoreError::Corrupt("log")),
        };
        let owned = |key| opt_s(item, key).map(|v| v.map(str::to_owned));
        Ok(Self {
            id: EventId::parse(get_s(item, attr::ID)?).map_err(corrupt)?,
            at: get_n(item, attr::AT)?,
            log,
            action: AuditAction::parse(get_s(item, attr::ACTION)?)
                .ok_or(StoreError::Corrupt(attr::ACTION))?,
            actor: AuditActor {
                id: get_s(item, attr::ACTOR_ID)?.to_owned(),
                credential: ActorKind::parse(get_s(item, attr::ACTOR_CREDENTIAL)?)
                    .ok_or(StoreError::Corrupt(attr::ACTOR_CREDENTIAL))?,
            },
            target: AuditTarget {
                kind: TargetKind::parse(get_s(item, attr::TARGET_TYPE)?)
                    .ok_or(StoreError::Corrupt(attr::TARGET_TYPE))?,
                id: get_s(item, attr::TARGET_ID)?.to_owned(),
            },
            origin: Origin {
                source_ip: owned(attr::SOURCE_IP)?,
                user_agent: owned(attr::USER_AGENT)?,
            },
            detail: owned(attr::DETAIL)?,
        })
    }
}

/// The audit event an item is, or `None` for any other item: what the
/// table's stream carries to EventBridge (template.yaml's pipe passes the
/// INSERTs of exactly these items; akua-local's `--events` follows the
/// same stream).
pub fn audit_event_of(item: &Item) -> Option<Result<AuditEvent, StoreError>> {
    let pk = item.get(table::PK)?.as_s().ok()?;
    let audit = pk.starts_with(keys::AUDIT_PREFIX)
        && item
            .get(attr::KIND)
            .and_then(|k| k.as_s().ok())
            .map(String::as_str)
            == Some(keys::kind::AUDIT_EVENT);
    audit.then(|| AuditEvent::from_item(item))
}

impl DynamoStore {
    /// `steps` and a step writing each event of `audit`: one transaction,
    /// so the change and its record are written together or not at all.
    pub(crate) fn with_audit(
        &self,
        mut steps: Vec<TransactWriteItem>,
        audit: &[AuditEvent],
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        for event in audit {
            steps.push(self.put_new(event_item(event, self.audit_retention_secs()))?);
        }
        Ok(steps)
    }
}

impl AuditStore for DynamoStore {
    async fn audit_events(
        &self,
        log: &AuditLog,
        filter: &AuditFilter,
        limit: usize,
        after: Option<&str>,
        now: i64,
    ) -> Result<AuditPage, StoreError> {
        keys::check_after(List::AuditEvents, after)?;
        let oldest = now - self.audit_retention_secs();
        let since = filter.since.map_or(oldest, |s| s.max(oldest));
        let until = filter.until.unwrap_or(akua_core::audit::MAX_TIME);
        let filtered = filter.action.is_some() || filter.actor.is_some();
        let mut conditions = Vec::new();
        let mut request = self
            .client()
            .query()
            .table_name(self.table())
            .consistent_read(true)
            .scan_index_forward(false)
            .key_condition_expression("pk = :p AND sk BETWEEN :from AND :until")
            .expression_attribute_values(":p", s(keys::audit_log(log)))
            .expression_attribute_values(":from", s(keys::audit_from(since)))
            .expression_attribute_values(":until", s(keys::audit_until(until)));
        if since > until {
            return Ok(AuditPage {
                events: Vec::new(),
                resume_after: None,
            });
        }
        if let Some(action) = filter.action {
            conditions.push("#action = :action");
            request = request
                .expression_attribute_names("#action", attr::ACTION)
                .expression_attribute_values(":action", s(action.as_str()));
        }
        if let Some(actor) = &filter.actor {
            conditions.push("#actor = :actor");
            request = request
                .expression_attribute_names("#actor", attr::ACTOR_ID)
                .expression_attribute_values(":actor", s(actor));
        }
        if filtered {
            request = request
                .filter_expression(conditions.join(" AND "))
                .limit(FILTERED_PAGE_EVENTS);
        } else {
            request = request.limit(crate::paging::read_limit(limit));
        }
        // DynamoDB refuses a start key outside the key condition, so a
        // cursor from a read with other bounds is clamped to these.
        let (from_key, until_key) = (keys::audit_from(since), keys::audit_until(until));
        let mut start = match after {
            Some(sk) if sk <= from_key.as_str() => {
                return Ok(AuditPage {
                    events: Vec::new(),
                    resume_after: None,
                });
            }
            Some(sk) if sk < until_key.as_str() => Some(Item::from([
                (table::PK.to_owned(), s(keys::audit_log(log))),
                (table::SK.to_owned(), s(sk)),
            ])),
            _ => None,
        };
        let mut found: Vec<(AuditEvent, String)> = Vec::new();
        for _ in 0..MAX_FILTERED_PAGES {
            let out = request
                .clone()
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            for item in out.items() {
                found.push((
                    AuditEvent::from_item(item)?,
                    get_s(item, table::SK)?.to_owned(),
                ));
            }
            start = out.last_evaluated_key;
            if found.len() > limit || start.is_none() || !filtered {
                break;
            }
        }
        // More follow after the last event shown when the read found more
        // than a page; after the last key examined when it stopped early.
        let resume_after = if found.len() > limit {
            found.truncate(limit);
            found.last().map(|(_, sk)| sk.clone())
        } else {
            start.and_then(|key| get_s(&key, table::SK).ok().map(str::to_owned))
        };
        Ok(AuditPage {
            events: found.into_iter().map(|(e, _)| e).collect(),
            resume_after,
        })
    }
}
