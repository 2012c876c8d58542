//! 999 Implementation Acknowledgment table (005010X231A1; 5010 only): AK1, AK2/IK3/IK4 loops with CTX context, IK5 and AK9.

use super::schema::{Node, SetTable, UNBOUNDED as U, ms, ol, os};
use super::segments::{AK1_999 as AK1, AK9_999 as AK9};
use super::segments::{AK2, CTX, IK3, IK4, IK5, SE, ST};
use crate::edi::x12::KnownSet;

static IK4_LOOP: &[Node] = &[ms(&IK4, 1), os(&CTX, 10)];
static IK3_LOOP: &[Node] = &[ms(&IK3, 1), os(&CTX, 10), ol("IK4", 99, IK4_LOOP)];
static AK2_LOOP: &[Node] = &[ms(&AK2, 1), ol("IK3", U, IK3_LOOP), ms(&IK5, 1)];

pub static TS999: SetTable = SetTable {
    id: KnownSet::Ts999,
    name: "Implementation Acknowledgment",
    nodes: &[
        ms(&ST, 1),
        ms(&AK1, 1),
        ol("AK2", U, AK2_LOOP),
        ms(&AK9, 1),
        ms(&SE, 1),
    ],
    since5010: true,
    hierarchy: None,
};
