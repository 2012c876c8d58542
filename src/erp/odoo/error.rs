//! Odoo's errors, classified by what should happen next: wait for Odoo to come back (no
//! connection, its proxy's 502/503/504, an open circuit: no attempt is used), retry later
//! (timeouts, other 5xx, lock and serialization failures) or hand to an operator with Odoo's
//! own message (validation, access, missing records and fields, a call Odoo cannot take).

use std::fmt;

/// What the caller should do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Odoo may well accept the same call later: retry with backoff. A write may have been
    /// committed before the fault, so the retry must check before it repeats.
    Transient,
    /// Odoo is not answering at all (down, restarting, being upgraded) or the breaker is
    /// open: the work waits for it without using attempts, for as long as `[erp]
    /// outage_wait_ms` allows. Nothing reached Odoo, or the proxy answered for it.
    Unavailable,
    /// Odoo refused the call for a reason a person must fix (data, profile, rights).
    Operator,
}

/// One failed call to Odoo.
#[derive(Debug, Clone, thiserror::Error)]
pub struct OdooError {
    pub class: Class,
    /// Odoo's exception name (`odoo.exceptions.ValidationError`, `builtins.ValueError`), or
    /// what failed on the way (`transport`, `timeout`, `http 503`, `circuit open`).
    pub name: String,
    /// Odoo's message, as it gave it.
    pub message: String,
    /// The call: `sale.order.load`, `common.version`.
    pub call: String,
}

impl fmt::Display for OdooError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Odoo {}: {}: {}", self.call, self.name, self.message)
    }
}

impl OdooError {
    pub fn transient(call: &str, name: &str, message: impl Into<String>) -> Self {
        Self {
            class: Class::Transient,
            name: name.to_owned(),
            message: message.into(),
            call: call.to_owned(),
        }
    }

    pub fn unavailable(call: &str, name: &str, message: impl Into<String>) -> Self {
        Self {
            class: Class::Unavailable,
            name: name.to_owned(),
            message: message.into(),
            call: call.to_owned(),
        }
    }

    pub fn operator(call: &str, name: &str, message: impl Into<String>) -> Self {
        Self {
            class: Class::Operator,
            name: name.to_owned(),
            message: message.into(),
            call: call.to_owned(),
        }
    }

    /// Worth trying again: a passing fault, or an Odoo that is away.
    pub fn is_transient(&self) -> bool {
        matches!(self.class, Class::Transient | Class::Unavailable)
    }

    /// Odoo is away (or the breaker says so): wait without using attempts.
    pub fn is_unavailable(&self) -> bool {
        self.class == Class::Unavailable
    }

    /// Classifies an error Odoo returned: by its exception name first (a JSON-2 500 may be a
    /// bad field, which no retry fixes), then by the HTTP status.
    pub fn from_odoo(call: &str, status: u16, name: &str, message: &str) -> Self {
        let retry_names = [
            "psycopg2.errors.SerializationFailure",
            "psycopg2.errors.LockNotAvailable",
            "psycopg2.errors.DeadlockDetected",
            "psycopg2.OperationalError",
            "odoo.exceptions.ConcurrencyError",
        ];
        let lowered = message.to_ascii_lowercase();
        let concurrency = retry_names.iter().any(|n| name.starts_with(n))
            || lowered.contains("could not serialize access")
            || lowered.contains("concurrent update");
        // Any Python builtin exception is a call Odoo cannot take as sent (a bad field, or
        // `create` with keyword `vals_list` over JSON-RPC: IndexError): no retry fixes it.
        let operator_names = [
            "odoo.exceptions.",
            "builtins.",
            "werkzeug.exceptions.NotFound",
            "werkzeug.exceptions.Forbidden",
            "werkzeug.exceptions.Unauthorized",
        ];
        let class = if concurrency {
            Class::Transient
        } else if operator_names.iter().any(|n| name.starts_with(n)) {
            Class::Operator
        } else if name.is_empty() && matches!(status, 502..=504) {
            // A proxy answering for an Odoo that is stopped, restarting or being upgraded.
            Class::Unavailable
        } else if status >= 500 || status == 429 || status == 408 {
            Class::Transient
        } else {
            Class::Operator
        };
        Self {
            class,
            name: if name.is_empty() {
                format!("http {status}")
            } else {
                name.to_owned()
            },
            message: message.to_owned(),
            call: call.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classified_by_name_before_status() {
        let e = OdooError::from_odoo(
            "sale.order.create",
            500,
            "builtins.ValueError",
            "Invalid field 'x' on model 'sale.order'",
        );
        assert_eq!(
            e.class,
            Class::Operator,
            "a bad field is not fixed by retrying"
        );
        let e = OdooError::from_odoo(
            "sale.order.write",
            500,
            "psycopg2.errors.SerializationFailure",
            "could not serialize access due to concurrent update",
        );
        assert_eq!(e.class, Class::Transient);
        let e = OdooError::from_odoo("x.y", 503, "", "Service Unavailable");
        assert_eq!((e.class, e.name.as_str()), (Class::Unavailable, "http 503"));
        assert!(e.is_transient() && e.is_unavailable());
        let e = OdooError::from_odoo("x.y", 500, "", "Internal Server Error");
        assert_eq!(e.class, Class::Transient, "Odoo answered: attempts count");
        // Odoo's answer to `create` with keyword vals_list over JSON-RPC (transcript 04).
        let e = OdooError::from_odoo(
            "stock.move.line.create",
            500,
            "builtins.IndexError",
            "tuple index out of range",
        );
        assert_eq!(e.class, Class::Operator, "a client bug is not retried");
        let e = OdooError::from_odoo(
            "x.y",
            422,
            "odoo.exceptions.ValidationError",
            "duplicate barcode",
        );
        assert_eq!(e.class, Class::Operator);
        let e = OdooError::from_odoo("x.y", 401, "odoo.exceptions.AccessDenied", "Access Denied");
        assert_eq!(e.class, Class::Operator);
        assert_eq!(
            e.to_string(),
            "Odoo x.y: odoo.exceptions.AccessDenied: Access Denied"
        );
    }
}
