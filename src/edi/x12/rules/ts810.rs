//! 810 Invoice table (4010 and 5010).

use super::schema::{Node, SetTable, UNBOUNDED as U, ms, ol, os};
use super::segments::*;
use crate::edi::x12::KnownSet;

static N1_LOOP: &[Node] = &[
    ms(&N1, 1),
    os(&N2, 2),
    os(&N3, 2),
    os(&N4, 1),
    os(&REF, 12),
    os(&PER, 3),
    os(&DMG, 1),
];
static LM_LOOP: &[Node] = &[ms(&LM, 1), ms(&LQ, 100)];
static N9_LOOP: &[Node] = &[ms(&N9, 1), os(&DTM, U), os(&MSG, 1000)];
static FA1_LOOP: &[Node] = &[ms(&FA1, 1), ms(&FA2, U)];
static PID_LOOP: &[Node] = &[ms(&PID, 1), os(&MEA, 10)];
static SAC_LINE: &[Node] = &[ms(&SAC, 1), os(&TXI, 10)];
static SLN_LOOP: &[Node] = &[
    ms(&SLN, 1),
    os(&DTM, 1),
    os(&REF, U),
    os(&PID, 1000),
    os(&SAC, 25),
    os(&TC2, 2),
    os(&TXI, 10),
];
static ISS_LOOP: &[Node] = &[ms(&ISS, 1), os(&PID, 1)];

static IT1_LOOP: &[Node] = &[
    ms(&IT1, 1),
    os(&CRC, 1),
    os(&QTY, 5),
    os(&CUR, 1),
    os(&IT3, 5),
    os(&TXI, 10),
    os(&CTP, 25),
    os(&PAM, 10),
    os(&MEA, 40),
    ol("PID", 1000, PID_LOOP),
    os(&PWK, 25),
    os(&PKG, 25),
    os(&PO4, 1),
    os(&ITD, 2),
    os(&REF, U),
    os(&YNQ, 10),
    os(&PER, 5),
    os(&SDQ, 500),
    os(&DTM, 10),
    os(&CAD, U),
    os(&L7, U),
    os(&SR, 1),
    ol("SAC", 25, SAC_LINE),
    ol("SLN", 1000, SLN_LOOP),
    ol("N1", 200, N1_LOOP),
    ol("LM", 10, LM_LOOP),
    ol("FA1", U, FA1_LOOP),
];

pub static TS810: SetTable = SetTable {
    id: KnownSet::Ts810,
    name: "Invoice",
    nodes: &[
        ms(&ST, 1),
        ms(&BIG, 1),
        os(&NTE, 100),
        os(&CUR, 1),
        os(&REF, U),
        os(&YNQ, 10),
        os(&PER, 3),
        ol("N1", 200, N1_LOOP),
        os(&ITD, U),
        os(&DTM, 10),
        os(&FOB, 1),
        os(&PID, 200),
        os(&MEA, 40),
        os(&PWK, 25),
        os(&PKG, 200),
        os(&L7, 1),
        os(&BAL, U),
        os(&INC, 1),
        os(&PAM, U),
        ol("LM", 10, LM_LOOP),
        ol("N9", 1, N9_LOOP),
        ol("FA1", U, FA1_LOOP),
        ol("IT1", 200_000, IT1_LOOP),
        ms(&TDS, 1),
        os(&TXI, 10),
        os(&CAD, 1),
        os(&AMT, U),
        ol("SAC", 25, SAC_LINE),
        ol("ISS", U, ISS_LOOP),
        os(&CTT, 1),
        ms(&SE, 1),
    ],
    since5010: false,
    hierarchy: None,
};
