//! The segment dictionary shared by every transaction set table: element lists with types, lengths, requirements, code lists and syntax notes (4010, with 5010 differences marked).

use super::codes::*;
use super::schema::{
    Element, Note, NoteKind, Req, SegmentDef, Ty, comp, m, mandatory_end, o, with_pair_notes, x,
};

const AN: Ty = Ty::AN;
const ID: Ty = Ty::ID;
const N0: Ty = Ty::N(0);
const N2D: Ty = Ty::N(2);
const R: Ty = Ty::R;
const DT: Ty = Ty::DT;
const TM: Ty = Ty::TM;

/// `head` followed by alternating (qualifier, id) pairs up to `N` elements: the product id
/// pairs of PO1/IT1/LIN/ACK/SLN are many identical positions, built once here.
// Every index is below both `head.len()` and `N` (the loop conditions); built in const items,
// where an index out of range would fail the build.
#[allow(clippy::indexing_slicing)]
const fn with_pairs<const N: usize>(head: &[Element], q: Element, id: Element) -> [Element; N] {
    let mut out = [q; N];
    let mut i = 0;
    while i < head.len() && i < N {
        out[i] = head[i];
        i += 1;
    }
    while i < N {
        out[i] = if (i - head.len()).is_multiple_of(2) {
            q
        } else {
            id
        };
        i += 1;
    }
    out
}

const PID_Q: Element = x(235, ID, 2, 2).codes(&PRODUCT_ID_235);
const PID_V: Element = x(234, AN, 1, 48);

macro_rules! seg {
    (@notes) => { &[] };
    (@notes $n:expr) => { $n };
    ($name:ident, $id:literal, $title:literal, [$($e:expr),* $(,)?] $(, notes: $n:expr)?) => {
        pub static $name: SegmentDef = SegmentDef {
            id: $id,
            name: $title,
            elements: &[$($e),*],
            mandatory_end: mandatory_end(&[$($e),*]),
            notes: seg!(@notes $($n)?),
        };
    };
    ($name:ident, $id:literal, $title:literal, $all:expr $(, notes: $n:expr)?) => {
        pub static $name: SegmentDef = SegmentDef {
            id: $id,
            name: $title,
            elements: &$all,
            mandatory_end: mandatory_end(&$all),
            notes: seg!(@notes $($n)?),
        };
    };
}

// Syntax notes (X12 relational conditions), written from the X12 4010/5010 segment
// directories: `p(&[6, 7])` is "P0607". Only notes Wharf is sure of are listed: a wrong note
// rejects good partner files, a missing one only lets a fault through.
const fn p(e: &'static [u8]) -> Note {
    Note::new(NoteKind::P, e)
}
const fn r(e: &'static [u8]) -> Note {
    Note::new(NoteKind::R, e)
}
const fn e(e: &'static [u8]) -> Note {
    Note::new(NoteKind::E, e)
}
const fn c(e: &'static [u8]) -> Note {
    Note::new(NoteKind::C, e)
}
const fn l(e: &'static [u8]) -> Note {
    Note::new(NoteKind::L, e)
}

seg!(
    ST,
    "ST",
    "Transaction Set Header",
    [
        m(143, ID, 3, 3),
        m(329, AN, 4, 9),
        o(1705, AN, 1, 35).added5010(),
    ]
);
seg!(
    SE,
    "SE",
    "Transaction Set Trailer",
    [m(96, N0, 1, 10), m(329, AN, 4, 9)]
);

seg!(
    BEG,
    "BEG",
    "Beginning Segment for Purchase Order",
    [
        m(353, ID, 2, 2).codes(&PURPOSE_353),
        m(92, ID, 2, 2).codes(&PO_TYPE_92),
        m(324, AN, 1, 22),
        o(328, AN, 1, 30),
        m(373, DT, 8, 8),
        o(367, AN, 1, 30),
        o(587, ID, 2, 2),
        o(1019, ID, 3, 3),
        o(1166, ID, 2, 2),
        o(1232, ID, 2, 2),
        o(786, ID, 2, 2),
        o(640, ID, 2, 2),
    ]
);
seg!(
    BAK,
    "BAK",
    "Beginning Segment for Purchase Order Acknowledgment",
    [
        m(353, ID, 2, 2).codes(&PURPOSE_353),
        m(587, ID, 2, 2).codes(&ACK_TYPE_587),
        m(324, AN, 1, 22),
        m(373, DT, 8, 8),
        o(328, AN, 1, 30),
        o(326, AN, 1, 45),
        o(367, AN, 1, 30),
        o(127, AN, 1, 30).max5010(50),
        o(373, DT, 8, 8),
        o(640, ID, 2, 2),
    ]
);
seg!(
    BSN,
    "BSN",
    "Beginning Segment for Ship Notice",
    [
        m(353, ID, 2, 2).codes(&PURPOSE_353),
        m(396, AN, 2, 30),
        m(373, DT, 8, 8),
        m(337, TM, 4, 8),
        o(1005, ID, 4, 4).codes(&HL_STRUCTURE_1005),
        x(640, ID, 2, 2),
        o(641, ID, 3, 3),
        o(306, ID, 1, 2).added5010(),
    ],
    notes: &[c(&[7, 6])]
);
seg!(
    BIG,
    "BIG",
    "Beginning Segment for Invoice",
    [
        m(373, DT, 8, 8),
        m(76, AN, 1, 22),
        o(373, DT, 8, 8),
        o(324, AN, 1, 22),
        o(328, AN, 1, 30),
        o(327, AN, 1, 8),
        o(640, ID, 2, 2),
        o(353, ID, 2, 2).codes(&PURPOSE_353),
        o(306, ID, 1, 2),
        o(76, AN, 1, 22),
    ]
);

seg!(
    NTE,
    "NTE",
    "Note/Special Instruction",
    [o(363, ID, 3, 3), m(352, AN, 1, 80)]
);
seg!(
    CUR,
    "CUR",
    "Currency",
    [
        m(98, ID, 2, 3).codes(&ENTITY_98),
        m(100, ID, 3, 3),
        o(280, R, 4, 10),
        o(98, ID, 2, 3),
        o(100, ID, 3, 3),
        o(669, ID, 3, 3),
        x(374, ID, 3, 3),
        x(373, DT, 8, 8),
        x(337, TM, 4, 8),
        x(374, ID, 3, 3),
        x(373, DT, 8, 8),
        x(337, TM, 4, 8),
        x(374, ID, 3, 3),
        x(373, DT, 8, 8),
        x(337, TM, 4, 8),
        x(374, ID, 3, 3),
        x(373, DT, 8, 8),
        x(337, TM, 4, 8),
        x(374, ID, 3, 3),
        x(373, DT, 8, 8),
        x(337, TM, 4, 8),
    ]
);
seg!(
    REF,
    "REF",
    "Reference Identification",
    [
        m(128, ID, 2, 3).codes(&REFERENCE_128),
        x(127, AN, 1, 30).max5010(50),
        x(352, AN, 1, 80),
        comp(
            Req::Optional,
            &[
                m(128, ID, 2, 3),
                m(127, AN, 1, 30).max5010(50),
                x(128, ID, 2, 3),
                x(127, AN, 1, 30).max5010(50),
                x(128, ID, 2, 3),
                x(127, AN, 1, 30).max5010(50),
            ]
        ),
    ],
    notes: &[r(&[2, 3])]
);
seg!(
    PER,
    "PER",
    "Administrative Communications Contact",
    [
        m(366, ID, 2, 2),
        o(93, AN, 1, 60),
        x(365, ID, 2, 2),
        x(364, AN, 1, 80).max5010(256),
        x(365, ID, 2, 2),
        x(364, AN, 1, 80).max5010(256),
        x(365, ID, 2, 2),
        x(364, AN, 1, 80).max5010(256),
        o(443, AN, 1, 20),
    ],
    notes: &[p(&[3, 4]), p(&[5, 6]), p(&[7, 8])]
);
seg!(
    TAX,
    "TAX",
    "Tax Reference",
    [
        x(325, AN, 1, 20),
        x(309, ID, 1, 2),
        x(310, AN, 1, 30),
        x(309, ID, 1, 2),
        x(310, AN, 1, 30),
        x(309, ID, 1, 2),
        x(310, AN, 1, 30),
        x(309, ID, 1, 2),
        x(310, AN, 1, 30),
        x(309, ID, 1, 2),
        x(310, AN, 1, 30),
        o(441, ID, 1, 1),
        o(1179, ID, 1, 1),
    ]
);
seg!(
    FOB,
    "FOB",
    "F.O.B. Related Instructions",
    [
        m(146, ID, 2, 2).codes(&PAYMENT_146),
        x(309, ID, 1, 2),
        o(352, AN, 1, 80),
        o(334, ID, 2, 2),
        x(335, ID, 3, 3),
        x(309, ID, 1, 2),
        o(352, AN, 1, 80),
        o(54, ID, 2, 2),
        x(309, ID, 1, 2),
    ]
);
seg!(
    CSH,
    "CSH",
    "Sales Requirements",
    [
        o(563, ID, 1, 2),
        x(306, ID, 1, 2),
        x(610, N2D, 1, 15),
        o(508, AN, 1, 35),
        x(373, DT, 8, 8),
        o(560, ID, 1, 2),
        o(954, R, 1, 10),
        o(954, R, 1, 10),
        o(1004, ID, 1, 2),
    ]
);
seg!(
    ITD,
    "ITD",
    "Terms of Sale/Deferred Terms of Sale",
    [
        o(336, ID, 2, 2),
        o(333, ID, 1, 2),
        o(338, R, 1, 6),
        x(370, DT, 8, 8),
        x(351, N0, 1, 3),
        x(446, DT, 8, 8),
        o(386, N0, 1, 3),
        o(362, N2D, 1, 10),
        o(388, DT, 8, 8),
        o(389, N2D, 1, 10),
        o(342, R, 1, 5),
        o(352, AN, 1, 80),
        x(765, N0, 1, 2),
        x(107, ID, 1, 2),
        o(954, R, 1, 10),
    ]
);
seg!(
    DTM,
    "DTM",
    "Date/Time Reference",
    [
        m(374, ID, 3, 3).codes(&DATE_QUALIFIER_374),
        x(373, DT, 8, 8),
        x(337, TM, 4, 8),
        o(623, ID, 2, 2),
        x(1250, ID, 2, 3),
        x(1251, AN, 1, 35),
    ],
    notes: &[r(&[2, 3, 5]), c(&[4, 3]), p(&[5, 6])]
);
seg!(
    PKG,
    "PKG",
    "Marking, Packaging, Loading",
    [
        x(349, ID, 1, 1).codes(&DESCRIPTION_TYPE_349),
        o(753, ID, 2, 3),
        x(559, ID, 2, 2),
        x(754, AN, 1, 7),
        x(352, AN, 1, 80),
        o(400, ID, 2, 2),
    ]
);
seg!(
    TD1,
    "TD1",
    "Carrier Details (Quantity and Weight)",
    [
        o(103, ID, 3, 5),
        x(80, N0, 1, 7),
        o(23, ID, 1, 1),
        x(22, AN, 1, 30),
        o(79, AN, 1, 50),
        o(187, ID, 1, 2),
        x(81, R, 1, 10),
        x(355, ID, 2, 2).codes(&UNIT_355),
        x(183, R, 1, 8),
        x(355, ID, 2, 2).codes(&UNIT_355),
    ],
    notes: &[c(&[1, 2]), c(&[3, 4]), c(&[6, 7]), p(&[7, 8]), p(&[9, 10])]
);
seg!(
    TD5,
    "TD5",
    "Carrier Details (Routing Sequence/Transit Time)",
    [
        o(133, ID, 1, 2),
        x(66, ID, 1, 2).codes(&ID_QUALIFIER_66),
        x(67, AN, 2, 80),
        x(91, ID, 1, 2).codes(&TRANSPORT_91),
        x(387, AN, 1, 35),
        x(368, ID, 2, 2),
        o(309, ID, 1, 2),
        x(310, AN, 1, 30),
        x(731, ID, 1, 2),
        x(732, AN, 1, 4),
        x(733, ID, 1, 3),
        o(284, ID, 1, 3),
        x(26, ID, 2, 2),
        o(309, ID, 1, 2),
        o(310, AN, 1, 30),
    ],
    notes: &[r(&[2, 4, 5, 6, 12]), c(&[2, 3]), c(&[7, 8])]
);
seg!(
    TD3,
    "TD3",
    "Carrier Details (Equipment)",
    [
        x(40, ID, 2, 2),
        o(206, AN, 1, 4),
        x(207, AN, 1, 10),
        o(187, ID, 1, 2),
        x(81, R, 1, 10),
        x(355, ID, 2, 2),
        o(102, ID, 1, 1),
        o(407, ID, 1, 2),
        o(225, AN, 2, 15),
        o(24, ID, 4, 4),
    ]
);
seg!(
    TD4,
    "TD4",
    "Carrier Details (Special Handling, or Hazardous Materials, or Both)",
    [
        x(152, ID, 2, 3),
        x(208, ID, 1, 1),
        x(209, AN, 2, 10),
        x(352, AN, 1, 80),
        o(1073, ID, 1, 1),
    ]
);
seg!(
    MAN,
    "MAN",
    "Marks and Numbers",
    [
        m(88, ID, 1, 2),
        m(87, AN, 1, 48),
        o(87, AN, 1, 48),
        x(88, ID, 1, 2),
        x(87, AN, 1, 48),
        o(87, AN, 1, 48),
    ],
    notes: &[p(&[4, 5])]
);
seg!(
    N9,
    "N9",
    "Reference Identification",
    [
        m(128, ID, 2, 3).codes(&REFERENCE_128),
        x(127, AN, 1, 30).max5010(50),
        x(369, AN, 1, 45),
        o(373, DT, 8, 8),
        x(337, TM, 4, 8),
        o(623, ID, 2, 2),
    ]
);
seg!(
    MSG,
    "MSG",
    "Message Text",
    [
        m(933, AN, 1, 264),
        x(934, ID, 2, 2),
        x(1470, N0, 1, 9).added5010(),
    ]
);
seg!(
    N1,
    "N1",
    "Name",
    [
        m(98, ID, 2, 3).codes(&ENTITY_98),
        x(93, AN, 1, 60),
        x(66, ID, 1, 2).codes(&ID_QUALIFIER_66),
        x(67, AN, 2, 80),
        o(706, ID, 2, 2),
        o(98, ID, 2, 3).codes(&ENTITY_98),
    ],
    notes: &[r(&[2, 3]), p(&[3, 4])]
);
seg!(
    N2,
    "N2",
    "Additional Name Information",
    [m(93, AN, 1, 60), o(93, AN, 1, 60)]
);
seg!(
    N3,
    "N3",
    "Address Information",
    [m(166, AN, 1, 55), o(166, AN, 1, 55)]
);
seg!(
    N4,
    "N4",
    "Geographic Location",
    [
        o(19, AN, 2, 30),
        o(156, ID, 2, 2),
        o(116, ID, 3, 15),
        o(26, ID, 2, 3),
        x(309, ID, 1, 2),
        o(310, AN, 1, 30),
        x(1715, ID, 1, 3).added5010(),
    ]
);
seg!(
    SAC,
    "SAC",
    "Service, Promotion, Allowance, or Charge Information",
    [
        m(248, ID, 1, 1).codes(&ALLOWANCE_248),
        x(1300, ID, 4, 4),
        x(559, ID, 2, 2),
        x(1301, AN, 1, 10),
        o(610, N2D, 1, 15),
        x(378, ID, 1, 1),
        x(332, R, 1, 6),
        o(118, R, 1, 9),
        x(355, ID, 2, 2),
        x(380, R, 1, 15),
        o(380, R, 1, 15),
        o(331, ID, 2, 2),
        x(127, AN, 1, 30).max5010(50),
        o(770, AN, 1, 30),
        x(352, AN, 1, 80),
        o(819, ID, 2, 3),
    ]
);
/// PO1: C0302, C0504, then the product id pairs P0607 .. P2425.
const PO1_NOTES: [Note; 12] = with_pair_notes(&[c(&[3, 2]), c(&[5, 4])], 6);
/// LIN: the product id pairs P0405 .. P3031 (LIN02/LIN03 are mandatory).
const LIN_NOTES: [Note; 14] = with_pair_notes(&[], 4);
/// IT1: the qualifier/value pairs P0607 .. P2425. The standard's P020304 (quantity, unit and
/// price together) is left out on purpose: real invoices send `IT1**4**70` (no unit) and
/// translators accept them; rejecting a supplier's invoice for it would cost more than it
/// protects.
const IT1_NOTES: [Note; 10] = with_pair_notes(&[], 6);
/// ACK: P0203, C0405, then the product id pairs P0708 .. P2728.
const ACK_NOTES: [Note; 13] = with_pair_notes(&[p(&[2, 3]), c(&[4, 5])], 7);

seg!(
    PO1,
    "PO1",
    "Baseline Item Data",
    with_pairs::<25>(
        &[
            o(350, AN, 1, 20),
            x(330, R, 1, 15),
            o(355, ID, 2, 2).codes(&UNIT_355),
            x(212, R, 1, 17),
            o(639, ID, 2, 2),
        ],
        PID_Q,
        PID_V,
    ),
    notes: &PO1_NOTES
);
seg!(
    LIN,
    "LIN",
    "Item Identification",
    with_pairs::<31>(
        &[
            o(350, AN, 1, 20),
            m(235, ID, 2, 2).codes(&PRODUCT_ID_235),
            m(234, AN, 1, 48)
        ],
        PID_Q,
        PID_V,
    ),
    notes: &LIN_NOTES
);
seg!(
    IT1,
    "IT1",
    "Baseline Item Data (Invoice)",
    with_pairs::<25>(
        &[
            o(350, AN, 1, 20),
            x(358, R, 1, 10),
            x(355, ID, 2, 2).codes(&UNIT_355),
            x(212, R, 1, 17),
            o(639, ID, 2, 2),
        ],
        PID_Q,
        PID_V,
    ),
    notes: &IT1_NOTES
);
seg!(
    ACK,
    "ACK",
    "Line Item Acknowledgment",
    [
        m(668, ID, 2, 2).codes(&LINE_STATUS_668),
        x(380, R, 1, 15),
        x(355, ID, 2, 2).codes(&UNIT_355),
        o(374, ID, 3, 3).codes(&DATE_QUALIFIER_374),
        x(373, DT, 8, 8),
        o(326, AN, 1, 45),
        PID_Q,
        PID_V,
        PID_Q,
        PID_V,
        PID_Q,
        PID_V,
        PID_Q,
        PID_V,
        PID_Q,
        PID_V,
        PID_Q,
        PID_V,
        PID_Q,
        PID_V,
        PID_Q,
        PID_V,
        PID_Q,
        PID_V,
        PID_Q,
        PID_V,
        PID_Q,
        PID_V,
        o(559, ID, 2, 2),
        o(822, AN, 1, 15),
    ],
    notes: &ACK_NOTES
);
seg!(
    PID,
    "PID",
    "Product/Item Description",
    [
        m(349, ID, 1, 1).codes(&DESCRIPTION_TYPE_349),
        o(750, ID, 2, 3),
        x(559, ID, 2, 2),
        x(751, AN, 1, 12),
        x(352, AN, 1, 80),
        o(752, ID, 2, 3),
        o(822, AN, 1, 15),
        o(1073, ID, 1, 1),
        o(819, ID, 2, 3),
    ]
);
seg!(
    PO4,
    "PO4",
    "Item Physical Details",
    [
        o(356, N0, 1, 6),
        x(357, R, 1, 8),
        x(355, ID, 2, 2).codes(&UNIT_355),
        x(103, ID, 3, 5),
        x(187, ID, 1, 2),
        x(384, R, 1, 9),
        x(355, ID, 2, 2).codes(&UNIT_355),
        x(385, R, 1, 9),
        x(355, ID, 2, 2).codes(&UNIT_355),
        x(82, R, 1, 8),
        x(189, R, 1, 8),
        x(65, R, 1, 8),
        x(355, ID, 2, 2).codes(&UNIT_355),
        o(810, N0, 1, 6),
        o(752, ID, 2, 3),
        x(350, AN, 1, 20),
        x(350, AN, 1, 20),
        o(1470, N0, 1, 9),
    ]
);
seg!(
    CTT,
    "CTT",
    "Transaction Totals",
    [
        m(354, N0, 1, 6),
        o(347, R, 1, 10),
        x(81, R, 1, 10),
        x(355, ID, 2, 2),
        x(183, R, 1, 8),
        x(355, ID, 2, 2),
        o(352, AN, 1, 80),
    ],
    notes: &[p(&[3, 4]), p(&[5, 6])]
);
seg!(
    AMT,
    "AMT",
    "Monetary Amount",
    [m(522, ID, 1, 3), m(782, R, 1, 18), o(478, ID, 1, 1),]
);
seg!(
    SCH,
    "SCH",
    "Line Item Schedule",
    [
        m(380, R, 1, 15),
        m(355, ID, 2, 2).codes(&UNIT_355),
        x(98, ID, 2, 3).codes(&ENTITY_98),
        x(93, AN, 1, 60),
        m(374, ID, 3, 3).codes(&DATE_QUALIFIER_374),
        m(373, DT, 8, 8),
        o(337, TM, 4, 8),
        o(374, ID, 3, 3),
        x(373, DT, 8, 8),
        o(337, TM, 4, 8),
        o(326, AN, 1, 45),
        o(350, AN, 1, 20),
        o(1431, ID, 2, 2).added5010(),
    ]
);
seg!(
    HL,
    "HL",
    "Hierarchical Level",
    [
        m(628, AN, 1, 12),
        o(734, AN, 1, 12),
        m(735, ID, 1, 2).codes(&HL_LEVEL_735),
        o(736, ID, 1, 1).codes(&HL_CHILD_736),
    ]
);
seg!(
    SN1,
    "SN1",
    "Item Detail (Shipment)",
    [
        o(350, AN, 1, 20),
        m(382, R, 1, 10),
        m(355, ID, 2, 2).codes(&UNIT_355),
        o(646, R, 1, 15),
        x(330, R, 1, 15),
        x(355, ID, 2, 2).codes(&UNIT_355),
        o(728, AN, 1, 48),
        o(668, ID, 2, 2).codes(&LINE_STATUS_668),
    ],
    notes: &[p(&[5, 6])]
);
seg!(
    PRF,
    "PRF",
    "Purchase Order Reference",
    [
        m(324, AN, 1, 22),
        o(328, AN, 1, 30),
        o(327, AN, 1, 8),
        o(373, DT, 8, 8),
        o(350, AN, 1, 20),
        o(367, AN, 1, 30),
        o(92, ID, 2, 2).codes(&PO_TYPE_92),
    ]
);
seg!(
    MEA,
    "MEA",
    "Measurements",
    [
        o(737, ID, 2, 2),
        x(738, ID, 1, 3),
        x(739, R, 1, 20),
        comp(
            Req::Conditional,
            &[
                m(355, ID, 2, 2).codes(&UNIT_355),
                o(1018, R, 1, 15),
                o(649, R, 1, 10),
                o(355, ID, 2, 2),
                o(1018, R, 1, 15),
                o(649, R, 1, 10),
                o(355, ID, 2, 2),
                o(1018, R, 1, 15),
                o(649, R, 1, 10),
                o(355, ID, 2, 2),
                o(1018, R, 1, 15),
                o(649, R, 1, 10),
                o(355, ID, 2, 2),
                o(1018, R, 1, 15),
                o(649, R, 1, 10),
            ]
        ),
        x(740, R, 1, 20),
        x(741, R, 1, 20),
        x(935, ID, 2, 2),
        x(752, ID, 2, 2),
        o(1373, ID, 1, 2),
        o(1270, ID, 1, 3),
    ],
    notes: &[r(&[3, 5, 6, 8]), c(&[5, 4]), c(&[6, 4]), l(&[7, 3, 5, 6]), e(&[8, 3])]
);
seg!(
    TDS,
    "TDS",
    "Total Monetary Value Summary",
    [
        m(610, N2D, 1, 15),
        o(610, N2D, 1, 15),
        o(610, N2D, 1, 15),
        o(610, N2D, 1, 15),
    ]
);
seg!(
    TXI,
    "TXI",
    "Tax Information",
    [
        m(963, ID, 2, 2),
        x(782, R, 1, 18),
        x(954, R, 1, 10),
        x(955, ID, 2, 2),
        x(956, AN, 1, 10),
        x(441, ID, 1, 1),
        o(1325, ID, 1, 1),
        x(954, R, 1, 10),
        o(350, AN, 1, 20),
        o(350, AN, 1, 20),
    ]
);
seg!(
    CAD,
    "CAD",
    "Carrier Detail",
    [
        o(91, ID, 1, 2).codes(&TRANSPORT_91),
        o(206, AN, 1, 4),
        o(207, AN, 1, 10),
        x(140, ID, 2, 4),
        x(387, AN, 1, 35),
        o(368, ID, 2, 2),
        o(128, ID, 2, 3),
        x(127, AN, 1, 30).max5010(50),
        o(284, ID, 1, 3),
    ]
);
seg!(
    ISS,
    "ISS",
    "Invoice Shipment Summary",
    [
        x(382, R, 1, 10),
        x(355, ID, 2, 2).codes(&UNIT_355),
        x(81, R, 1, 10),
        x(355, ID, 2, 2).codes(&UNIT_355),
        x(183, R, 1, 8),
        x(355, ID, 2, 2).codes(&UNIT_355),
    ]
);

// 997 Functional Acknowledgment.
seg!(
    AK1,
    "AK1",
    "Functional Group Response Header",
    [
        m(479, ID, 2, 2).codes(&FUNCTIONAL_ID_479),
        m(28, N0, 1, 9),
        o(480, AN, 1, 12).added5010(),
    ]
);
seg!(
    AK2,
    "AK2",
    "Transaction Set Response Header",
    [
        m(143, ID, 3, 3),
        m(329, AN, 4, 9),
        o(1705, AN, 1, 35).added5010(),
    ]
);
seg!(
    AK3,
    "AK3",
    "Data Segment Note",
    [
        m(721, ID, 2, 3),
        m(719, N0, 1, 6).max5010(10),
        o(447, AN, 1, 6).max5010(4),
        o(720, ID, 1, 3).codes(&SEGMENT_ERROR_720),
    ]
);
seg!(
    AK4,
    "AK4",
    "Data Element Note",
    [
        comp(
            Req::Mandatory,
            &[m(722, N0, 1, 2), o(1528, N0, 1, 2), o(1686, N0, 1, 4),]
        ),
        o(725, N0, 1, 4),
        m(723, ID, 1, 3).codes(&ELEMENT_ERROR_723),
        o(724, AN, 1, 99),
    ]
);
seg!(
    AK5,
    "AK5",
    "Transaction Set Response Trailer",
    [
        m(717, ID, 1, 1).codes(&ACK_CODE_717),
        o(718, ID, 1, 3).codes(&SET_ERROR_718),
        o(718, ID, 1, 3).codes(&SET_ERROR_718),
        o(718, ID, 1, 3).codes(&SET_ERROR_718),
        o(718, ID, 1, 3).codes(&SET_ERROR_718),
        o(718, ID, 1, 3).codes(&SET_ERROR_718),
    ]
);
seg!(
    AK9,
    "AK9",
    "Functional Group Response Trailer",
    [
        m(715, ID, 1, 1).codes(&ACK_CODE_717),
        m(97, N0, 1, 6),
        m(123, N0, 1, 6),
        m(2, N0, 1, 6),
        o(716, ID, 1, 3).codes(&GROUP_ERROR_716),
        o(716, ID, 1, 3).codes(&GROUP_ERROR_716),
        o(716, ID, 1, 3).codes(&GROUP_ERROR_716),
        o(716, ID, 1, 3).codes(&GROUP_ERROR_716),
        o(716, ID, 1, 3).codes(&GROUP_ERROR_716),
    ]
);

// 999 Implementation Acknowledgment (005010X231A1).
seg!(
    AK1_999,
    "AK1",
    "Functional Group Response Header",
    [
        m(479, ID, 2, 2).codes(&FUNCTIONAL_ID_479),
        m(28, N0, 1, 9),
        m(480, AN, 1, 12),
    ]
);
/// C030 Position in Segment (IK401, CTX05).
const C030: &[Element] = &[m(722, N0, 1, 2), o(1528, N0, 1, 2), o(1686, N0, 1, 4)];
seg!(
    CTX,
    "CTX",
    "Context",
    [
        // C998 Context Identification, repeatable.
        comp(Req::Mandatory, &[m(9999, AN, 1, 35), o(9998, AN, 1, 35)]).repeats(10),
        o(721, ID, 2, 3),
        o(719, N0, 1, 10),
        o(447, AN, 1, 4),
        comp(Req::Optional, C030),
        // C999 Reference in Segment.
        comp(Req::Optional, &[m(725, N0, 1, 4), o(725, N0, 1, 4)]),
    ]
);
seg!(
    IK3,
    "IK3",
    "Implementation Data Segment Note",
    [
        m(721, ID, 2, 3),
        m(719, N0, 1, 10),
        o(447, AN, 1, 4),
        m(620, ID, 1, 3).codes(&IMPL_SEGMENT_ERROR_620),
    ]
);
seg!(
    IK4,
    "IK4",
    "Implementation Data Element Note",
    [
        comp(Req::Mandatory, C030),
        o(725, N0, 1, 4),
        m(621, ID, 1, 3).codes(&IMPL_ELEMENT_ERROR_621),
        o(724, AN, 1, 99),
    ]
);
seg!(
    IK5,
    "IK5",
    "Implementation Transaction Set Response Trailer",
    [
        m(717, ID, 1, 1).codes(&SET_ACK_717),
        o(618, ID, 1, 3).codes(&IMPL_SET_ERROR_618),
        o(618, ID, 1, 3).codes(&IMPL_SET_ERROR_618),
        o(618, ID, 1, 3).codes(&IMPL_SET_ERROR_618),
        o(618, ID, 1, 3).codes(&IMPL_SET_ERROR_618),
        o(618, ID, 1, 3).codes(&IMPL_SET_ERROR_618),
    ]
);
seg!(
    AK9_999,
    "AK9",
    "Functional Group Response Trailer",
    [
        m(715, ID, 1, 1).codes(&GROUP_ACK_715_X231),
        m(97, N0, 1, 6),
        m(123, N0, 1, 6),
        m(2, N0, 1, 6),
        o(716, ID, 1, 3).codes(&GROUP_ERROR_716),
        o(716, ID, 1, 3).codes(&GROUP_ERROR_716),
        o(716, ID, 1, 3).codes(&GROUP_ERROR_716),
        o(716, ID, 1, 3).codes(&GROUP_ERROR_716),
        o(716, ID, 1, 3).codes(&GROUP_ERROR_716),
    ]
);

/// Every segment defined above, for recognising ids that belong to X12 but not to the set at hand.
pub static ALL: &[&SegmentDef] = &[
    &ST, &SE, &BEG, &BAK, &BSN, &BIG, &NTE, &CUR, &REF, &PER, &TAX, &FOB, &CSH, &ITD, &DTM, &PKG,
    &TD1, &TD5, &TD3, &TD4, &MAN, &N9, &MSG, &N1, &N2, &N3, &N4, &SAC, &PO1, &LIN, &IT1, &ACK,
    &PID, &PO4, &CTT, &AMT, &SCH, &HL, &SN1, &PRF, &MEA, &TDS, &TXI, &CAD, &ISS, &AK1, &AK2, &AK3,
    &AK4, &AK5, &AK9, &CTX, &IK3, &IK4, &IK5,
];

/// Looks a segment id up in the dictionary.
pub fn find(id: &[u8]) -> Option<&'static SegmentDef> {
    ALL.iter()
        .chain(OPAQUE.iter())
        .copied()
        .find(|d| d.id.as_bytes() == id)
}

// Segments the tables place but whose elements Wharf does not describe yet: an empty element
// list means "position checked, elements not".
seg!(SI, "SI", "Service Characteristic Identification", []);
seg!(CN1, "CN1", "Contract Information", []);
seg!(PO3, "PO3", "Additional Item Detail", []);
seg!(CTP, "CTP", "Pricing Information", []);
seg!(PAM, "PAM", "Period Amount", []);
seg!(PWK, "PWK", "Paperwork", []);
seg!(IT8, "IT8", "Conditions of Sale", []);
seg!(DIS, "DIS", "Discount Detail", []);
seg!(INC, "INC", "Installment Information", []);
seg!(SDQ, "SDQ", "Destination Quantity", []);
seg!(IT3, "IT3", "Additional Item Data", []);
seg!(TC2, "TC2", "Commodity", []);
seg!(PCT, "PCT", "Percent Amounts", []);
seg!(SPI, "SPI", "Specification Identifier", []);
seg!(
    CB1,
    "CB1",
    "Contract and Cost Accounting Standards Data",
    []
);
seg!(QTY, "QTY", "Quantity", []);
seg!(LDT, "LDT", "Lead Time", []);
seg!(LM, "LM", "Code Source Information", []);
seg!(LQ, "LQ", "Industry Code", []);
seg!(SLN, "SLN", "Subline Item Detail", []);
seg!(NX2, "NX2", "Location ID Component", []);
seg!(YNQ, "YNQ", "Yes/No Question", []);
seg!(DMG, "DMG", "Demographic Information", []);
seg!(CRC, "CRC", "Conditions Indicator", []);
seg!(SR, "SR", "Requested Service Schedule", []);
seg!(L7, "L7", "Tariff Reference", []);
seg!(BAL, "BAL", "Balance Detail", []);
seg!(V1, "V1", "Vessel Identification", []);
seg!(FA1, "FA1", "Type of Financial Accounting Data", []);
seg!(FA2, "FA2", "Accounting Data", []);
seg!(CLD, "CLD", "Load Detail", []);
seg!(PAL, "PAL", "Pallet Information", []);
seg!(ETD, "ETD", "Excess Transportation Detail", []);
seg!(GF, "GF", "Furnished Goods and Services", []);
seg!(TSD, "TSD", "Trailer Shipment Details", []);
seg!(CTB, "CTB", "Restrictions/Conditions", []);
seg!(ADV, "ADV", "Advertising Demographic Information", []);

/// The position-only segments, for id recognition.
pub static OPAQUE: &[&SegmentDef] = &[
    &SI, &CN1, &PO3, &CTP, &PAM, &PWK, &IT8, &DIS, &INC, &SDQ, &IT3, &TC2, &PCT, &SPI, &CB1, &QTY,
    &LDT, &LM, &LQ, &SLN, &NX2, &YNQ, &DMG, &CRC, &SR, &L7, &BAL, &V1, &FA1, &FA2, &CLD, &PAL,
    &ETD, &GF, &TSD, &CTB, &ADV,
];
