//! Times for people, in the zone each operator chose (UTC unless they chose another), always
//! with the zone's abbreviation and offset; the account page where they choose it. The tz
//! database is jiff's bundled copy, so a container without `/usr/share/zoneinfo` shows the
//! same times as a full machine.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use super::auth::Session;
use super::{Ctx, PageError, render};
use crate::pipeline::Pipeline;
use crate::store::admin::{self, Role};

/// The zone an operator reads times in.
#[derive(Debug, Clone)]
pub struct Zone {
    /// The IANA name; `None` is UTC.
    name: Option<String>,
    tz: jiff::tz::TimeZone,
}

/// A zone name the tz database does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a time zone (an IANA name such as Europe/Berlin or America/New_York)")]
pub struct UnknownZone(String);

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            name: None,
            tz: jiff::tz::TimeZone::UTC,
        }
    }

    /// The zone of an IANA name; "UTC" (any case) and the empty name are UTC.
    pub fn named(name: &str) -> Result<Zone, UnknownZone> {
        let name = name.trim();
        if name.is_empty() || name.eq_ignore_ascii_case("utc") {
            return Ok(Zone::utc());
        }
        let tz = jiff::tz::db()
            .get(name)
            .map_err(|_| UnknownZone(name.to_owned()))?;
        Ok(Zone {
            name: Some(name.to_owned()),
            tz,
        })
    }

    /// An operator's stored choice; one the database no longer knows reads as UTC.
    pub fn stored(name: Option<&str>) -> Zone {
        name.and_then(|n| Zone::named(n).ok())
            .unwrap_or_else(Zone::utc)
    }

    /// The IANA name, or "UTC".
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("UTC")
    }

    /// A moment (Unix ms) to the second with the zone's abbreviation and offset:
    /// `2026-12-07 20:15:03 CET (+01:00)`, in UTC `2026-12-07 19:15:03 UTC`.
    pub fn when(&self, ms: i64) -> String {
        let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
            return ms.to_string();
        };
        let zoned = ts.to_zoned(self.tz.clone());
        if self.name.is_none() {
            zoned.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
        } else {
            zoned.strftime("%Y-%m-%d %H:%M:%S %Z (%:z)").to_string()
        }
    }
}

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountPage {
    ctx: Ctx,
    zones: Vec<String>,
    now: String,
    error: Option<String>,
}

/// Every zone of the bundled database, sorted, UTC first.
fn zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.to_string())
        .filter(|n| n != "UTC")
        .collect();
    names.sort();
    names.insert(0, "UTC".to_owned());
    names
}

fn account_page(s: &Session, error: Option<String>) -> AccountPage {
    AccountPage {
        ctx: Ctx::new(s, "account"),
        zones: zone_names(),
        now: s.zone.when(crate::store::now_ms()),
        error,
    }
}

/// The signed-in operator's own settings: the time zone of every page.
pub async fn page(s: Session) -> Result<Response, PageError> {
    Ok(render(&account_page(&s, None)))
}

#[derive(serde::Deserialize)]
pub struct ZoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    zone: String,
}

/// Saves the operator's zone; a viewer may choose theirs too (it changes nothing but how
/// their own pages read).
pub async fn save(
    State(p): State<Pipeline>,
    s: Session,
    axum::Form(f): axum::Form<ZoneForm>,
) -> Result<Response, PageError> {
    s.allow(&f.csrf, Role::Viewer)?;
    let zone = match Zone::named(&f.zone) {
        Ok(z) => z,
        Err(e) => return Ok(render(&account_page(&s, Some(e.to_string())))),
    };
    admin::set_time_zone(&p.store, &s.user, zone.name.as_deref()).await?;
    Ok(Redirect::to("/admin/account").into_response())
}

#[cfg(test)]
mod tests {
    use super::Zone;

    #[test]
    fn times_carry_the_zones_abbreviation_and_offset() {
        // 2026-07-01 12:00:00 UTC, in summer time in Berlin, standard time in Sydney's winter.
        let ms = 1_782_907_200_000;
        assert_eq!(Zone::utc().when(ms), "2026-07-01 12:00:00 UTC");
        assert_eq!(
            Zone::named("Europe/Berlin").unwrap().when(ms),
            "2026-07-01 14:00:00 CEST (+02:00)"
        );
        assert_eq!(
            Zone::named("Australia/Sydney").unwrap().when(ms),
            "2026-07-01 22:00:00 AEST (+10:00)"
        );
        assert_eq!(Zone::named(" utc ").unwrap().name(), "UTC");
        assert!(Zone::named("Mars/Olympus").is_err());
        assert_eq!(Zone::stored(Some("Mars/Olympus")).name(), "UTC");
    }
}
