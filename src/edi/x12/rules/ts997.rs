//! 997 Functional Acknowledgment table (4010 and 5010).

use super::schema::{Node, SetTable, ms, ol, os};
use super::segments::*;
use crate::edi::x12::KnownSet;

static AK3_LOOP: &[Node] = &[ms(&AK3, 1), os(&AK4, 99)];
static AK2_LOOP: &[Node] = &[ms(&AK2, 1), ol("AK3", 999_999, AK3_LOOP), ms(&AK5, 1)];

pub static TS997: SetTable = SetTable {
    id: KnownSet::Ts997,
    name: "Functional Acknowledgment",
    nodes: &[
        ms(&ST, 1),
        ms(&AK1, 1),
        ol("AK2", 999_999, AK2_LOOP),
        ms(&AK9, 1),
        ms(&SE, 1),
    ],
    since5010: false,
    hierarchy: None,
};
