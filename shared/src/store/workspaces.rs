//! Workspace and membership items (DESIGN §4): the writes and lists behind
//! the workspaces API. The authorizer reads memberships through
//! [`DecisionStore::membership`](super::DecisionStore::membership).

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::items::{
    self, Membership, WorkspaceRecord, membership_key, s, user_memberships_partition, workspace_key,
};
use super::{DynamoStore, StoreError, condition_failed, table, written};
use crate::ids::{Role, UserId, WorkspaceId};

/// `sk` prefix of membership items inside a workspace's partition.
const MEMBER_SK_PREFIX: &str = "USER#";

impl DynamoStore {
    /// Creates a workspace and its first owner together.
    pub async fn create_workspace(
        &self,
        workspace: &WorkspaceRecord,
        owner: &Membership,
    ) -> Result<(), StoreError> {
        let result = self
            .client()
            .transact_write_items()
            .transact_items(self.put_new(workspace.to_item())?)
            .transact_items(self.put_new(owner.to_item())?)
            .send()
            .await;
        if written(result)? {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    pub async fn workspace(&self, id: &WorkspaceId) -> Result<Option<WorkspaceRecord>, StoreError> {
        self.get(workspace_key(id))
            .await?
            .as_ref()
            .map(WorkspaceRecord::from_item)
            .transpose()
    }

    /// Several workspaces by id, in one `BatchGetItem` (at most 100 ids).
    pub async fn workspaces(
        &self,
        ids: &[WorkspaceId],
    ) -> Result<Vec<WorkspaceRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys = ids.iter().map(workspace_key).collect::<Vec<_>>();
        let mut request = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(StoreError::request)?,
        );
        let mut found = Vec::with_capacity(ids.len());
        // BatchGetItem may return some keys unprocessed; ask again for those.
        for _ in 0..5 {
            let Some(keys) = request.take() else { break };
            let out = self
                .client()
                .batch_get_item()
                .request_items(self.table(), keys)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            for item in out
                .responses()
                .and_then(|r| r.get(self.table()))
                .into_iter()
                .flatten()
            {
                found.push(WorkspaceRecord::from_item(item)?);
            }
            request = out
                .unprocessed_keys()
                .and_then(|u| u.get(self.table()))
                .filter(|k| !k.keys().is_empty())
                .cloned();
        }
        if request.is_some() {
            return Err(StoreError::Unavailable(
                "batch read left keys unprocessed".into(),
            ));
        }
        Ok(found)
    }

    /// Adds a member; `false` when the user is already a member.
    pub async fn add_member(&self, membership: &Membership) -> Result<bool, StoreError> {
        let result = self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(membership.to_item()))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        written(result)
    }

    /// Changes a member's role; `None` when the user is not a member.
    pub async fn set_member_role(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
        role: Role,
    ) -> Result<Option<Membership>, StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(membership_key(workspace, user)))
            .condition_expression("attribute_exists(pk)")
            .update_expression("SET #role = :role")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":role", s(role.as_str()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => out.attributes().map(Membership::from_item).transpose(),
            Err(e) if condition_failed(&e) => Ok(None),
            Err(e) => Err(StoreError::from_sdk(e)),
        }
    }

    /// Removes a member; `false` when the user was not a member.
    pub async fn remove_member(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
    ) -> Result<bool, StoreError> {
        let result = self
            .client()
            .delete_item()
            .table_name(self.table())
            .set_key(Some(membership_key(workspace, user)))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        written(result)
    }

    /// A workspace's members in user-id order: at most `limit` after the
    /// sort key `after`, and whether more follow. Strongly consistent, so a
    /// change is visible at once.
    pub async fn list_members(
        &self,
        workspace: &WorkspaceId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<(Membership, String)>, bool), StoreError> {
        let pk = format!("WS#{workspace}");
        let (condition, lower) = match after {
            Some(after) => (
                "pk = :pk AND sk BETWEEN :lower AND :upper",
                format!("{after}\u{0}"),
            ),
            None => (
                "pk = :pk AND sk BETWEEN :lower AND :upper",
                MEMBER_SK_PREFIX.to_owned(),
            ),
        };
        let out = self
            .client()
            .query()
            .table_name(self.table())
            .consistent_read(true)
            .key_condition_expression(condition)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":lower", s(lower))
            .expression_attribute_values(":upper", s(format!("{MEMBER_SK_PREFIX}\u{10FFFF}")))
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        page_of(out.items(), limit, |item| {
            let sk = sort_key(item, table::SK)?;
            Ok((Membership::from_item(item)?, sk))
        })
    }

    /// The workspaces `user` belongs to, by workspace id: memberships from
    /// `gsi1` (eventually consistent, like every index).
    pub async fn list_user_memberships(
        &self,
        user: &UserId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<(Membership, String)>, bool), StoreError> {
        let mut condition = "gsi1pk = :p".to_owned();
        let mut request = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(table::GSI1.name)
            .expression_attribute_values(":p", s(user_memberships_partition(user)))
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX));
        if let Some(after) = after {
            condition.push_str(" AND gsi1sk > :after");
            request = request.expression_attribute_values(":after", s(after));
        }
        let out = request
            .key_condition_expression(condition)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        page_of(out.items(), limit, |item| {
            let sk = sort_key(item, table::GSI1.range.0)?;
            Ok((Membership::from_item(item)?, sk))
        })
    }
}

fn sort_key(item: &items::Item, attr: &'static str) -> Result<String, StoreError> {
    match item.get(attr) {
        Some(AttributeValue::S(v)) => Ok(v.clone()),
        _ => Err(StoreError::Corrupt(attr)),
    }
}

/// Parses up to `limit` items; `limit + 1` read means more follow.
fn page_of<T>(
    found: &[items::Item],
    limit: usize,
    parse: impl Fn(&items::Item) -> Result<T, StoreError>,
) -> Result<(Vec<T>, bool), StoreError> {
    let has_more = found.len() > limit;
    let page = found
        .iter()
        .take(limit)
        .map(parse)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((page, has_more))
}
