//! `[limits] per_minute`: files a partner may send each minute, counted across every channel
//! that it pushes on (the partner API and Wharf's SFTP inbox), so a partner cannot go
//! around its limit by switching channels.
//!
//! A fixed one-minute window per partner: a dozen lines, where a rate-limiting crate would
//! bring its own clock and key store for the same answer. Per instance: several instances
//! on one database each allow the limit. The admin pages count sign-in attempts per user name
//! here too (keys `signin:NAME`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Files each partner sent in the current minute.
#[derive(Debug, Default)]
pub struct RateWindows(Mutex<HashMap<String, (Instant, u32)>>);

impl RateWindows {
    /// Counts one file, or says how many seconds remain of a full window.
    pub fn admit(&self, partner: &str, per_minute: u32) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Keys anyone can make up (user names at sign-in) must not grow the map for ever:
        // past a bound, windows that have ended are dropped.
        if map.len() >= 10_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let entry = map.entry(partner.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        if entry.1 >= per_minute {
            return Err(60u64
                .saturating_sub(now.duration_since(entry.0).as_secs())
                .max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_window_refuses_until_it_ends() {
        let w = RateWindows::default();
        assert!(w.admit("acme", 2).is_ok());
        assert!(w.admit("acme", 2).is_ok());
        let wait = w.admit("acme", 2).unwrap_err();
        assert!((1..=60).contains(&wait));
        // Another partner has its own window.
        assert!(w.admit("globex", 2).is_ok());
    }
}
