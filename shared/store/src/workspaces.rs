//! Workspaces and memberships ([`WorkspaceStore`]).
//!
//! The last-owner rule is kept by the table itself: the workspace item
//! counts its owners (`owners`), and every write that takes an owner away
//! changes the membership and decrements the count in one transaction
//! conditioned on `owners > 1`. Two owners demoting each other at once
//! cannot both succeed.

use akua_core::audit::AuditEvent;
use akua_core::ids::{Role, UserId, WorkspaceId};
use akua_core::ports::{Listed, Removal, RoleChange, StoreError, WorkspaceStore};
use akua_core::records::{Membership, WorkspaceRecord};
use akua_core::token_policy::TokenPolicy;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};

use crate::error::{request_error, sdk_error, written};
use crate::items::{FromItem, attr, cidr_list, membership_item, n, s, workspace_item};
use crate::keys::{self, List, MEMBER_SK_PREFIX};
use crate::paging::{self, Order};
use crate::{DynamoStore, table};

impl DynamoStore {
    /// The step that takes one owner away from the workspace's count, only
    /// while another remains.
    fn one_owner_fewer(&self, workspace: &WorkspaceId) -> Result<TransactWriteItem, StoreError> {
        Update::builder()
            .table_name(self.table())
            .set_key(Some(keys::workspace(workspace)))
            .condition_expression("#owners > :one")
            .update_expression("SET #owners = #owners - :one")
            .expression_attribute_names("#owners", attr::OWNERS)
            .expression_attribute_values(":one", n(1))
            .build()
            .map(|u| TransactWriteItem::builder().update(u).build())
            .map_err(request_error)
    }

    /// Workspaces created before the owner count existed get it, counted
    /// from their memberships, the first time an owner is taken away.
    async fn ensure_owner_count(&self, workspace: &WorkspaceId) -> Result<(), StoreError> {
        let counted = self
            .get(keys::workspace(workspace))
            .await?
            .is_some_and(|item| item.contains_key(attr::OWNERS));
        if counted {
            return Ok(());
        }
        let mut owners = 0;
        let mut after: Option<String> = None;
        loop {
            let page = self.list_members(workspace, 100, after.as_deref()).await?;
            owners += page
                .rows
                .iter()
                .filter(|(m, _)| m.role == Role::Owner)
                .count();
            after = page.rows.last().map(|(_, k)| k.clone());
            if !page.has_more {
                break;
            }
        }
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(keys::workspace(workspace)))
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(#owners)")
            .update_expression("SET #owners = :count")
            .expression_attribute_names("#owners", attr::OWNERS)
            .expression_attribute_values(":count", n(i64::try_from(owners).unwrap_or(i64::MAX)))
            .send()
            .await;
        written(result).map(|_| ())
    }

    /// Applies `step` (a demotion or removal of `current`, conditioned on
    /// its role being unchanged). Taking an owner away also decrements the
    /// owner count in the same transaction, only while another owner
    /// remains. `Ok(None)`: written; `Ok(Some(last_owner))`: refused, and
    /// whether because `current` is the last owner.
    async fn change_membership(
        &self,
        current: &Membership,
        step: TransactWriteItem,
        takes_owner: bool,
        audit: &[AuditEvent],
    ) -> Result<Option<bool>, StoreError> {
        let mut steps = vec![step];
        if takes_owner {
            self.ensure_owner_count(&current.workspace_id).await?;
            steps.push(self.one_owner_fewer(&current.workspace_id)?);
        }
        if self.transact(self.with_audit(steps, audit)?).await? {
            return Ok(None);
        }
        let unchanged = self
            .membership_of(&current.workspace_id, &current.user_id)
            .await?
            .as_ref()
            == Some(current);
        Ok(Some(takes_owner && unchanged))
    }
}

impl WorkspaceStore for DynamoStore {
    async fn create_workspace(
        &self,
        workspace: &WorkspaceRecord,
        owner: &Membership,
        audit: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let steps = vec![
            self.put_new(workspace_item(workspace))?,
            self.put_new(membership_item(owner))?,
        ];
        self.write_new(self.with_audit(steps, audit)?).await
    }

    async fn workspace(&self, id: &WorkspaceId) -> Result<Option<WorkspaceRecord>, StoreError> {
        self.get_as(keys::workspace(id)).await
    }

    async fn workspaces(&self, ids: &[WorkspaceId]) -> Result<Vec<WorkspaceRecord>, StoreError> {
        let keys = ids.iter().map(keys::workspace).collect::<Vec<_>>();
        self.items_by_key(&keys)
            .await?
            .values()
            .map(WorkspaceRecord::from_item)
            .collect()
    }

    async fn set_token_policy(
        &self,
        workspace: &WorkspaceId,
        policy: &TokenPolicy,
        audit: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let mut set = Vec::new();
        let mut remove = Vec::new();
        let mut update = Update::builder()
            .table_name(self.table())
            .set_key(Some(keys::workspace(workspace)))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#days", attr::POLICY_MAX_LIFETIME_DAYS)
            .expression_attribute_names("#expiry", attr::POLICY_REQUIRE_EXPIRY)
            .expression_attribute_names("#cidrs", attr::POLICY_ALLOWED_CIDRS)
            .expression_attribute_values(":expiry", AttributeValue::Bool(policy.require_expiry));
        set.push("#expiry = :expiry");
        match policy.max_lifetime_days {
            Some(days) => {
                set.push("#days = :days");
                update = update.expression_attribute_values(":days", n(i64::from(days)));
            }
            None => remove.push("#days"),
        }
        if policy.allowed_cidrs.is_anywhere() {
            remove.push("#cidrs");
        } else {
            set.push("#cidrs = :cidrs");
            update = update.expression_attribute_values(":cidrs", cidr_list(&policy.allowed_cidrs));
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let step = update
            .update_expression(expression)
            .build()
            .map(|u| TransactWriteItem::builder().update(u).build())
            .map_err(request_error)?;
        self.transact(self.with_audit(vec![step], audit)?).await
    }

    async fn add_member(
        &self,
        membership: &Membership,
        audit: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let steps = vec![self.put_new(membership_item(membership))?];
        self.transact(self.with_audit(steps, audit)?).await
    }

    async fn set_member_role(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
        role: Role,
        audit: &[AuditEvent],
    ) -> Result<RoleChange, StoreError> {
        // Read, then write conditioned on the role read: after a concurrent
        // change the write is refused, and the loop looks again.
        for _ in 0..3 {
            let Some(current) = self.membership_of(workspace, user).await? else {
                return Ok(RoleChange::NotMember);
            };
            let update = Update::builder()
                .table_name(self.table())
                .set_key(Some(keys::membership(workspace, user)))
                .condition_expression("#role = :was")
                .update_expression("SET #role = :role")
                .expression_attribute_names("#role", attr::ROLE)
                .expression_attribute_values(":was", s(current.role.as_str()))
                .expression_attribute_values(":role", s(role.as_str()))
                .build()
                .map_err(request_error)?;
            let step = TransactWriteItem::builder().update(update).build();
            let takes_owner = current.role == Role::Owner && role != Role::Owner;
            match self
                .change_membership(&current, step, takes_owner, audit)
                .await?
            {
                None => return Ok(RoleChange::Changed(Membership { role, ..current })),
                Some(true) => return Ok(RoleChange::LastOwner),
                Some(false) => {}
            }
        }
        Err(StoreError::Conflict)
    }

    async fn remove_member(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
        audit: &[AuditEvent],
    ) -> Result<Removal, StoreError> {
        for _ in 0..3 {
            let Some(current) = self.membership_of(workspace, user).await? else {
                return Ok(Removal::NotMember);
            };
            let delete = Delete::builder()
                .table_name(self.table())
                .set_key(Some(keys::membership(workspace, user)))
                .condition_expression("#role = :was")
                .expression_attribute_names("#role", attr::ROLE)
                .expression_attribute_values(":was", s(current.role.as_str()))
                .build()
                .map_err(request_error)?;
            let step = TransactWriteItem::builder().delete(delete).build();
            let takes_owner = current.role == Role::Owner;
            match self
                .change_membership(&current, step, takes_owner, audit)
                .await?
            {
                None => return Ok(Removal::Removed),
                Some(true) => return Ok(Removal::LastOwner),
                Some(false) => {}
            }
        }
        Err(StoreError::Conflict)
    }

    async fn list_members(
        &self,
        workspace: &WorkspaceId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Listed<Membership>, StoreError> {
        keys::check_after(List::Members, after)?;
        let lower = match after {
            Some(after) => format!("{after}\u{0}"),
            None => MEMBER_SK_PREFIX.to_owned(),
        };
        let out = self
            .client()
            .query()
            .table_name(self.table())
            .consistent_read(true)
            .key_condition_expression("pk = :pk AND sk BETWEEN :lower AND :upper")
            .expression_attribute_values(":pk", s(keys::workspace_partition(workspace)))
            .expression_attribute_values(":lower", s(lower))
            .expression_attribute_values(":upper", s(format!("{MEMBER_SK_PREFIX}\u{10FFFF}")))
            .limit(paging::read_limit(limit))
            .send()
            .await
            .map_err(sdk_error)?;
        paging::listed(out.items(), limit, table::SK, Membership::from_item)
    }

    async fn list_user_memberships(
        &self,
        user: &UserId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Listed<Membership>, StoreError> {
        let partition = keys::user_memberships_partition(user);
        self.index_list(
            List::UserMemberships,
            partition,
            Order::Ascending,
            limit,
            after,
            Membership::from_item,
        )
        .await
    }
}

impl DynamoStore {
    async fn membership_of(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
    ) -> Result<Option<Membership>, StoreError> {
        self.get_as::<Membership>(keys::membership(workspace, user))
            .await
    }
}
