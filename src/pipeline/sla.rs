//! Each partner's `[sla]` windows as the store's cutoffs: what the dashboard lists,
//! `/metrics` counts and `ack.overdue` announces as an acknowledgement overdue, decided in
//! one place (part of the pipeline's public face, beside `health`).

use crate::partners::{Partners, Sla};
use crate::store::search::Cutoffs;

/// Which window of a partner's `[sla]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// `ack_within`: the partner's 997/999/CONTRL for what Wharf sent.
    PartnerAck,
    /// `order_ack_within`: Wharf's 855/ORDRSP for an order the partner sent.
    OrderAck,
}

impl Window {
    fn of(self, sla: &Sla) -> std::time::Duration {
        match self {
            Window::PartnerAck => sla.ack_within,
            Window::OrderAck => sla.order_ack_within,
        }
    }
}

/// At `now` (Unix ms): each loaded partner's cutoff for `window`, and the default
/// window's cutoff for the messages of no loaded partner.
pub fn cutoffs(partners: &Partners, window: Window, now: i64) -> Cutoffs {
    let before = |d: std::time::Duration| {
        now.saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    };
    Cutoffs {
        partners: partners
            .iter()
            .map(|p| (p.id.to_string(), before(window.of(&p.sla))))
            .collect(),
        default: before(window.of(&Sla::default())),
    }
}
