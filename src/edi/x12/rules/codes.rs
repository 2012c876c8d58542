//! Code lists for the ID elements these transaction sets use, written from the X12 dictionary; closed lists reject, open ones only warn.

use super::schema::{CodeList, pack_all, pair_bits};

/// 353 Transaction Set Purpose Code (BEG01, BAK01, BSN01, BIG08). Open: later X12 releases
/// keep adding purposes, and a partner's newer code must not reject a sound document.
pub static PURPOSE_353: CodeList = CodeList {
    element: 353,
    closed: false,
    codes: PURPOSE_353_CODES,
    packed: &pack_all::<{ PURPOSE_353_CODES.len() }>(PURPOSE_353_CODES),
    pairs: pair_bits(PURPOSE_353_CODES),
};
const PURPOSE_353_CODES: &[&str] = &[
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "10", "11", "12", "13", "14", "15", "16",
    "17", "18", "19", "20", "21", "22", "24", "25", "26", "27", "28", "30", "31", "32", "33", "34",
    "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46", "47", "48", "49", "50",
    "51", "52", "53", "54", "55", "56", "77", "CN", "CO", "EX", "GR", "PR", "RH", "RV", "SU", "ZZ",
];

/// 92 Purchase Order Type Code (BEG02): long list, common codes only.
pub static PO_TYPE_92: CodeList = CodeList {
    element: 92,
    closed: false,
    codes: PO_TYPE_92_CODES,
    packed: &pack_all::<{ PO_TYPE_92_CODES.len() }>(PO_TYPE_92_CODES),
    pairs: pair_bits(PO_TYPE_92_CODES),
};
const PO_TYPE_92_CODES: &[&str] = &[
    "BE", "BK", "BL", "CF", "CN", "CO", "CP", "DR", "DS", "EO", "IN", "KB", "KN", "LB", "LS", "NE",
    "NP", "OS", "PR", "RA", "RC", "RE", "RL", "RO", "RR", "SA", "SD", "SP", "SS", "ST", "TS", "UD",
    "WO", "ZZ",
];

/// 587 Acknowledgment Type (BAK02).
pub static ACK_TYPE_587: CodeList = CodeList {
    element: 587,
    closed: true,
    codes: ACK_TYPE_587_CODES,
    packed: &pack_all::<{ ACK_TYPE_587_CODES.len() }>(ACK_TYPE_587_CODES),
    pairs: pair_bits(ACK_TYPE_587_CODES),
};
const ACK_TYPE_587_CODES: &[&str] = &[
    "AC", "AD", "AE", "AH", "AK", "AP", "AT", "NA", "RD", "RF", "RJ", "RN", "RO", "RV", "ZZ",
];

/// 98 Entity Identifier Code (N101, N106): the parties order, shipping and invoicing documents
/// name. The X12 dictionary has over a thousand codes (`N1*AK`, party to receive the
/// acknowledgment, rejected sound files while this list was closed), so it is open: the common
/// ones are here and any other code of the right length is accepted with a warning.
pub static ENTITY_98: CodeList = CodeList {
    element: 98,
    closed: false,
    codes: ENTITY_98_CODES,
    packed: &pack_all::<{ ENTITY_98_CODES.len() }>(ENTITY_98_CODES),
    pairs: pair_bits(ENTITY_98_CODES),
};
const ENTITY_98_CODES: &[&str] = &[
    "40", "41", "AA", "AE", "AG", "AK", "AM", "AP", "BD", "BE", "BF", "BG", "BK", "BO", "BS", "BT",
    "BY", "C8", "CA", "CB", "CC", "CE", "CI", "CK", "CL", "CN", "CQ", "CS", "CT", "CV", "DA", "DB",
    "DE", "DL", "DS", "DU", "EN", "EX", "FR", "FW", "II", "IT", "LC", "LG", "LW", "MA", "MF", "MI",
    "MP", "N1", "NES", "OB", "OC", "OT", "OW", "P1", "PA", "PC", "PD", "PE", "PF", "PG", "PJ",
    "PK", "PN", "PO", "PP", "PR", "PU", "PW", "RA", "RC", "RD", "RE", "RF", "RH", "RI", "RL", "RM",
    "RP", "RS", "RT", "S4", "SB", "SE", "SF", "SH", "SJ", "SK", "SM", "SN", "SO", "SP", "SR", "ST",
    "SU", "SZ", "TO", "TR", "TS", "TT", "UC", "UP", "VC", "VN", "W8", "WD", "WH", "WR", "WS", "XQ",
    "Z7", "ZZ",
];

/// 355 Unit or Basis for Measurement Code: hundreds of codes, the common ones here.
pub static UNIT_355: CodeList = CodeList {
    element: 355,
    closed: false,
    codes: UNIT_355_CODES,
    packed: &pack_all::<{ UNIT_355_CODES.len() }>(UNIT_355_CODES),
    pairs: pair_bits(UNIT_355_CODES),
};
const UNIT_355_CODES: &[&str] = &[
    "01", "AM", "AY", "BA", "BD", "BE", "BF", "BG", "BH", "BK", "BL", "BO", "BR", "BX", "CA", "CC",
    "CF", "CH", "CL", "CM", "CN", "CQ", "CR", "CS", "CT", "CY", "DA", "DH", "DR", "DS", "DZ", "EA",
    "FO", "FT", "GA", "GR", "GS", "HR", "HU", "IN", "JR", "KG", "KT", "LB", "LF", "LO", "LR", "LT",
    "ME", "MI", "ML", "MM", "MR", "MT", "OZ", "PA", "PC", "PD", "PH", "PK", "PL", "PR", "PT", "QT",
    "RL", "RM", "RO", "SF", "SH", "SO", "SQ", "SR", "ST", "SY", "TB", "TK", "TN", "TY", "UN", "VI",
    "YD", "ZZ",
];

/// 235 Product/Service ID Qualifier: hundreds of codes, the common catalogue ones here.
pub static PRODUCT_ID_235: CodeList = CodeList {
    element: 235,
    closed: false,
    codes: PRODUCT_ID_235_CODES,
    packed: &pack_all::<{ PRODUCT_ID_235_CODES.len() }>(PRODUCT_ID_235_CODES),
    pairs: pair_bits(PRODUCT_ID_235_CODES),
};
const PRODUCT_ID_235_CODES: &[&str] = &[
    "A1", "A2", "A3", "A4", "AB", "B1", "B3", "B4", "B5", "B6", "BL", "BP", "CB", "CG", "CH", "CR",
    "EA", "EN", "EO", "FS", "GC", "IB", "IN", "IZ", "LT", "MF", "MG", "MN", "N4", "ND", "NU", "PD",
    "PI", "PL", "PN", "PO", "PR", "PT", "RO", "SK", "SM", "SN", "ST", "SZ", "TP", "UA", "UD", "UI",
    "UK", "UN", "UP", "UX", "VA", "VC", "VN", "VP", "VS", "ZZ",
];

/// 374 Date/Time Qualifier: several hundred codes, the common order/shipping ones here.
pub static DATE_QUALIFIER_374: CodeList = CodeList {
    element: 374,
    closed: false,
    codes: DATE_QUALIFIER_374_CODES,
    packed: &pack_all::<{ DATE_QUALIFIER_374_CODES.len() }>(DATE_QUALIFIER_374_CODES),
    pairs: pair_bits(DATE_QUALIFIER_374_CODES),
};
const DATE_QUALIFIER_374_CODES: &[&str] = &[
    "001", "002", "003", "004", "007", "010", "011", "017", "018", "019", "035", "036", "037",
    "038", "043", "050", "063", "064", "067", "068", "069", "070", "071", "074", "077", "079",
    "080", "081", "086", "092", "093", "094", "097", "106", "118", "150", "151", "196", "197",
    "198", "291", "368", "369", "370", "371", "372", "405", "500", "511", "514", "515", "600",
    "814", "996", "997", "AA1", "ABO", "BC1", "LEA", "PRD",
];

/// 128 Reference Identification Qualifier: over a thousand codes, the common ones here.
pub static REFERENCE_128: CodeList = CodeList {
    element: 128,
    closed: false,
    codes: REFERENCE_128_CODES,
    packed: &pack_all::<{ REFERENCE_128_CODES.len() }>(REFERENCE_128_CODES),
    pairs: pair_bits(REFERENCE_128_CODES),
};
const REFERENCE_128_CODES: &[&str] = &[
    "06", "11", "12", "14", "19", "2I", "AH", "AN", "AO", "AP", "BL", "BM", "BT", "BV", "CA", "CN",
    "CO", "CR", "CT", "DK", "DO", "DP", "EU", "F8", "FOB", "IA", "IL", "IT", "IV", "IX", "K6",
    "KK", "L1", "LO", "LT", "MA", "MB", "MH", "MR", "MU", "OI", "ON", "OQ", "P4", "PD", "PG", "PK",
    "PO", "PR", "PS", "Q1", "RE", "RQ", "SE", "SI", "SN", "SO", "ST", "TJ", "TN", "VN", "VR", "WH",
    "WO", "ZZ",
];

/// 735 Hierarchical Level Code (HL03) as used by ship notices. Open: the dictionary has far
/// more levels than these (tare, component, equipment, …) and retailers' guides use them; the
/// 856 hierarchy rules check only the levels they know.
pub static HL_LEVEL_735: CodeList = CodeList {
    element: 735,
    closed: false,
    codes: HL_LEVEL_735_CODES,
    packed: &pack_all::<{ HL_LEVEL_735_CODES.len() }>(HL_LEVEL_735_CODES),
    pairs: pair_bits(HL_LEVEL_735_CODES),
};
const HL_LEVEL_735_CODES: &[&str] = &["D", "E", "F", "G", "I", "O", "P", "Q", "S", "T", "X"];

/// 736 Hierarchical Child Code (HL04).
pub static HL_CHILD_736: CodeList = CodeList {
    element: 736,
    closed: true,
    codes: HL_CHILD_736_CODES,
    packed: &pack_all::<{ HL_CHILD_736_CODES.len() }>(HL_CHILD_736_CODES),
    pairs: pair_bits(HL_CHILD_736_CODES),
};
const HL_CHILD_736_CODES: &[&str] = &["0", "1"];

/// 1005 Hierarchical Structure Code (BSN05): order of levels in a ship notice.
pub static HL_STRUCTURE_1005: CodeList = CodeList {
    element: 1005,
    closed: false,
    codes: HL_STRUCTURE_1005_CODES,
    packed: &pack_all::<{ HL_STRUCTURE_1005_CODES.len() }>(HL_STRUCTURE_1005_CODES),
    pairs: pair_bits(HL_STRUCTURE_1005_CODES),
};
const HL_STRUCTURE_1005_CODES: &[&str] = &[
    "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008",
];

/// 668 Line Item Status Code (ACK01). Open: later releases add statuses, and a supplier's 855
/// with one must not be rejected whole.
pub static LINE_STATUS_668: CodeList = CodeList {
    element: 668,
    closed: false,
    codes: LINE_STATUS_668_CODES,
    packed: &pack_all::<{ LINE_STATUS_668_CODES.len() }>(LINE_STATUS_668_CODES),
    pairs: pair_bits(LINE_STATUS_668_CODES),
};
const LINE_STATUS_668_CODES: &[&str] = &[
    "AC", "AR", "BP", "DR", "IA", "IB", "IC", "ID", "IE", "IF", "IH", "IP", "IQ", "IR", "IS", "IW",
    "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "SP",
];

/// 349 Item Description Type (PID01).
pub static DESCRIPTION_TYPE_349: CodeList = CodeList {
    element: 349,
    closed: true,
    codes: DESCRIPTION_TYPE_349_CODES,
    packed: &pack_all::<{ DESCRIPTION_TYPE_349_CODES.len() }>(DESCRIPTION_TYPE_349_CODES),
    pairs: pair_bits(DESCRIPTION_TYPE_349_CODES),
};
const DESCRIPTION_TYPE_349_CODES: &[&str] = &["F", "S", "X"];

/// 248 Allowance or Charge Indicator (SAC01).
pub static ALLOWANCE_248: CodeList = CodeList {
    element: 248,
    closed: true,
    codes: ALLOWANCE_248_CODES,
    packed: &pack_all::<{ ALLOWANCE_248_CODES.len() }>(ALLOWANCE_248_CODES),
    pairs: pair_bits(ALLOWANCE_248_CODES),
};
const ALLOWANCE_248_CODES: &[&str] = &["A", "C", "N"];

/// 66 Identification Code Qualifier (N103, TD502): common ones.
pub static ID_QUALIFIER_66: CodeList = CodeList {
    element: 66,
    closed: false,
    codes: ID_QUALIFIER_66_CODES,
    packed: &pack_all::<{ ID_QUALIFIER_66_CODES.len() }>(ID_QUALIFIER_66_CODES),
    pairs: pair_bits(ID_QUALIFIER_66_CODES),
};
const ID_QUALIFIER_66_CODES: &[&str] = &[
    "1", "10", "11", "12", "15", "16", "17", "18", "2", "21", "24", "25", "29", "3", "34", "4",
    "46", "50", "54", "6", "8", "9", "91", "92", "93", "94", "95", "FI", "UL", "ZZ",
];

/// 91 Transportation Method/Type Code (TD504): common ones.
pub static TRANSPORT_91: CodeList = CodeList {
    element: 91,
    closed: false,
    codes: TRANSPORT_91_CODES,
    packed: &pack_all::<{ TRANSPORT_91_CODES.len() }>(TRANSPORT_91_CODES),
    pairs: pair_bits(TRANSPORT_91_CODES),
};
const TRANSPORT_91_CODES: &[&str] = &[
    "A", "AC", "AE", "B", "BU", "C", "CE", "D", "E", "FE", "H", "I", "L", "LT", "M", "O", "P",
    "PA", "PG", "PL", "PP", "R", "S", "SR", "SS", "T", "U", "W", "X", "ZZ",
];

/// 146 Shipment Method of Payment (FOB01).
pub static PAYMENT_146: CodeList = CodeList {
    element: 146,
    closed: false,
    codes: PAYMENT_146_CODES,
    packed: &pack_all::<{ PAYMENT_146_CODES.len() }>(PAYMENT_146_CODES),
    pairs: pair_bits(PAYMENT_146_CODES),
};
const PAYMENT_146_CODES: &[&str] = &[
    "11", "BP", "CA", "CC", "CD", "CF", "DE", "DF", "FO", "HP", "MX", "NC", "NR", "PA", "PB", "PC",
    "PD", "PE", "PO", "PP", "PS", "PU", "RC", "RF", "RS", "TP", "WC",
];

/// 479 Functional Identifier Code (AK101): every group kind in the X12 dictionary.
pub static FUNCTIONAL_ID_479: CodeList = CodeList {
    element: 479,
    closed: true,
    codes: FUNCTIONAL_ID_479_CODES,
    packed: &pack_all::<{ FUNCTIONAL_ID_479_CODES.len() }>(FUNCTIONAL_ID_479_CODES),
    pairs: pair_bits(FUNCTIONAL_ID_479_CODES),
};
const FUNCTIONAL_ID_479_CODES: &[&str] = &[
    "AA", "AB", "AD", "AF", "AG", "AH", "AI", "AK", "AL", "AM", "AN", "AO", "AP", "AQ", "AR", "AS",
    "AT", "AU", "AV", "AW", "AY", "AZ", "BA", "BB", "BC", "BE", "BF", "BL", "BS", "CA", "CB", "CC",
    "CD", "CE", "CF", "CH", "CI", "CJ", "CK", "CM", "CN", "CO", "CP", "CQ", "CR", "CS", "CT", "CU",
    "DA", "DD", "DF", "DI", "DM", "DS", "DX", "EC", "ED", "EI", "EN", "EP", "ER", "ES", "EV", "EX",
    "FA", "FB", "FC", "FG", "FH", "FR", "FT", "GC", "GE", "GF", "GL", "GP", "GR", "GT", "HB", "HC",
    "HI", "HN", "HP", "HR", "HS", "HU", "HV", "IA", "IB", "IC", "ID", "IE", "IF", "IG", "IH", "IJ",
    "IM", "IN", "IO", "IR", "IS", "JB", "KM", "LA", "LB", "LI", "LN", "LR", "LS", "LT", "MA", "MC",
    "MD", "ME", "MF", "MG", "MH", "MI", "MJ", "MK", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT",
    "MV", "MW", "MX", "MY", "MZ", "NC", "NL", "NP", "NR", "NT", "OC", "OG", "OR", "OW", "PA", "PB",
    "PC", "PD", "PE", "PF", "PG", "PH", "PI", "PJ", "PK", "PL", "PN", "PO", "PQ", "PR", "PS", "PT",
    "PU", "PV", "PW", "PY", "QG", "QM", "QO", "RA", "RB", "RC", "RD", "RE", "RF", "RG", "RH", "RI",
    "RJ", "RK", "RL", "RM", "RN", "RO", "RP", "RQ", "RR", "RS", "RT", "RU", "RV", "RW", "RX", "RY",
    "RZ", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SL", "SM", "SN", "SO", "SP", "SQ",
    "SR", "SS", "ST", "SU", "SV", "SW", "TA", "TB", "TD", "TF", "TI", "TJ", "TM", "TN", "TO", "TP",
    "TR", "TS", "TT", "TU", "TX", "UA", "UB", "UC", "UD", "UI", "UP", "UW", "VA", "VB", "VC", "VD",
    "VE", "VH", "VI", "VS", "WA", "WB", "WG", "WI", "WL", "WR", "WT",
];

/// 720 Segment Syntax Error Code (AK304): 1–8, plus the I-codes 5010 adds.
pub static SEGMENT_ERROR_720: CodeList = CodeList {
    element: 720,
    closed: true,
    codes: SEGMENT_ERROR_720_CODES,
    packed: &pack_all::<{ SEGMENT_ERROR_720_CODES.len() }>(SEGMENT_ERROR_720_CODES),
    pairs: pair_bits(SEGMENT_ERROR_720_CODES),
};
const SEGMENT_ERROR_720_CODES: &[&str] = &[
    "1", "2", "3", "4", "5", "6", "7", "8", "I4", "I6", "I7", "I8", "I9",
];

/// 723 Data Element Syntax Error Code (AK403).
pub static ELEMENT_ERROR_723: CodeList = CodeList {
    element: 723,
    closed: true,
    codes: ELEMENT_ERROR_723_CODES,
    packed: &pack_all::<{ ELEMENT_ERROR_723_CODES.len() }>(ELEMENT_ERROR_723_CODES),
    pairs: pair_bits(ELEMENT_ERROR_723_CODES),
};
const ELEMENT_ERROR_723_CODES: &[&str] = &[
    "1", "10", "12", "13", "2", "3", "4", "5", "6", "7", "8", "9", "I10", "I11", "I12", "I13",
    "I6", "I9",
];

/// 717 / 715 acknowledgment codes (AK501, AK901).
pub static ACK_CODE_717: CodeList = CodeList {
    element: 717,
    closed: true,
    codes: ACK_CODE_717_CODES,
    packed: &pack_all::<{ ACK_CODE_717_CODES.len() }>(ACK_CODE_717_CODES),
    pairs: pair_bits(ACK_CODE_717_CODES),
};
const ACK_CODE_717_CODES: &[&str] = &["A", "E", "M", "P", "R", "W", "X"];

/// 718 Transaction Set Syntax Error Code (AK502..AK506).
pub static SET_ERROR_718: CodeList = CodeList {
    element: 718,
    closed: true,
    codes: SET_ERROR_718_CODES,
    packed: &pack_all::<{ SET_ERROR_718_CODES.len() }>(SET_ERROR_718_CODES),
    pairs: pair_bits(SET_ERROR_718_CODES),
};
const SET_ERROR_718_CODES: &[&str] = &[
    "1", "10", "11", "12", "13", "15", "16", "17", "18", "19", "2", "23", "24", "25", "26", "27",
    "3", "4", "5", "6", "7", "8", "9", "I5", "I6",
];

/// 716 Functional Group Syntax Error Code (AK905..AK909).
pub static GROUP_ERROR_716: CodeList = CodeList {
    element: 716,
    closed: true,
    codes: GROUP_ERROR_716_CODES,
    packed: &pack_all::<{ GROUP_ERROR_716_CODES.len() }>(GROUP_ERROR_716_CODES),
    pairs: pair_bits(GROUP_ERROR_716_CODES),
};
const GROUP_ERROR_716_CODES: &[&str] = &[
    "1", "17", "18", "19", "2", "20", "21", "22", "23", "24", "25", "26", "3", "4", "5", "6",
];

/// 717 Transaction Set Acknowledgment Code (IK501).
pub static SET_ACK_717: CodeList = CodeList {
    element: 717,
    closed: true,
    codes: SET_ACK_717_CODES,
    packed: &pack_all::<{ SET_ACK_717_CODES.len() }>(SET_ACK_717_CODES),
    pairs: pair_bits(SET_ACK_717_CODES),
};
const SET_ACK_717_CODES: &[&str] = &["A", "E", "M", "R", "W", "X"];

/// 715 Functional Group Acknowledge Code (AK901) as 005010X231A1 allows it.
pub static GROUP_ACK_715_X231: CodeList = CodeList {
    element: 715,
    closed: true,
    codes: GROUP_ACK_715_X231_CODES,
    packed: &pack_all::<{ GROUP_ACK_715_X231_CODES.len() }>(GROUP_ACK_715_X231_CODES),
    pairs: pair_bits(GROUP_ACK_715_X231_CODES),
};
const GROUP_ACK_715_X231_CODES: &[&str] = &["A", "E", "P", "R"];

/// 620 Implementation Segment Syntax Error Code (IK304).
pub static IMPL_SEGMENT_ERROR_620: CodeList = CodeList {
    element: 620,
    closed: true,
    codes: IMPL_SEGMENT_ERROR_620_CODES,
    packed: &pack_all::<{ IMPL_SEGMENT_ERROR_620_CODES.len() }>(IMPL_SEGMENT_ERROR_620_CODES),
    pairs: pair_bits(IMPL_SEGMENT_ERROR_620_CODES),
};
const IMPL_SEGMENT_ERROR_620_CODES: &[&str] = &[
    "1", "2", "3", "4", "5", "6", "7", "8", "I4", "I6", "I7", "I8", "I9",
];

/// 621 Implementation Data Element Syntax Error Code (IK403).
pub static IMPL_ELEMENT_ERROR_621: CodeList = CodeList {
    element: 621,
    closed: true,
    codes: IMPL_ELEMENT_ERROR_621_CODES,
    packed: &pack_all::<{ IMPL_ELEMENT_ERROR_621_CODES.len() }>(IMPL_ELEMENT_ERROR_621_CODES),
    pairs: pair_bits(IMPL_ELEMENT_ERROR_621_CODES),
};
const IMPL_ELEMENT_ERROR_621_CODES: &[&str] = &[
    "1", "10", "12", "13", "2", "3", "4", "5", "6", "7", "8", "9", "I10", "I11", "I12", "I13",
    "I6", "I9",
];

/// 618 Implementation Transaction Set Syntax Error Code (IK502..IK506).
pub static IMPL_SET_ERROR_618: CodeList = CodeList {
    element: 618,
    closed: true,
    codes: IMPL_SET_ERROR_618_CODES,
    packed: &pack_all::<{ IMPL_SET_ERROR_618_CODES.len() }>(IMPL_SET_ERROR_618_CODES),
    pairs: pair_bits(IMPL_SET_ERROR_618_CODES),
};
const IMPL_SET_ERROR_618_CODES: &[&str] = &[
    "1", "10", "11", "12", "13", "15", "16", "17", "18", "19", "2", "23", "24", "25", "26", "27",
    "3", "4", "5", "6", "7", "8", "9", "I5", "I6",
];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// `CodeList::contains` is a binary search: every list must stay sorted and unique.
    #[test]
    fn every_list_is_sorted_for_binary_search() {
        for list in [
            &PURPOSE_353,
            &PO_TYPE_92,
            &ACK_TYPE_587,
            &ENTITY_98,
            &UNIT_355,
            &PRODUCT_ID_235,
            &DATE_QUALIFIER_374,
            &REFERENCE_128,
            &HL_LEVEL_735,
            &HL_CHILD_736,
            &HL_STRUCTURE_1005,
            &LINE_STATUS_668,
            &DESCRIPTION_TYPE_349,
            &ALLOWANCE_248,
            &ID_QUALIFIER_66,
            &TRANSPORT_91,
            &PAYMENT_146,
            &FUNCTIONAL_ID_479,
            &SEGMENT_ERROR_720,
            &ELEMENT_ERROR_723,
            &ACK_CODE_717,
            &SET_ERROR_718,
            &GROUP_ERROR_716,
            &SET_ACK_717,
            &GROUP_ACK_715_X231,
            &IMPL_SEGMENT_ERROR_620,
            &IMPL_ELEMENT_ERROR_621,
            &IMPL_SET_ERROR_618,
        ] {
            let sorted = list
                .codes
                .windows(2)
                .all(|w| w[0].as_bytes() < w[1].as_bytes());
            assert!(
                sorted,
                "code list {} is not sorted or has a duplicate",
                list.element
            );
            for c in list.codes {
                assert!(list.contains(c.as_bytes()), "{c} in list {}", list.element);
            }
            assert!(!list.contains(b"?!"));
            // The fast paths agree with a plain search on every short value.
            let mut probes: Vec<Vec<u8>> = Vec::new();
            for a in 0x20u8..0x7F {
                probes.push(vec![a]);
                for b in 0x20u8..0x7F {
                    probes.push(vec![a, b]);
                }
            }
            probes.extend(list.codes.iter().map(|c| {
                let mut v = c.as_bytes().to_vec();
                v.push(b'0');
                v
            }));
            probes.push(b"A\0".to_vec());
            probes.push(b"".to_vec());
            probes.push(b"ABCDEFGHIJ".to_vec());
            for p in &probes {
                let plain = list.codes.iter().any(|c| c.as_bytes() == p.as_slice());
                assert_eq!(list.contains(p), plain, "{p:?} in list {}", list.element);
            }
            let packed: Vec<u64> = list
                .codes
                .iter()
                .map(|c| super::super::schema::pack(c))
                .collect();
            assert_eq!(
                list.packed,
                packed.as_slice(),
                "packed codes of list {}",
                list.element
            );
        }
    }
}
