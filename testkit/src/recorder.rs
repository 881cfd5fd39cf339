//! What a function asks of DynamoDB, as IAM sees it: every request that
//! passes the [`crate::FaultProxy`] is read off the wire and recorded as
//! the item actions IAM authorises it by, each with the table or index it
//! names and the pattern of each partition key it touches.
//!
//! IAM decides a request by its action and resource and, under a
//! `dynamodb:LeadingKeys` condition, by the partition-key values it
//! touches: the table's `pk` for an item read or write, the queried
//! index's own partition key for a query on an index, every key of a
//! batch. A transaction is no action of its own: IAM authorises each
//! action inside it (`Put` as `dynamodb:PutItem`, `Update` as
//! `UpdateItem`, `Delete` as `DeleteItem`, `ConditionCheck` as
//! `ConditionCheckItem`, a transactional `Get` as `GetItem`). So that is
//! what is recorded, one [`Access`] per action and key.
//!
//! A key's value is never kept (a credential's key holds its hash): only
//! its pattern, in the form a template's `dynamodb:LeadingKeys` lists it
//! (`CRED#*`, `AUDIT#WS#*`, `USER#*#SESSIONS`). The patterns come from the
//! store's own key constructors ([`KeyPatterns::of_store`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use akua_core::ids::{UserId, WorkspaceId};
use akua_store::{keys, table};
use serde_json::Value;

/// The pattern of a request that names no partition key (a `Scan`, a
/// table operation): a `dynamodb:LeadingKeys` condition does not bound it.
pub const NO_KEY: &str = "(no partition key)";
/// The pattern of a key of no shape the store makes.
pub const UNRECOGNISED: &str = "(a key of no known shape)";
/// The pattern of a request the recorder could not read.
pub const UNREADABLE: &str = "(unreadable request)";

/// One action IAM authorises, on one resource, for one partition key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Access {
    /// The IAM action, `dynamodb:GetItem`.
    pub action: String,
    pub table: String,
    /// `Some` for a query or scan of an index.
    pub index: Option<String>,
    /// The key's pattern as `dynamodb:LeadingKeys` would list it, or
    /// [`NO_KEY`], [`UNRECOGNISED`], [`UNREADABLE`].
    pub leading_key: String,
}

/// The partition-key patterns of the table and of each index, and the
/// attribute that is each one's partition key.
#[derive(Debug, Clone)]
pub struct KeyPatterns {
    table_key: String,
    table: Vec<String>,
    /// By index name: its partition-key attribute and its patterns.
    indexes: BTreeMap<String, (String, Vec<String>)>,
}

/// An id that appears nowhere in a key format, standing for "any id".
const ANY_ID: &str = "0any0id0";

impl KeyPatterns {
    /// The store's keys: every base-table partition starts with one of
    /// [`keys::PARTITION_PREFIXES`]; each index partition is what its
    /// constructor in [`keys`] makes, the id turned into `*`.
    pub fn of_store() -> Self {
        let ws = WorkspaceId::parse(&format!("ws_{ANY_ID}")).expect("a workspace id");
        let user = UserId::parse(&format!("usr_{ANY_ID}")).expect("a user id");
        let any = |key: String, id: &str| key.replace(id, "*");
        let lists = vec![
            any(keys::workspace_tokens_partition(&ws), ws.as_str()),
            any(keys::user_tokens_partition(&user), user.as_str()),
            any(keys::user_sessions_partition(&user), user.as_str()),
            any(keys::user_memberships_partition(&user), user.as_str()),
        ];
        let shards: Vec<String> = keys::expiry_shards().collect();
        let shard_prefix = common_prefix(&shards);
        let by_expiry = vec![format!("{shard_prefix}*")];
        let mut indexes = BTreeMap::new();
        indexes.insert(
            table::LISTS.name.to_owned(),
            (table::LISTS.hash.0.to_owned(), lists.clone()),
        );
        // Same keys as `lists`, read during an upgrade.
        indexes.insert(
            table::LEGACY_GSI1.to_owned(),
            (table::LISTS.hash.0.to_owned(), lists),
        );
        indexes.insert(
            table::BY_EXPIRY.name.to_owned(),
            (table::BY_EXPIRY.hash.0.to_owned(), by_expiry),
        );
        Self {
            table_key: table::PK.to_owned(),
            table: keys::PARTITION_PREFIXES
                .iter()
                .map(|p| format!("{p}*"))
                .collect(),
            indexes,
        }
    }

    /// Every pattern a key of the table (`None`) or of an index may have.
    pub fn patterns(&self, index: Option<&str>) -> Vec<String> {
        match index {
            None => self.table.clone(),
            Some(name) => self
                .indexes
                .get(name)
                .map(|(_, p)| p.clone())
                .unwrap_or_default(),
        }
    }

    /// The partition-key attribute of the table or an index.
    fn key_attribute(&self, index: Option<&str>) -> Option<&str> {
        match index {
            None => Some(&self.table_key),
            Some(name) => self.indexes.get(name).map(|(attr, _)| attr.as_str()),
        }
    }

    /// The most specific pattern `value` matches, or [`UNRECOGNISED`].
    fn classify(&self, index: Option<&str>, value: &str) -> String {
        self.patterns(index)
            .into_iter()
            .filter(|p| string_like(p, value))
            .max_by_key(|p| p.len())
            .unwrap_or_else(|| UNRECOGNISED.to_owned())
    }
}

fn common_prefix(values: &[String]) -> String {
    let Some(first) = values.first() else {
        return String::new();
    };
    let mut len = first.len();
    for v in values {
        len = len.min(
            first
                .bytes()
                .zip(v.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    first[..len].to_owned()
}

/// IAM's `StringLike` with `*` (any run of characters, `#` included).
pub fn string_like(pattern: &str, value: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = value.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// A shared log of accesses; clones share it. Records only once
/// [`Recorder::start`]ed, so a proxy that only injects faults keeps none.
#[derive(Debug, Clone)]
pub struct Recorder {
    on: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Access>>>,
    patterns: Arc<KeyPatterns>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self {
            on: Arc::default(),
            log: Arc::default(),
            patterns: Arc::new(KeyPatterns::of_store()),
        }
    }
}

impl Recorder {
    pub fn start(&self) {
        self.on.store(true, Ordering::SeqCst);
    }

    /// Every distinct access recorded so far.
    pub fn accesses(&self) -> BTreeSet<Access> {
        self.log
            .lock()
            .map(|log| log.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Every distinct access recorded so far, and forgets them.
    pub fn take(&self) -> BTreeSet<Access> {
        self.log
            .lock()
            .map(|mut log| log.drain(..).collect())
            .unwrap_or_default()
    }

    /// The number of accesses recorded (repeats counted).
    pub fn len(&self) -> usize {
        self.log.lock().map(|log| log.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records one wire request: its `X-Amz-Target` and its JSON body.
    pub fn record(&self, target: &str, body: &[u8]) {
        if !self.on.load(Ordering::SeqCst) {
            return;
        }
        let operation = target.rsplit('.').next().unwrap_or(target);
        let found = match serde_json::from_slice::<Value>(body) {
            Ok(request) => accesses(&self.patterns, operation, &request),
            Err(_) => vec![Access {
                action: format!("dynamodb:{operation}"),
                table: String::new(),
                index: None,
                leading_key: UNREADABLE.to_owned(),
            }],
        };
        if let Ok(mut log) = self.log.lock() {
            log.extend(found);
        }
    }
}

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value.get(field).and_then(Value::as_str).unwrap_or("")
}

/// The string value of an attribute of an item or key (`{"S": …}`).
fn string_attribute<'a>(item: &'a Value, attribute: &str) -> Option<&'a str> {
    item.get(attribute)?.get("S")?.as_str()
}

/// What IAM authorises for one request of `operation`.
pub fn accesses(patterns: &KeyPatterns, operation: &str, request: &Value) -> Vec<Access> {
    let access = |action: &str, table: &str, index: Option<&str>, key: Option<&str>| Access {
        action: format!("dynamodb:{action}"),
        table: table.to_owned(),
        index: index.map(str::to_owned),
        leading_key: match key {
            Some(value) => patterns.classify(index, value),
            None => NO_KEY.to_owned(),
        },
    };
    // An item action on the table: its key's `pk`.
    let item_action = |action: &str, body: &Value, key_field: &str| {
        let key = body
            .get(key_field)
            .map(|k| string_attribute(k, table::PK).map(|pk| patterns.classify(None, pk)));
        Access {
            action: format!("dynamodb:{action}"),
            table: text(body, "TableName").to_owned(),
            index: None,
            leading_key: match key {
                Some(Some(pattern)) => pattern,
                Some(None) => UNRECOGNISED.to_owned(),
                None => NO_KEY.to_owned(),
            },
        }
    };
    match operation {
        "GetItem" | "UpdateItem" | "DeleteItem" => vec![item_action(operation, request, "Key")],
        "PutItem" => vec![item_action(operation, request, "Item")],
        "Query" => {
            let table = text(request, "TableName");
            let index = request.get("IndexName").and_then(Value::as_str);
            let key = patterns
                .key_attribute(index)
                .and_then(|attribute| queried_partition(request, attribute));
            let mut found = access(operation, table, index, key);
            // Every query names its partition: one not found is unknown.
            if key.is_none() {
                found.leading_key = UNRECOGNISED.to_owned();
            }
            vec![found]
        }
        "BatchGetItem" => batch(request, |table, entry| {
            entry
                .get("Keys")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|key| {
                    let pk = string_attribute(key, table::PK);
                    let mut found = access(operation, table, None, pk);
                    if pk.is_none() {
                        found.leading_key = UNRECOGNISED.to_owned();
                    }
                    found
                })
                .collect()
        }),
        "BatchWriteItem" => batch(request, |table, entry| {
            entry
                .as_array()
                .into_iter()
                .flatten()
                .map(|write| {
                    let key = write
                        .get("PutRequest")
                        .and_then(|p| p.get("Item"))
                        .or_else(|| write.get("DeleteRequest").and_then(|d| d.get("Key")));
                    match key.and_then(|k| string_attribute(k, table::PK)) {
                        Some(pk) => access(operation, table, None, Some(pk)),
                        None => Access {
                            leading_key: UNRECOGNISED.to_owned(),
                            ..access(operation, table, None, None)
                        },
                    }
                })
                .collect()
        }),
        "TransactWriteItems" | "TransactGetItems" => request
            .get("TransactItems")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|step| {
                [
                    ("Put", "PutItem", "Item"),
                    ("Update", "UpdateItem", "Key"),
                    ("Delete", "DeleteItem", "Key"),
                    ("ConditionCheck", "ConditionCheckItem", "Key"),
                    ("Get", "GetItem", "Key"),
                ]
                .into_iter()
                .filter_map(|(field, action, key_field)| {
                    step.get(field)
                        .map(|body| item_action(action, body, key_field))
                })
                .collect::<Vec<_>>()
            })
            .collect(),
        // A scan, or an operation on the table itself: no key bounds it.
        _ => vec![access(
            operation,
            text(request, "TableName"),
            request.get("IndexName").and_then(Value::as_str),
            None,
        )],
    }
}

/// The accesses of a batch, table by table.
fn batch(request: &Value, each: impl Fn(&str, &Value) -> Vec<Access>) -> Vec<Access> {
    request
        .get("RequestItems")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(|(table, entry)| each(table, entry))
        .collect()
}

/// The partition-key value a query names: the value its key condition
/// sets `attribute` equal to (`gsi1pk = :p`, through `#names` and
/// `:values`), or the legacy `KeyConditions`' `EQ`.
fn queried_partition<'a>(request: &'a Value, attribute: &str) -> Option<&'a str> {
    if let Some(legacy) = request.get("KeyConditions") {
        let condition = legacy.get(attribute)?;
        if text(condition, "ComparisonOperator") != "EQ" {
            return None;
        }
        return condition
            .get("AttributeValueList")?
            .get(0)?
            .get("S")?
            .as_str();
    }
    let expression = text(request, "KeyConditionExpression");
    let names = request.get("ExpressionAttributeNames");
    let values = request.get("ExpressionAttributeValues")?;
    let name_of = |token: &str| -> String {
        match token.strip_prefix('#') {
            Some(_) => names
                .and_then(|n| n.get(token))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            None => token.to_owned(),
        }
    };
    let cleaned = expression.replace(['(', ')'], " ");
    for clause in split_and(&cleaned) {
        let Some((left, right)) = equality(clause) else {
            continue;
        };
        let (name, placeholder) = if right.starts_with(':') {
            (left, right)
        } else {
            (right, left)
        };
        if name_of(name) == attribute && placeholder.starts_with(':') {
            return values.get(placeholder)?.get("S")?.as_str();
        }
    }
    None
}

/// A key condition's clauses (a `BETWEEN … AND …` splits too, which only
/// leaves pieces that are no equality).
fn split_and(expression: &str) -> Vec<&str> {
    let upper = expression.to_ascii_uppercase();
    let mut clauses = Vec::new();
    let mut start = 0;
    for (at, _) in upper.match_indices(" AND ") {
        clauses.push(expression[start..at].trim());
        start = at + " AND ".len();
    }
    clauses.push(expression[start..].trim());
    clauses
}

/// `a = b` (not `<=`, `>=` or `<>`): its two sides.
fn equality(clause: &str) -> Option<(&str, &str)> {
    let at = clause.find('=')?;
    let before = clause[..at].trim_end();
    if before.ends_with(['<', '>', '!']) || clause[at + 1..].starts_with('=') {
        return None;
    }
    let after = clause[at + 1..].trim();
    (!before.is_empty() && !after.is_empty() && !after.contains(char::is_whitespace))
        .then_some((before.trim(), after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(operation: &str, request: Value) -> Vec<Access> {
        accesses(&KeyPatterns::of_store(), operation, &request)
    }

    fn keys_of(found: &[Access]) -> Vec<(&str, Option<&str>, &str)> {
        found
            .iter()
            .map(|a| {
                (
                    a.action.as_str(),
                    a.index.as_deref(),
                    a.leading_key.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn patterns_come_from_the_store_s_key_constructors() {
        let p = KeyPatterns::of_store();
        assert!(p.patterns(None).contains(&"AUDIT#WS#*".to_owned()));
        assert_eq!(
            p.patterns(Some("lists")),
            [
                "WS#*#TOKENS",
                "USER#*#TOKENS",
                "USER#*#SESSIONS",
                "USER#*#WORKSPACES"
            ]
        );
        assert_eq!(p.patterns(Some("by_expiry")), ["EXP#*"]);
        // The most specific prefix wins.
        assert_eq!(p.classify(None, "AUDIT#WS#ws_a"), "AUDIT#WS#*");
        assert_eq!(p.classify(None, "AUDIT#USER#usr_a"), "AUDIT#USER#*");
        assert_eq!(p.classify(None, "WS#ws_a"), "WS#*");
        assert_eq!(p.classify(None, "NOPE#1"), UNRECOGNISED);
        // A user id may hold `#`: the list is its suffix.
        assert_eq!(
            p.classify(Some("lists"), "USER#a#TOKENS#SESSIONS"),
            "USER#*#SESSIONS"
        );
    }

    #[test]
    fn string_like_is_iam_s() {
        assert!(string_like("CRED#*", "CRED#ab"));
        assert!(string_like("CRED#*", "CRED#"));
        assert!(!string_like("CRED#*", "XCRED#ab"));
        assert!(string_like("USER#*#SESSIONS", "USER#u#SESSIONS"));
        assert!(!string_like("USER#*#SESSIONS", "USER#u#TOKENS"));
        assert!(!string_like("USER#*#SESSIONS", "USER#SESSIONS"));
        assert!(string_like("a*b*c", "a1b2b3c"));
        assert!(string_like("exact", "exact"));
        assert!(!string_like("exact", "exactly"));
    }

    #[test]
    fn item_actions_and_queries_name_their_partition() {
        let get = json!({"TableName": "t", "Key": {"pk": {"S": "CRED#ab"}, "sk": {"S": "CRED"}}});
        assert_eq!(
            keys_of(&one("GetItem", get)),
            [("dynamodb:GetItem", None, "CRED#*")]
        );
        let put =
            json!({"TableName": "t", "Item": {"pk": {"S": "AUDIT#USER#u"}, "sk": {"S": "1"}}});
        assert_eq!(
            keys_of(&one("PutItem", put)),
            [("dynamodb:PutItem", None, "AUDIT#USER#*")]
        );
        let on_index = json!({"TableName": "t", "IndexName": "lists",
            "KeyConditionExpression": "gsi1pk = :p AND gsi1sk < :after",
            "ExpressionAttributeValues": {":p": {"S": "WS#ws_a#TOKENS"}, ":after": {"S": "1"}}});
        assert_eq!(
            keys_of(&one("Query", on_index)),
            [("dynamodb:Query", Some("lists"), "WS#*#TOKENS")]
        );
        let named = json!({"TableName": "t", "IndexName": "by_expiry",
            "KeyConditionExpression": "(#s = :shard) AND expires_at <= :now",
            "ExpressionAttributeNames": {"#s": "exp_shard"},
            "ExpressionAttributeValues": {":shard": {"S": "EXP#3"}, ":now": {"N": "1"}}});
        assert_eq!(
            keys_of(&one("Query", named)),
            [("dynamodb:Query", Some("by_expiry"), "EXP#*")]
        );
        let between = json!({"TableName": "t",
            "KeyConditionExpression": "pk = :p AND sk BETWEEN :from AND :until",
            "ExpressionAttributeValues": {":p": {"S": "WS#ws_a"}, ":from": {"S": "a"}, ":until": {"S": "b"}}});
        assert_eq!(
            keys_of(&one("Query", between)),
            [("dynamodb:Query", None, "WS#*")]
        );
        let legacy = json!({"TableName": "t", "KeyConditions": {"pk": {"ComparisonOperator": "EQ",
            "AttributeValueList": [{"S": "TOKEN#tok_a"}]}}});
        assert_eq!(
            keys_of(&one("Query", legacy)),
            [("dynamodb:Query", None, "TOKEN#*")]
        );
        let scan = json!({"TableName": "t"});
        assert_eq!(
            keys_of(&one("Scan", scan)),
            [("dynamodb:Scan", None, NO_KEY)]
        );
    }

    #[test]
    fn batches_and_transactions_are_each_of_their_actions() {
        let batch = json!({"RequestItems": {"t": {"Keys": [
            {"pk": {"S": "CRED#a"}, "sk": {"S": "CRED"}},
            {"pk": {"S": "TOKEN#tok_a"}, "sk": {"S": "WS#ws_a"}}
        ], "ConsistentRead": true}}});
        assert_eq!(
            keys_of(&one("BatchGetItem", batch)),
            [
                ("dynamodb:BatchGetItem", None, "CRED#*"),
                ("dynamodb:BatchGetItem", None, "TOKEN#*")
            ]
        );
        let key = |pk: &str| json!({"pk": {"S": pk}, "sk": {"S": "x"}});
        let transaction = json!({"TransactItems": [
            {"Put": {"TableName": "t", "Item": key("CRED#a")}},
            {"Update": {"TableName": "t", "Key": key("TOKEN#tok_a")}},
            {"Delete": {"TableName": "t", "Key": key("USERCODE#A")}},
            {"ConditionCheck": {"TableName": "t", "Key": key("WS#ws_a")}}
        ]});
        assert_eq!(
            keys_of(&one("TransactWriteItems", transaction)),
            [
                ("dynamodb:PutItem", None, "CRED#*"),
                ("dynamodb:UpdateItem", None, "TOKEN#*"),
                ("dynamodb:DeleteItem", None, "USERCODE#*"),
                ("dynamodb:ConditionCheckItem", None, "WS#*")
            ]
        );
        let gets = json!({"TransactItems": [{"Get": {"TableName": "t", "Key": key("DEVICE#a")}}]});
        assert_eq!(
            keys_of(&one("TransactGetItems", gets)),
            [("dynamodb:GetItem", None, "DEVICE#*")]
        );
    }
}
