//! `cnap audit list`: the active workspace's audit log (owner or admin),
//! or with `--mine` the person's own, newest first.

use akua_core::audit::AuditEntry;

use crate::cli::AuditListArgs;
use crate::error::Result;
use crate::output::{self, Table};
use crate::settings::{Settings, no_workspace};

pub async fn list(settings: &Settings, args: &AuditListArgs) -> Result<()> {
    let (credential, _) = settings.require_credential()?;
    // The log's workspace is in the path: an API token's own is not known
    // here, so every credential names one.
    let workspace = match (&settings.workspace, args.mine) {
        (_, true) => None,
        (Some((ws, _)), false) => Some(ws.clone()),
        (None, false) => return Err(no_workspace(Some("--mine for your own log"))),
    };
    let client = settings.client_with(Some(credential.clone()))?;
    let mut filter: Vec<(&str, String)> = Vec::new();
    if let Some(action) = &args.action {
        filter.push(("action", action.clone()));
    }
    if let Some(actor) = &args.actor {
        filter.push(("actor", actor.clone()));
    }
    if let Some(since) = args.since {
        filter.push(("since", since.to_string()));
    }
    if let Some(until) = args.until {
        filter.push(("until", until.to_string()));
    }
    let page = super::fetch_pages(&args.list, async |limit, cursor: Option<String>| {
        client
            .audit_log(workspace.as_deref(), &filter, limit, cursor.as_deref())
            .await
    })
    .await?;
    super::show_list(settings, &page, "No events.", "events", table)
}

fn table(events: &[AuditEntry]) -> Table {
    let mut table = Table::new(&["TIME", "ACTION", "ACTOR", "TARGET", "FROM", "DETAIL"]);
    for e in events {
        table.row(vec![
            output::timestamp(e.at),
            e.action.as_str().to_owned(),
            format!("{} ({})", e.actor.id, e.actor.credential.as_str()),
            format!("{} {}", e.target.kind.as_str(), e.target.id),
            e.source_ip.clone().unwrap_or_default(),
            e.detail.clone().unwrap_or_default(),
        ]);
    }
    table
}
