//! The domain's identifiers: which message a row, a job, an event or a route is about.
//! A newtype, so a message id is never passed where a job id, a size or a time is meant.
//! Depends on nothing of ours; the store converts at its boundary (`get`, `new`).

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

    /// The number, for the store's SQL and for arithmetic-free formatting elsewhere.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl From<i64> for MessageId {
    fn from(id: i64) -> Self {
        Self(id)
    }
}

impl From<MessageId> for i64 {
    fn from(id: MessageId) -> Self {
        id.0
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

#[cfg(test)]
mod tests {
    use super::*;

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
