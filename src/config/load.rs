//! Reading the settings: the file (or the defaults), then `WHARF_*` environment variables
//! laid over it (`WHARF_PIPELINE__WORKERS=8` is `[pipeline] workers = 8`), then validation.

use std::path::Path;

use super::raw::RawSettings;
use super::validate::validate;
use super::{ConfigError, Settings};

impl Settings {
    /// Reads `path` (or `wharf.toml` when it exists and no path was given), applies `WHARF_*`
    /// variables from `env`, and validates the result.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let (origin, text) = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    ConfigError::new(p.display().to_string(), "(file)", e.to_string())
                })?;
                (p.display().to_string(), text)
            }
            None if Path::new("wharf.toml").exists() => {
                let text = std::fs::read_to_string("wharf.toml")
                    .map_err(|e| ConfigError::new("wharf.toml", "(file)", e.to_string()))?;
                ("wharf.toml".to_owned(), text)
            }
            None => ("defaults".to_owned(), String::new()),
        };
        // Parse the file alone first so its errors carry line and column.
        let mut table: toml::Table = toml::from_str(&text).map_err(|e| file_error(&origin, &e))?;
        let _: RawSettings = toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| file_error(&origin, &e))?;

        let env: Vec<(String, String)> = env.into_iter().collect();
        let mut from_env = Vec::new();
        for (name, value) in env.iter().cloned() {
            let Some(rest) = name.strip_prefix("WHARF_") else {
                continue;
            };
            // Variables for other parts of the system (tests, secrets, the command line's
            // own: the log filter and format, the settings file) are not settings.
            if rest.starts_with("TEST_")
                || matches!(rest, "LOG" | "LOG_FORMAT" | "CONFIG")
                || rest.starts_with("SECRET_")
            {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            set_path(&mut table, &path, env_value(&value)).map_err(|why| {
                ConfigError::new(format!("environment {name}"), rest, why.to_string())
            })?;
            from_env.push(name);
        }
        let raw: RawSettings = toml::Value::Table(table).try_into().map_err(|e| {
            let origin = if from_env.is_empty() {
                origin.clone()
            } else {
                format!("{origin} + environment ({})", from_env.join(", "))
            };
            file_error(&origin, &e)
        })?;
        let lookup = |name: &str| {
            env.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        validate(raw, &origin, &lookup)
    }
}

fn file_error(origin: &str, e: &toml::de::Error) -> ConfigError {
    let msg = e.message().to_owned();
    let key = msg
        .split('`')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_else(|| "(syntax)".to_owned());
    let at = e
        .span()
        .map(|s| format!(" (byte {})", s.start))
        .unwrap_or_default();
    ConfigError::new(format!("{origin}{at}"), key, msg)
}

/// Environment values are strings; numbers and booleans are recognised so that
/// `WHARF_PIPELINE__WORKERS=8` means the integer 8.
fn env_value(v: &str) -> toml::Value {
    if let Ok(i) = v.parse::<i64>() {
        toml::Value::Integer(i)
    } else if v == "true" || v == "false" {
        toml::Value::Boolean(v == "true")
    } else {
        toml::Value::String(v.to_owned())
    }
}

/// Why an environment variable's name is no settings key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum EnvKeyError {
    #[error("empty key")]
    Empty,
    /// A part of the name that is a value in the settings, not a section.
    #[error("`{0}` is not a section")]
    NotASection(String),
}

fn set_path(
    table: &mut toml::Table,
    path: &[String],
    value: toml::Value,
) -> Result<(), EnvKeyError> {
    match path {
        [] => Err(EnvKeyError::Empty),
        [last] => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => set_path(t, rest, value),
                _ => Err(EnvKeyError::NotASection(first.clone())),
            }
        }
    }
}
