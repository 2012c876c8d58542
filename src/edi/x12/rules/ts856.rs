//! 856 Ship Notice/Manifest table (4010 and 5010; 4060 read with it): one flat HL loop, hierarchy carried by HL01/HL02.

use super::schema::{Hierarchy, Level, Node, SetTable, UNBOUNDED as U, ml, ms, ol, os};
use super::segments::*;
use crate::edi::x12::KnownSet;

static SLN_LOOP: &[Node] = &[ms(&SLN, 1), os(&PID, 1000)];
static CLD_LOOP: &[Node] = &[ms(&CLD, 1), os(&REF, 200), os(&DTM, 1)];
static N1_LOOP: &[Node] = &[
    ms(&N1, 1),
    os(&N2, 2),
    os(&N3, 2),
    os(&N4, 1),
    os(&REF, 12),
    os(&PER, 3),
    os(&FOB, 1),
];
static SAC_LOOP: &[Node] = &[ms(&SAC, 1), os(&CUR, 1)];
static LM_LOOP: &[Node] = &[ms(&LM, 1), ms(&LQ, 100)];

static HL_LOOP: &[Node] = &[
    ms(&HL, 1),
    os(&LIN, 1),
    os(&SN1, 1),
    ol("SLN", 1000, SLN_LOOP),
    os(&PRF, 1),
    os(&PO3, U),
    os(&PO4, 1),
    os(&PID, 200),
    os(&MEA, 40),
    os(&PWK, 25),
    os(&PKG, 25),
    os(&TD1, 20),
    os(&TD5, 12),
    os(&TD3, 12),
    os(&TD4, 5),
    os(&TSD, 1),
    os(&REF, U),
    os(&PER, 3),
    ol("CLD", 200, CLD_LOOP),
    os(&MAN, U),
    os(&DTM, 10),
    os(&FOB, 1),
    os(&PAL, 1),
    ol("N1", 200, N1_LOOP),
    os(&SDQ, 50),
    os(&ETD, 1),
    os(&CUR, 1),
    ol("SAC", U, SAC_LOOP),
    os(&GF, 1),
    os(&YNQ, 10),
    ol("LM", 10, LM_LOOP),
];

/// HL03 levels of a ship notice and the parents each may have: shipment on top, orders under
/// it, then tares (pallets), packs (cartons) and items in either pick-and-pack order
/// (S/O/P/I) or item-first order (S/O/I/P). Other HL03 codes are left unchecked.
pub static HL856: Hierarchy = Hierarchy {
    levels: &[
        Level {
            code: "S",
            name: "Shipment",
            parents: &[],
        },
        Level {
            code: "O",
            name: "Order",
            parents: &["S"],
        },
        Level {
            code: "T",
            name: "Shipping Tare",
            parents: &["S", "O"],
        },
        Level {
            code: "P",
            name: "Pack",
            parents: &["O", "T", "I"],
        },
        Level {
            code: "I",
            name: "Item",
            parents: &["O", "P", "T"],
        },
    ],
};

pub static TS856: SetTable = SetTable {
    id: KnownSet::Ts856,
    name: "Ship Notice/Manifest",
    nodes: &[
        ms(&ST, 1),
        ms(&BSN, 1),
        os(&DTM, 10),
        ml("HL", 200_000, HL_LOOP),
        os(&CTT, 1),
        ms(&SE, 1),
    ],
    since5010: false,
    hierarchy: Some(&HL856),
};
