//! What the fleet test checks from the outside: the files partners find in their outboxes
//! (read with a dozen lines of X12 splitting, not Wharf's reader), Odoo's sale orders, and
//! every message's end state and history.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::kit::odoo::OdooDouble;
use serde_json::json;
use wharf::store::messages::{self, Filter, Message};
use wharf::store::{Direction, EventKind, JobState, MessageState, Store, events, jobs};

/// One outbound interchange as the partner reads it.
#[derive(Debug)]
pub struct Interchange {
    pub isa13: u64,
    /// (GS06, the group's sets as (ST01, ST02, their segments)).
    pub groups: Vec<(u64, Vec<(String, u64, Vec<Vec<String>>)>)>,
    /// A TA1 (an interchange acknowledgement) in the interchange.
    pub ta1: bool,
}

fn number(v: Option<&String>, what: &str, file: &str) -> u64 {
    v.and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("{file}: {what} is not a number: {v:?}"))
}

/// Splits one interchange Wharf wrote: the element separator is the ISA's fourth byte and the
/// segment terminator the byte after ISA16 (Wharf writes the ISA fixed-width, 106 bytes).
fn read(file: &str, bytes: &[u8]) -> Interchange {
    let text = String::from_utf8_lossy(bytes);
    let (sep, term) = match (text.chars().nth(3), text.chars().nth(105)) {
        (Some(s), Some(t)) => (s, t),
        _ => panic!("{file}: too short for an ISA"),
    };
    let segments: Vec<Vec<String>> = text
        .split(term)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.split(sep).map(str::to_owned).collect())
        .collect();
    let mut ic = Interchange {
        isa13: 0,
        groups: Vec::new(),
        ta1: false,
    };
    for seg in segments {
        match seg[0].as_str() {
            "ISA" => ic.isa13 = number(seg.get(13), "ISA13", file),
            "TA1" => ic.ta1 = true,
            "GS" => ic
                .groups
                .push((number(seg.get(6), "GS06", file), Vec::new())),
            "ST" => {
                let st02 = number(seg.get(2), "ST02", file);
                let group = ic.groups.last_mut().expect("ST inside a group");
                group.1.push((seg[1].clone(), st02, vec![seg]));
            }
            _ => {
                if let Some(set) = ic.groups.last_mut().and_then(|g| g.1.last_mut()) {
                    set.2.push(seg);
                }
            }
        }
    }
    ic
}

/// Every interchange in the partner's outbox folder.
pub fn outbox(data: &Path, partner: &str) -> Vec<Interchange> {
    let dir = data.join("outbox").join(partner);
    let mut out: Vec<Interchange> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            read(&name, &std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort_by_key(|ic| ic.isa13);
    out
}

/// `values` are exactly 1..=n: handed out without a gap or a repeat.
fn gap_free(partner: &str, scope: &str, values: &[u64]) {
    let set: BTreeSet<u64> = values.iter().copied().collect();
    assert_eq!(
        set.len(),
        values.len(),
        "{partner}: a {scope} control number used twice"
    );
    let expected: BTreeSet<u64> = (1..=values.len() as u64).collect();
    let missing: Vec<_> = expected.difference(&set).collect();
    assert!(
        missing.is_empty() && set == expected,
        "{partner}: {scope} control numbers have gaps; missing {missing:?}"
    );
}

/// What the partner received: the control numbers of every scope gap-free and unique; the
/// number of functional acknowledgements (`ack`: 997 or 999) and TA1s; the POs of the 855s,
/// each with how many times it came.
pub struct Received {
    pub acks: usize,
    pub ta1s: usize,
    pub acks_855: BTreeMap<String, usize>,
}

pub fn received(partner: &str, ics: &[Interchange], ack: &str) -> Received {
    gap_free(
        partner,
        "ISA13",
        &ics.iter().map(|ic| ic.isa13).collect::<Vec<_>>(),
    );
    let groups: Vec<u64> = ics
        .iter()
        .flat_map(|ic| ic.groups.iter().map(|g| g.0))
        .collect();
    gap_free(partner, "GS06", &groups);
    let sets: Vec<&(String, u64, Vec<Vec<String>>)> = ics
        .iter()
        .flat_map(|ic| ic.groups.iter().flat_map(|g| g.1.iter()))
        .collect();
    // Documents take ST02 from the partner's sequence; acknowledgements are 0001 in their
    // own group.
    let documents: Vec<u64> = sets.iter().filter(|s| s.0 == "855").map(|s| s.1).collect();
    gap_free(partner, "ST02 (855)", &documents);
    let mut acks_855 = BTreeMap::new();
    for (_, _, segs) in sets.iter().filter(|s| s.0 == "855") {
        let bak = segs
            .iter()
            .find(|s| s[0] == "BAK")
            .expect("an 855 has a BAK");
        *acks_855.entry(bak[3].clone()).or_insert(0) += 1;
    }
    Received {
        acks: sets.iter().filter(|s| s.0 == ack).count(),
        ta1s: ics.iter().filter(|ic| ic.ta1).count(),
        acks_855,
    }
}

/// Exactly one sale order per PO in the double, and none other; all confirmed.
pub fn one_sale_order_per_po(odoo: &OdooDouble, pos: &BTreeSet<String>) {
    let mut per_po: BTreeMap<String, usize> = BTreeMap::new();
    for o in odoo.sale_orders() {
        let po = o["client_order_ref"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(o["state"], json!("sale"), "{po} confirmed: {o:?}");
        *per_po.entry(po).or_insert(0) += 1;
    }
    let twice: Vec<_> = per_po.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sale orders made twice: {twice:?}");
    let made: BTreeSet<String> = per_po.into_keys().collect();
    assert_eq!(&made, pos, "one sale order for each PO sent, no other");
}

/// Every inbound message of `partner`: one per PO delivered to the ERP, exactly once in its
/// history; every other one a duplicate of a delivered one (its bytes resent by the partner)
/// and not delivered. The number of duplicates.
pub async fn processed_once(store: &Store, partner: &str, pos: &BTreeSet<String>) -> usize {
    let inbound = messages::list(
        store,
        &Filter {
            partner: Some(partner.into()),
            direction: Some(Direction::In),
            limit: 1_000_000,
            ..Filter::default()
        },
    )
    .await
    .unwrap();
    let (delivered, others): (Vec<&Message>, Vec<&Message>) = inbound
        .iter()
        .partition(|m| m.state == MessageState::Delivered);
    let mut by_po: BTreeMap<String, usize> = BTreeMap::new();
    for m in &delivered {
        *by_po
            .entry(m.reference.clone().unwrap_or_default())
            .or_insert(0) += 1;
        let history = events::for_message(store, m.id).await.unwrap();
        let n = history
            .iter()
            .filter(|e| e.kind == EventKind::Delivered)
            .count();
        assert_eq!(n, 1, "message {} delivered {n} times", m.id);
    }
    let twice: Vec<_> = by_po.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "{partner}: POs delivered twice: {twice:?}"
    );
    let seen: BTreeSet<String> = by_po.into_keys().collect();
    assert_eq!(&seen, pos, "{partner}: every PO delivered");
    let shas: BTreeSet<&str> = delivered
        .iter()
        .filter_map(|m| m.sha256.as_deref())
        .collect();
    for m in &others {
        assert_eq!(
            m.state,
            MessageState::Duplicate,
            "{partner}: message {} ended {} ({:?})",
            m.id,
            m.state,
            m.error
        );
        assert!(
            m.sha256.as_deref().is_some_and(|s| shas.contains(s)),
            "{partner}: duplicate {} is not a resend of a delivered document",
            m.id
        );
    }
    others.len()
}

/// No job waiting, running or dead; every message in a final state.
pub async fn nothing_stuck(store: &Store) {
    let counts = jobs::count_by_state(store).await.unwrap();
    assert!(
        !counts
            .iter()
            .any(|(s, n)| *n > 0
                && matches!(s, JobState::Ready | JobState::Running | JobState::Dead)),
        "jobs left: {counts:?}"
    );
    let all = messages::list(
        store,
        &Filter {
            limit: 1_000_000,
            ..Filter::default()
        },
    )
    .await
    .unwrap();
    let stuck: Vec<_> = all
        .iter()
        .filter(|m| !m.state.is_final())
        .map(|m| (m.id, m.state))
        .collect();
    assert!(stuck.is_empty(), "messages not in a final state: {stuck:?}");
}

/// The instances that ran a stage of any message (from the events' instance names).
pub async fn workers_seen(store: &Store) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let all = messages::list(
        store,
        &Filter {
            direction: Some(Direction::In),
            limit: 1_000_000,
            ..Filter::default()
        },
    )
    .await
    .unwrap();
    for m in all.iter().step_by(7) {
        for e in events::for_message(store, m.id).await.unwrap() {
            if let (Some(_), Some(i)) = (e.stage, e.instance) {
                seen.insert(i);
            }
        }
    }
    seen
}
