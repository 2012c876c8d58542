//! The closed label vocabularies of Wharf's metrics: each enum's words are every value its
//! label can take, so a family's series are bounded by construction.

use std::fmt::Write as _;

use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};

/// A closed label vocabulary: the enum, its words (`as_str`, `ALL`), and its writing as a
/// label value.
macro_rules! label_words {
    ($(#[$meta:meta])* pub enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident => $word:literal,)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every word, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }
        }

        impl EncodeLabelValue for $name {
            fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
                encoder.write_str(self.as_str())
            }
        }
    };
}

label_words! {
    /// How one run of a stage ended, as the worker saw it.
    pub enum Outcome {
        /// The stage committed its result.
        Ok => "ok",
        /// It failed and was rescheduled (or postponed while its peer is away).
        Retry => "retry",
        /// It failed for good: the job went to dead letters.
        Dead => "dead",
    }
}

label_words! {
    /// The kind of a failed Odoo call, as the connector classes it.
    pub enum OdooErrorKind {
        /// Odoo did not answer (network, timeout, 5xx, breaker open): waited for.
        Unavailable => "unavailable",
        /// Worth another attempt (a timeout, a lock or serialization failure).
        Transient => "transient",
        /// An operator must act (credentials, access rights, data Odoo refuses).
        Operator => "operator",
    }
}

label_words! {
    /// The state of the Odoo connector's circuit breaker.
    pub enum CircuitState {
        /// Calls go through.
        Closed => "closed",
        /// Calls fail at once after repeated failures; work waits in the queue.
        Open => "open",
        /// One probe call is out; its outcome closes or reopens the circuit.
        HalfOpen => "half_open",
    }
}

label_words! {
    /// Whether Wharf sent an AS2 MDN or received one.
    pub enum MdnDirection {
        Sent => "sent",
        Received => "received",
    }
}

label_words! {
    /// What an AS2 MDN said, in three words: `processed`, `processed/warning`, or a refusal
    /// (`processed/error`, `failed`).
    pub enum MdnDisposition {
        Processed => "processed",
        Warning => "warning",
        Error => "error",
    }
}

label_words! {
    /// How a client tried to log in to Wharf's SFTP server.
    pub enum LoginMethod {
        /// A public key (each key a client offers is one attempt).
        Key => "key",
        Password => "password",
    }
}

label_words! {
    /// How a login attempt on Wharf's SFTP server ended.
    pub enum LoginOutcome {
        /// Logged in as a partner.
        Accepted => "accepted",
        /// No profile's user with that key or password (or a second login in one session).
        Refused => "refused",
        /// The credentials were right, but the partner holds its `[sftp] max_sessions`.
        PartnerLimit => "partner_limit",
        /// The credentials were right, but the server holds `[sftp] max_sessions`.
        ServerLimit => "server_limit",
    }
}

label_words! {
    /// Which way a file moved through Wharf's SFTP server.
    pub enum SftpDirection {
        /// Uploaded by the partner into `/inbox` and stored.
        Received => "received",
        /// Downloaded whole by the partner from `/outbox` (or `/archive`).
        Sent => "sent",
    }
}

label_words! {
    /// Which way a transfer with a partner's own server went.
    pub enum TransferDirection {
        /// Fetched from a `[[collect]]` folder.
        Collect => "collect",
        /// Put into a `[[deliver]]` folder.
        Deliver => "deliver",
    }
}

label_words! {
    /// What an overdue acknowledgement is waiting for (the partner's `[sla]` windows).
    pub enum Awaiting {
        /// The partner's 997/999/CONTRL for a document Wharf sent (`ack_within`).
        PartnerAck => "partner_ack",
        /// Wharf's 855/ORDRSP for an order the partner sent (`order_ack_within`).
        OrderAck => "order_ack",
    }
}

label_words! {
    /// How one attempt to deliver a business event to a subscriber ended.
    pub enum EventOutcome {
        /// The subscriber took it (a 2xx, a JetStream acknowledgement).
        Delivered => "delivered",
        /// It did not; the delivery is tried again after its backoff.
        Failed => "failed",
        /// It did not, and that was its last attempt: a dead letter (not also `failed`).
        Dead => "dead",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_distinct_within_each_vocabulary() {
        fn distinct(words: Vec<&'static str>) {
            let mut sorted = words.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), words.len(), "{words:?}");
        }
        distinct(Outcome::ALL.iter().map(|w| w.as_str()).collect());
        distinct(LoginOutcome::ALL.iter().map(|w| w.as_str()).collect());
        distinct(CircuitState::ALL.iter().map(|w| w.as_str()).collect());
        distinct(EventOutcome::ALL.iter().map(|w| w.as_str()).collect());
        assert_eq!(CircuitState::HalfOpen.as_str(), "half_open");
        assert_eq!(Awaiting::PartnerAck.as_str(), "partner_ack");
    }
}
