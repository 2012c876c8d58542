//! The engine's prepared form of a table: each node list's trigger ids as integers, its
//! mandatory positions and a bit mask of what can occur past its first node, built once per
//! table; and the integer comparison of segment ids the lookups use.

use super::KnownSet;
use super::schema::{Node, SetTable, Usage};

/// A node list of a table prepared once for the engine: each node's trigger id as one
/// integer (so finding where a segment goes is a scan of a small integer array) and the
/// positions of the mandatory nodes `report_missing` may have to report.
#[derive(Debug)]
pub(super) struct Plan {
    /// [`id_key`] of each node's trigger segment (0, which matches no id, when it has none).
    pub(super) keys: Vec<u32>,
    /// Positions of mandatory nodes with a trigger other than SE, ascending.
    pub(super) mandatory: Vec<usize>,
    /// [`key_bit`]s of the keys at positions 1.. (position 0 of a loop is never searched from
    /// inside it): a segment whose bit is clear cannot be at this level, so it is not scanned.
    pub(super) tail_mask: u64,
    /// One per node: the plan of a loop's nodes (empty for a segment).
    pub(super) children: Vec<Plan>,
}

static EMPTY_PLAN: Plan = Plan {
    keys: Vec::new(),
    mandatory: Vec::new(),
    tail_mask: 0,
    children: Vec::new(),
};

impl Plan {
    fn build(nodes: &'static [Node]) -> Plan {
        let keys: Vec<u32> = nodes
            .iter()
            .map(|n| n.trigger().map_or(0, |t| id_key(t.id.as_bytes())))
            .collect();
        let tail_mask = keys.iter().skip(1).fold(0u64, |m, &k| m | key_bit(k));
        let mandatory = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                n.usage() == Usage::Mandatory && n.trigger().is_some_and(|t| !id_eq(t.id, b"SE"))
            })
            .map(|(k, _)| k)
            .collect();
        let children = nodes
            .iter()
            .map(|n| match n {
                Node::Loop { nodes, .. } => Plan::build(nodes),
                Node::Seg { .. } => Plan {
                    keys: Vec::new(),
                    mandatory: Vec::new(),
                    tail_mask: 0,
                    children: Vec::new(),
                },
            })
            .collect();
        Plan {
            keys,
            mandatory,
            tail_mask,
            children,
        }
    }

    pub(super) fn child(&self, j: usize) -> &Plan {
        self.children.get(j).unwrap_or(&EMPTY_PLAN)
    }
}

/// A 2–3 byte segment id as one integer (length in the top byte); 0 for any other length.
#[inline]
pub(super) fn id_key(id: &[u8]) -> u32 {
    match *id {
        [a, b] => (2 << 24) | (u32::from(a) << 16) | (u32::from(b) << 8),
        [a, b, c] => (3 << 24) | (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c),
        _ => 0,
    }
}

/// One bit of a 64-bit set standing for `key` (keys may share a bit).
#[inline]
pub(super) fn key_bit(key: u32) -> u64 {
    1u64 << (key.wrapping_mul(0x9E37_79B1) >> 26)
}

/// The prepared plan of each table, built on first use.
pub(super) fn plan_for(table: &'static SetTable) -> &'static Plan {
    use std::sync::OnceLock;
    static PLANS: [OnceLock<Plan>; KnownSet::ALL.len()] =
        [const { OnceLock::new() }; KnownSet::ALL.len()];
    let slot = PLANS.get(table.id.index());
    match slot {
        Some(cell) => cell.get_or_init(|| Plan::build(table.nodes)),
        None => &EMPTY_PLAN,
    }
}

/// Segment ids are 2 or 3 bytes: compared as one integer rather than through memcmp, which
/// dominated the profile of table lookups.
#[inline]
pub(super) fn id_eq(table_id: &str, id: &[u8]) -> bool {
    let a = table_id.as_bytes();
    a.len() == id.len()
        && match (a, id) {
            ([a0, a1], [b0, b1]) => a0 == b0 && a1 == b1,
            ([a0, a1, a2], [b0, b1, b2]) => a0 == b0 && a1 == b1 && a2 == b2,
            _ => a == id,
        }
}
