//! Odoo's errors, classified by what should happen next: retry later (transport faults,
//! timeouts, 5xx, lock and serialization failures, an open circuit) or hand to an operator
//! with Odoo's own message (validation, access, missing records and fields).

use std::fmt;

/// What the caller should do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Odoo may well accept the same call later: retry with backoff. A write may have been
    /// committed before the fault, so the retry must check before it repeats.
    Transient,
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

    pub fn operator(call: &str, name: &str, message: impl Into<String>) -> Self {
        Self {
            class: Class::Operator,
            name: name.to_owned(),
            message: message.into(),
            call: call.to_owned(),
        }
    }

    pub fn is_transient(&self) -> bool {
        self.class == Class::Transient
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
        let operator_names = [
            "odoo.exceptions.",
            "builtins.ValueError",
            "builtins.KeyError",
            "builtins.TypeError",
            "builtins.AttributeError",
            "werkzeug.exceptions.NotFound",
            "werkzeug.exceptions.Forbidden",
            "werkzeug.exceptions.Unauthorized",
        ];
        let class = if concurrency {
            Class::Transient
        } else if operator_names.iter().any(|n| name.starts_with(n)) {
            Class::Operator
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
        assert_eq!((e.class, e.name.as_str()), (Class::Transient, "http 503"));
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
