//! Reading an audit log (`GET /v1/workspaces/{id}/audit_log`,
//! `GET /v1/me/audit_log`): who may read which log, and the page it gets.
//! The events themselves are [`crate::audit`].

use crate::api_error::ApiError;
use crate::audit::{AuditEntry, AuditFilter, AuditLog, AuditPage};
use crate::paging::{Page, PageRequest};
use crate::policy::{self, Action};
use crate::ports::AuditStore;
use crate::principal::Principal;

crate::named_list!(
    /// A page of an audit log, newest first.
    AuditEventList of AuditEntry
);

/// One page of `log`, its cursors bound to `scope` (the log's own, so a
/// cursor of one log cannot page through another).
async fn read(
    store: &impl AuditStore,
    log: AuditLog,
    scope: &str,
    filter: &AuditFilter,
    page: &PageRequest,
    now: i64,
) -> Result<Page<AuditEntry>, ApiError> {
    let after = page.after(scope)?;
    let found: AuditPage = store
        .audit_events(&log, filter, page.limit, after.as_deref(), now)
        .await?;
    Ok(Page {
        has_more: found.resume_after.is_some(),
        next_cursor: found
            .resume_after
            .map(|key| crate::cursor::encode(scope, &key)),
        data: found.events.into_iter().map(AuditEntry::from).collect(),
    })
}

/// `GET /v1/workspaces/{id}/audit_log`: owners and admins.
pub async fn list_workspace(
    store: &impl AuditStore,
    caller: &Principal,
    workspace: &str,
    filter: &AuditFilter,
    page: &PageRequest,
    now: i64,
) -> Result<Page<AuditEntry>, ApiError> {
    let ws = policy::require_in(store, caller, Action::ReadAuditLog, workspace)
        .await?
        .workspace_id;
    let scope = format!("audit:{ws}");
    read(store, AuditLog::Workspace(ws), &scope, filter, page, now).await
}

/// `GET /v1/me/audit_log`: a person's own device logins and sessions.
pub async fn list_mine(
    store: &impl AuditStore,
    caller: &Principal,
    filter: &AuditFilter,
    page: &PageRequest,
    now: i64,
) -> Result<Page<AuditEntry>, ApiError> {
    let user = policy::require_person(caller, Action::ReadOwnAuditLog)?;
    let scope = format!("audit:{user}");
    read(
        store,
        AuditLog::User(user.clone()),
        &scope,
        filter,
        page,
        now,
    )
    .await
}
