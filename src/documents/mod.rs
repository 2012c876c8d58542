//! Translation from EDI syntax to canonical documents. Pure functions: must not depend on I/O, async, the database or the pipeline.

// Partner bytes must not panic the gateway: no unwrap, expect or unchecked indexing here.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod edifact;
mod parallel;
pub mod x12;
pub mod xml;

/// Test support shared by the round trips of every syntax.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
pub(crate) mod testkit {
    use crate::model::Text;
    use crate::model::ship_notice::{Pack, ShippedItem, ShippedOrder};

    /// One generated order: its date, its packs (each a list of items) and its loose items.
    pub type RawOrder = (Option<Text>, Vec<Vec<ShippedItem>>, Vec<ShippedItem>);

    /// Generated orders as ship notices hold them: each order numbered `{prefix}{i}` (distinct,
    /// since readers group lines by order), each pack with its own SSCC-18.
    pub fn orders(prefix: &str, raw: Vec<RawOrder>) -> Vec<ShippedOrder> {
        let mut serial = 0u64;
        raw.into_iter()
            .enumerate()
            .map(|(i, (po_date, packs, loose))| ShippedOrder {
                po_number: compact_str::format_compact!("{prefix}{i}"),
                release_number: None,
                po_date,
                packs: packs
                    .into_iter()
                    .map(|items| {
                        serial += 1;
                        let sscc = crate::edi::gs1::Sscc::new(3, "0614141", serial)
                            .map(|s| Text::from(s.as_str()))
                            .ok();
                        Pack { sscc, items }
                    })
                    .collect(),
                loose_items: loose,
            })
            .filter(|o| !o.packs.is_empty() || !o.loose_items.is_empty())
            .collect()
    }
}
