//! 855 Purchase Order Acknowledgment table (4010 and 5010): the 850 shape with BAK and line ACK/SCH loops.

use super::schema::{Node, SetTable, UNBOUNDED as U, ms, ol, os};
use super::segments::*;
use super::ts850::N1_HEADER;
use crate::edi::x12::KnownSet;

static N9_LOOP: &[Node] = &[ms(&N9, 1), os(&DTM, U), os(&MSG, 1000)];
static SAC_LOOP: &[Node] = &[ms(&SAC, 1), os(&CUR, 1)];
static PID_LOOP: &[Node] = &[ms(&PID, 1), os(&MEA, 10)];
static CTP_LOOP: &[Node] = &[ms(&CTP, 1), os(&CUR, 1)];
// 4010 places ACK as a segment of the PO1 loop, 5010 as a loop with DTM; the loop form reads both.
static ACK_LOOP: &[Node] = &[ms(&ACK, 1), os(&DTM, 1)];
static SCH_LOOP: &[Node] = &[
    ms(&SCH, 1),
    os(&TD1, 2),
    os(&TD5, 12),
    os(&TD3, 12),
    os(&TD4, 5),
    os(&REF, U),
];
static N1_LINE: &[Node] = &[
    ms(&N1, 1),
    os(&N2, 2),
    os(&N3, 2),
    os(&N4, 1),
    os(&NX2, U),
    os(&REF, 12),
    os(&PER, 3),
    os(&SI, U),
    os(&DTM, 1),
    os(&FOB, 1),
    os(&SCH, 200),
    os(&TD1, 2),
    os(&TD5, 12),
    os(&TD3, 12),
    os(&TD4, 5),
    os(&PKG, 200),
];
static SLN_LOOP: &[Node] = &[
    ms(&SLN, 1),
    os(&MSG, U),
    os(&SI, U),
    os(&PID, 1000),
    os(&PO3, 104),
    os(&ACK, 104),
    os(&DTM, 10),
    os(&CTP, 25),
    os(&PAM, 10),
    os(&PO4, 1),
    os(&TAX, 3),
    os(&N9, U),
    os(&SAC, 25),
    os(&N1, U),
];
static AMT_LOOP: &[Node] = &[ms(&AMT, 1), os(&REF, 1), os(&PCT, U)];

static PO1_LOOP: &[Node] = &[
    ms(&PO1, 1),
    os(&LIN, U),
    os(&SI, U),
    os(&CUR, 1),
    os(&CN1, 1),
    os(&PO3, 25),
    ol("CTP", U, CTP_LOOP),
    os(&PAM, 10),
    os(&MEA, 40),
    ol("PID", 1000, PID_LOOP),
    os(&PWK, 25),
    os(&PO4, U),
    os(&REF, U),
    os(&PER, 3),
    ol("SAC", 25, SAC_LOOP),
    os(&IT8, 1),
    os(&CSH, U),
    os(&ITD, 2),
    os(&DIS, 20),
    os(&INC, 1),
    os(&TAX, U),
    os(&FOB, U),
    os(&SDQ, 500),
    os(&IT3, 5),
    os(&DTM, 10),
    os(&TC2, U),
    os(&TD1, 1),
    os(&TD5, 12),
    os(&TD3, 12),
    os(&TD4, 5),
    os(&PCT, U),
    os(&MAN, 10),
    os(&MSG, U),
    os(&SPI, U),
    os(&CB1, U),
    ol("ACK", 104, ACK_LOOP),
    ol("SCH", 104, SCH_LOOP),
    os(&PKG, 200),
    os(&LDT, 12),
    ol("N9", 1000, N9_LOOP),
    ol("N1", 200, N1_LINE),
    ol("SLN", 1000, SLN_LOOP),
    ol("AMT", U, AMT_LOOP),
];

static CTT_LOOP: &[Node] = &[ms(&CTT, 1), os(&AMT, 1)];

pub static TS855: SetTable = SetTable {
    id: KnownSet::Ts855,
    name: "Purchase Order Acknowledgment",
    nodes: &[
        ms(&ST, 1),
        ms(&BAK, 1),
        os(&CUR, 1),
        os(&REF, U),
        os(&PER, 3),
        os(&TAX, U),
        os(&FOB, U),
        os(&CTP, U),
        os(&PAM, 10),
        os(&CSH, 5),
        ol("SAC", 25, SAC_LOOP),
        os(&ITD, U),
        os(&DIS, 20),
        os(&INC, 1),
        os(&DTM, 10),
        os(&LDT, 12),
        os(&SI, U),
        os(&PID, 200),
        os(&MEA, 40),
        os(&PWK, 25),
        os(&PKG, 200),
        os(&TD1, 2),
        os(&TD5, 12),
        os(&TD3, 12),
        os(&TD4, 5),
        os(&MAN, 10),
        os(&TXI, U),
        os(&CTB, U),
        ol("AMT", U, AMT_LOOP),
        ol("N9", 1000, N9_LOOP),
        ol("N1", 200, N1_HEADER),
        ol("PO1", 100_000, PO1_LOOP),
        ol("CTT", 1, CTT_LOOP),
        ms(&SE, 1),
    ],
    since5010: false,
    hierarchy: None,
};
