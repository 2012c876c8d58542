//! The domain's identifiers: which message a row, a job, an event or a route is about, and
//! which partner. Newtypes, so a message id is never passed where a job id, a size or a time
//! is meant. Depends on nothing of ours; the store converts at its boundary (`get`, `new`).

use std::fmt;
use std::str::FromStr;

/// A stored message's id (the `messages.id` column). Serialised and displayed as the bare
/// number, so JSON, events' details, pages and CLI output read as they did with an `i64`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct MessageId(i64);

impl MessageId {
    /// The id the store gave a message (or that a path or an operator names).
    pub const fn new(id: i64) -> Self {
        Self(id)
    }

    /// The number, for the store's SQL and for tracing fields (which take plain integers).
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for MessageId {
    // Through i64's own Display, so width and padding flags (`{:>6}`) behave as before.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for MessageId {
    type Err = std::num::ParseIntError;

    /// As `i64` parses it, so a path or a CLI argument is accepted or refused as before.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

/// Why a text is no partner id; each variant holds the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartnerIdError {
    #[error("`{0}` must be 1 to 64 characters")]
    Length(String),
    #[error("`{0}` may hold only lowercase letters, digits, `-` and `_`")]
    Characters(String),
}

/// A partner's identifier: the profile file's stem, lowercase letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct PartnerId(String);

impl PartnerId {
    pub fn parse(s: &str) -> Result<Self, PartnerIdError> {
        if s.is_empty() || s.len() > 64 {
            return Err(PartnerIdError::Length(s.to_owned()));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(PartnerIdError::Characters(s.to_owned()));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_id_is_a_profile_stem() {
        assert_eq!(
            PartnerId::parse("acme-2_b")
                .map(|p| p.to_string())
                .ok()
                .as_deref(),
            Some("acme-2_b")
        );
        assert!(matches!(
            PartnerId::parse(""),
            Err(PartnerIdError::Length(_))
        ));
        assert!(matches!(
            PartnerId::parse("ACME"),
            Err(PartnerIdError::Characters(_))
        ));
        assert!(matches!(
            PartnerId::parse("../x"),
            Err(PartnerIdError::Characters(_))
        ));
    }

    #[test]
    fn message_id_reads_and_prints_as_its_number() {
        let id = MessageId::new(42);
        assert_eq!(id.to_string(), "42");
        assert_eq!(format!("{id:>4}"), "  42");
        assert_eq!(serde_json::to_string(&id).ok().as_deref(), Some("42"));
        assert_eq!(serde_json::from_str::<MessageId>("42").ok(), Some(id));
        assert_eq!("42".parse::<MessageId>().ok(), Some(id));
        assert!("x".parse::<MessageId>().is_err());
    }
}
