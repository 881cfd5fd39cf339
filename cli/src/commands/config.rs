//! `cnap config get|set|unset|list`: the settings kept in
//! `~/.cnap/config.yaml`, each checked as its flag is. Credentials are not
//! settings: `cnap auth login` and `logout` keep them (in the keychain).

use serde::Serialize;

use crate::cli::{ConfigCommand, ConfigKey};
use crate::client::parse_api_url;
use crate::error::{Error, Result};
use crate::ids;
use crate::output::{self, Format, Table};
use crate::settings::Settings;
use crate::source::Source;

pub fn run(mut settings: Settings, command: &ConfigCommand) -> Result<()> {
    match command {
        ConfigCommand::Get { key } => {
            if let Some(value) = stored(&settings, *key)? {
                output::line(&value)?;
            }
            Ok(())
        }
        ConfigCommand::Set { key, value } => {
            let value = checked(*key, value)?;
            write(&mut settings, *key, Some(&value));
            settings.config.save()?;
            eprintln!("{} = {value}", name(*key));
            Ok(())
        }
        ConfigCommand::Unset { key } => {
            write(&mut settings, *key, None);
            settings.config.save()?;
            eprintln!("{} unset", name(*key));
            Ok(())
        }
        ConfigCommand::List => list(&settings),
    }
}

fn name(key: ConfigKey) -> &'static str {
    match key {
        ConfigKey::ApiUrl => "api_url",
        ConfigKey::Output => "output",
        ConfigKey::Workspace => "workspace",
    }
}

const KEYS: [ConfigKey; 3] = [ConfigKey::ApiUrl, ConfigKey::Output, ConfigKey::Workspace];

/// What the file holds for `key` (the workspace: at the API URL in effect).
fn stored(settings: &Settings, key: ConfigKey) -> Result<Option<String>> {
    let config = &settings.config;
    Ok(match key {
        ConfigKey::ApiUrl => config.api_url()?.map(str::to_owned),
        ConfigKey::Output => config.output_format()?.map(|f| format_name(f).to_owned()),
        ConfigKey::Workspace => config
            .active_workspace(settings.api_url.as_str())?
            .map(str::to_owned),
    })
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Table => "table",
        Format::Json => "json",
    }
}

/// `value` as the flag of the same name would take it, or a usage error.
fn checked(key: ConfigKey, value: &str) -> Result<String> {
    let bad = |e: String| Error::Usage(format!("{}: {e}", name(key)));
    match key {
        ConfigKey::ApiUrl => parse_api_url(value).map(|u| u.to_string()).map_err(bad),
        ConfigKey::Output => match value {
            "table" | "json" => Ok(value.to_owned()),
            _ => Err(bad(format!("{value:?} is not table or json"))),
        },
        ConfigKey::Workspace => ids::workspace_id(value).map_err(bad),
    }
}

fn write(settings: &mut Settings, key: ConfigKey, value: Option<&str>) {
    let url = settings.api_url.to_string();
    let config = &mut settings.config;
    match key {
        ConfigKey::ApiUrl => config.set_api_url(value),
        ConfigKey::Output => config.set_output_format(value),
        ConfigKey::Workspace => config.set_active_workspace(&url, value),
    }
}

#[derive(Serialize)]
struct Setting {
    key: &'static str,
    /// What cnap uses now, from wherever it comes.
    value: Option<String>,
    /// `flag`, an environment variable's name, `config` or `default`.
    source: String,
}

/// Every setting: what is in effect and where it comes from.
fn list(settings: &Settings) -> Result<()> {
    let rows: Vec<Setting> = KEYS
        .iter()
        .map(|&key| {
            let (value, source) = match key {
                ConfigKey::ApiUrl => (
                    Some(settings.api_url.to_string()),
                    settings.api_url_source.to_string(),
                ),
                ConfigKey::Output => (
                    Some(format_name(settings.format).to_owned()),
                    if stored(settings, key).ok().flatten().is_some() {
                        "config".to_owned()
                    } else {
                        "default".to_owned()
                    },
                ),
                ConfigKey::Workspace => match &settings.workspace {
                    Some((ws, source)) => (Some(ws.clone()), source.to_string()),
                    None => (None, Source::Default.to_string()),
                },
            };
            Setting {
                key: name(key),
                value,
                source,
            }
        })
        .collect();
    match settings.format {
        Format::Json => output::json(&rows),
        Format::Table => {
            let mut table = Table::new(&["KEY", "VALUE", "FROM"]);
            for s in &rows {
                table.row(vec![
                    s.key.to_owned(),
                    s.value.clone().unwrap_or_else(|| "—".to_owned()),
                    s.source.clone(),
                ]);
            }
            table.print()
        }
    }
}
