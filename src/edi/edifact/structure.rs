//! Message structure as data: the EANCOM segment tables of ORDERS, ORDRSP and DESADV (the union of the D96A and D01B subsets), and a streaming checker that places each segment in its group, reporting segments out of place (0085 code 15), missing mandatory segments (13) and too many repetitions of a segment (35) or group (36). One table per message type.

use super::{Segment, code};

/// One entry of a message table, in table order.
#[derive(Debug)]
pub enum Node {
    Seg {
        tag: &'static str,
        mandatory: bool,
        max: u32,
    },
    /// A segment group; its first node is its trigger segment.
    Group {
        id: &'static str,
        mandatory: bool,
        max: u32,
        nodes: &'static [Node],
    },
}

const fn m(tag: &'static str, max: u32) -> Node {
    Node::Seg {
        tag,
        mandatory: true,
        max,
    }
}
const fn c(tag: &'static str, max: u32) -> Node {
    Node::Seg {
        tag,
        mandatory: false,
        max,
    }
}
const fn g(id: &'static str, max: u32, nodes: &'static [Node]) -> Node {
    Node::Group {
        id,
        mandatory: false,
        max,
        nodes,
    }
}
const fn gm(id: &'static str, max: u32, nodes: &'static [Node]) -> Node {
    Node::Group {
        id,
        mandatory: true,
        max,
        nodes,
    }
}

const RFF_DTM: &[Node] = &[m("RFF", 1), c("DTM", 5)];
const CTA_COM: &[Node] = &[m("CTA", 1), c("COM", 5)];
const LOC_DTM: &[Node] = &[m("LOC", 1), c("DTM", 5)];
const LOC_QTY_DTM: &[Node] = &[m("LOC", 1), c("QTY", 1), c("DTM", 5)];
const TAX: &[Node] = &[m("TAX", 1), c("MOA", 1), c("LOC", 5)];
const PAT: &[Node] = &[m("PAT", 1), c("DTM", 5), c("PCD", 1), c("MOA", 1)];
const TDT: &[Node] = &[m("TDT", 1), g("TDT-LOC", 10, LOC_DTM)];
const TOD: &[Node] = &[m("TOD", 1), c("LOC", 2)];
const PCI: &[Node] = &[m("PCI", 1), c("RFF", 1), c("DTM", 5), c("GIN", 10)];
const PAC: &[Node] = &[m("PAC", 1), c("MEA", 5), c("QTY", 5), g("PCI", 5, PCI)];
const PRI: &[Node] = &[
    m("PRI", 1),
    c("CUX", 1),
    c("APR", 1),
    c("RNG", 1),
    c("DTM", 5),
];
const QTY_DTM: &[Node] = &[m("QTY", 1), c("DTM", 5)];
const SCC: &[Node] = &[
    m("SCC", 1),
    c("FTX", 5),
    c("RFF", 5),
    g("SCC-QTY", 10, QTY_DTM),
];
const QTY_RNG: &[Node] = &[m("QTY", 1), c("RNG", 1)];
const PCD_RNG: &[Node] = &[m("PCD", 1), c("RNG", 1)];
const MOA_RNG: &[Node] = &[m("MOA", 1), c("RNG", 1)];
const RTE_RNG: &[Node] = &[m("RTE", 1), c("RNG", 1)];
const TAX_MOA: &[Node] = &[m("TAX", 1), c("MOA", 1)];
const ALC: &[Node] = &[
    m("ALC", 1),
    c("ALI", 5),
    c("DTM", 5),
    g("ALC-QTY", 1, QTY_RNG),
    g("ALC-PCD", 1, PCD_RNG),
    g("ALC-MOA", 2, MOA_RNG),
    g("ALC-RTE", 1, RTE_RNG),
    g("ALC-TAX", 5, TAX_MOA),
];
const NAD_HEAD: &[Node] = &[
    m("NAD", 1),
    c("LOC", 25),
    c("FII", 5),
    g("NAD-RFF", 10, RFF_DTM),
    g("NAD-DOC", 5, &[m("DOC", 1), c("DTM", 5)]),
    g("NAD-CTA", 5, CTA_COM),
];
const NAD_LINE: &[Node] = &[
    m("NAD", 1),
    c("LOC", 5),
    g("NAD-RFF", 5, RFF_DTM),
    g("NAD-CTA", 5, CTA_COM),
];

/// The line group shared by ORDERS and ORDRSP.
const ORDER_LINE: &[Node] = &[
    m("LIN", 1),
    c("PIA", 25),
    c("IMD", 99),
    c("MEA", 99),
    c("QTY", 99),
    c("PCD", 5),
    c("ALI", 5),
    c("DTM", 35),
    c("MOA", 10),
    c("GIN", 1000),
    c("GIR", 1000),
    c("QVR", 1),
    c("DOC", 1),
    c("PAI", 1),
    c("FTX", 99),
    g("CCI", 10, &[m("CCI", 1), c("CAV", 10), c("MEA", 10)]),
    g("PRI", 25, PRI),
    g("LIN-RFF", 10, RFF_DTM),
    g("LIN-PAC", 10, PAC),
    g("LIN-LOC", 9999, LOC_QTY_DTM),
    g("LIN-TAX", 10, TAX),
    g("LIN-NAD", 99, NAD_LINE),
    g("LIN-ALC", 30, ALC),
    g("LIN-TDT", 10, TDT),
    g("LIN-TOD", 5, TOD),
    g("LIN-SCC", 100, SCC),
    g(
        "RCS",
        10,
        &[m("RCS", 1), c("RFF", 5), c("DTM", 5), c("FTX", 5)],
    ),
];

/// Header of ORDERS and ORDRSP up to the lines.
const ORDER_HEAD: &[Node] = &[
    m("BGM", 1),
    m("DTM", 35),
    c("PAI", 1),
    c("ALI", 5),
    c("IMD", 1),
    c("FTX", 99),
    g("RFF", 10, RFF_DTM),
    g("NAD", 99, NAD_HEAD),
    g("TAX", 5, TAX),
    g("CUX", 5, &[m("CUX", 1), c("DTM", 5)]),
    g("PAT", 10, PAT),
    g("TDT", 10, TDT),
    g("TOD", 5, TOD),
    g("PAC", 99, PAC),
    g("SCC", 15, SCC),
    g("ALC", 15, ALC),
    g("LIN", 200_000, ORDER_LINE),
    m("UNS", 1),
    c("MOA", 12),
    c("CNT", 10),
    g("SUMMARY-ALC", 10, &[m("ALC", 1), c("ALI", 1), c("MOA", 2)]),
];

const DESADV_LINE: &[Node] = &[
    m("LIN", 1),
    c("PIA", 10),
    c("IMD", 25),
    c("MEA", 10),
    c("QTY", 10),
    c("ALI", 10),
    c("GIN", 100),
    c("GIR", 100),
    c("DTM", 5),
    c("MOA", 5),
    c("FTX", 99),
    g("LIN-RFF", 10, RFF_DTM),
    g("QVR", 10, &[m("QVR", 1), c("DTM", 1)]),
    g(
        "LIN-PCI",
        1000,
        &[
            m("PCI", 1),
            c("DTM", 5),
            c("MEA", 10),
            c("QTY", 1),
            g("PCI-GIN", 10, &[m("GIN", 1), c("DTM", 5)]),
        ],
    ),
];

const DESADV: &[Node] = &[
    m("BGM", 1),
    m("DTM", 10),
    c("ALI", 5),
    c("MEA", 5),
    c("MOA", 5),
    c("FTX", 5),
    g("RFF", 10, RFF_DTM),
    g(
        "NAD",
        99,
        &[
            m("NAD", 1),
            c("LOC", 10),
            g("NAD-RFF", 10, RFF_DTM),
            g("NAD-CTA", 10, CTA_COM),
        ],
    ),
    g("TOD", 5, &[m("TOD", 1), c("LOC", 5)]),
    g(
        "TDT",
        10,
        &[m("TDT", 1), c("PCD", 1), g("TDT-LOC", 10, LOC_DTM)],
    ),
    g(
        "EQD",
        10,
        &[m("EQD", 1), c("MEA", 5), c("SEL", 25), c("EQA", 5)],
    ),
    gm(
        "CPS",
        9999,
        &[
            m("CPS", 1),
            c("FTX", 5),
            g(
                "PAC",
                9999,
                &[
                    m("PAC", 1),
                    c("MEA", 10),
                    c("QTY", 10),
                    g("HAN", 5, &[m("HAN", 1)]),
                    g("PCI", 1000, PCI),
                ],
            ),
            g("LIN", 9999, DESADV_LINE),
        ],
    ),
    c("CNT", 5),
];

/// The table for a message type, if Wharf has one.
pub fn table(message_type: &str) -> Option<&'static [Node]> {
    match message_type {
        "ORDERS" | "ORDRSP" => Some(ORDER_HEAD),
        "DESADV" => Some(DESADV),
        _ => None,
    }
}

impl Node {
    fn trigger(&self) -> &'static str {
        match self {
            Node::Seg { tag, .. } => tag,
            Node::Group { nodes, .. } => nodes.first().map_or("", |n| n.trigger()),
        }
    }
    fn mandatory(&self) -> bool {
        match self {
            Node::Seg { mandatory, .. } | Node::Group { mandatory, .. } => *mandatory,
        }
    }
    fn name(&self) -> String {
        match self {
            Node::Seg { tag, .. } => format!("segment {tag}"),
            Node::Group { id, nodes, .. } => format!(
                "segment group {id} (starting with {})",
                nodes.first().map_or("?", |n| n.trigger())
            ),
        }
    }
}

/// One open level: the message body or one iteration of a group.
struct Frame {
    nodes: &'static [Node],
    /// Index of the node last matched.
    idx: Option<usize>,
    counts: Vec<u32>,
    in_group: bool,
}

impl Frame {
    fn new(nodes: &'static [Node], in_group: bool) -> Frame {
        Frame {
            nodes,
            idx: None,
            counts: vec![0; nodes.len()],
            in_group,
        }
    }
}

/// A structure fault: where (segment position and tag) and which 0085 code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub position: u32,
    pub tag: String,
    pub code: u16,
    pub message: String,
}

/// Checks the order of a message's segments (UNH and UNT excluded) against its table.
pub fn check(nodes: &'static [Node], segments: &[Segment<'_>]) -> Vec<Fault> {
    let mut out = Vec::new();
    let mut stack = vec![Frame::new(nodes, false)];
    let mut last_position = 1u32;
    for seg in segments.iter().filter(|s| !s.is("UNH") && !s.is("UNT")) {
        last_position = seg.position;
        let tag = seg.tag_str();
        // The deepest level where the tag may come next; in a group, its trigger again
        // means a new iteration, which the level above places.
        let mut hit = None;
        for (d, frame) in stack.iter().enumerate().rev() {
            let start = match (frame.idx, frame.in_group) {
                (Some(i), true) => i.max(1),
                (Some(i), false) => i,
                (None, _) => 0,
            };
            let found = frame
                .nodes
                .iter()
                .enumerate()
                .skip(start)
                .find(|(_, n)| n.trigger() == tag);
            if let Some((j, _)) = found {
                hit = Some((d, j));
                break;
            }
        }
        let Some((d, j)) = hit else {
            out.push(Fault {
                position: seg.position,
                tag: tag.clone().into_owned(),
                code: code::NOT_SUPPORTED_HERE,
                message: format!(
                    "segment {tag} at position {} is not expected here (message structure)",
                    seg.position
                ),
            });
            continue;
        };
        while stack.len() > d + 1 {
            if let Some(f) = stack.pop() {
                missing(&f, f.idx.map_or(0, |i| i + 1), f.nodes.len(), seg, &mut out);
            }
        }
        let Some(frame) = stack.last_mut() else { break };
        let from = frame.idx.map_or(0, |i| i + 1);
        if j > from || frame.idx.is_none() {
            let f = Frame {
                nodes: frame.nodes,
                idx: frame.idx,
                counts: frame.counts.clone(),
                in_group: frame.in_group,
            };
            missing(&f, from, j, seg, &mut out);
        }
        frame.idx = Some(j);
        let count = frame.counts.get_mut(j).map_or(0, |c| {
            *c += 1;
            *c
        });
        match frame.nodes.get(j) {
            Some(Node::Seg { max, .. }) if count > *max => out.push(Fault {
                position: seg.position,
                tag: tag.clone().into_owned(),
                code: code::TOO_MANY_REPETITIONS,
                message: format!(
                    "segment {tag} at position {} repeats {count} times; at most {max} here",
                    seg.position
                ),
            }),
            Some(Node::Group { id, max, nodes, .. }) => {
                if count > *max {
                    out.push(Fault {
                        position: seg.position,
                        tag: tag.clone().into_owned(),
                        code: code::TOO_MANY_GROUP_REPETITIONS,
                        message: format!(
                            "segment group {id} starts for the {count}th time at position {}; at most {max}",
                            seg.position
                        ),
                    });
                }
                let mut inner = Frame::new(nodes, true);
                inner.idx = Some(0);
                if let Some(c) = inner.counts.first_mut() {
                    *c = 1;
                }
                stack.push(inner);
            }
            _ => {}
        }
    }
    // The message ended: everything mandatory still open is missing.
    while let Some(f) = stack.pop() {
        let from = f.idx.map_or(0, |i| i + 1);
        if from < f.nodes.len() {
            for n in f.nodes.iter().skip(from).filter(|n| n.mandatory()) {
                out.push(Fault {
                    position: last_position + 1,
                    tag: n.trigger().to_owned(),
                    code: code::MISSING,
                    message: format!("mandatory {} is missing before UNT", n.name()),
                });
            }
        }
    }
    out
}

/// Mandatory nodes of `f` in `from..to` that never came, reported at `seg`.
fn missing(f: &Frame, from: usize, to: usize, seg: &Segment<'_>, out: &mut Vec<Fault>) {
    for (k, n) in f.nodes.iter().enumerate().take(to).skip(from) {
        if n.mandatory() && f.counts.get(k).copied().unwrap_or(0) == 0 {
            out.push(Fault {
                position: seg.position,
                tag: n.trigger().to_owned(),
                code: code::MISSING,
                message: format!(
                    "mandatory {} is missing before {} at position {}",
                    n.name(),
                    seg.tag_str(),
                    seg.position
                ),
            });
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::edi::edifact::Reader;

    fn faults(message_type: &str, body: &str) -> Vec<(u32, String, u16)> {
        let text = format!(
            "UNB+UNOA:3+S+R+261126:1200+1'UNH+1+{message_type}:D:96A:UN'{body}UNT+9+1'UNZ+1+1'"
        );
        let mut r = Reader::new(text.as_bytes());
        let mut segs = Vec::new();
        while let Ok(Some(s)) = r.next_segment() {
            if !s.is("UNB") && !s.is("UNZ") {
                segs.push(s);
            }
        }
        let table = table(message_type).expect("table");
        check(table, &segs)
            .into_iter()
            .map(|f| (f.position, f.tag, f.code))
            .collect()
    }

    #[test]
    fn a_well_ordered_order_has_no_faults() {
        let body = "BGM+220+PO1+9'DTM+137:20261126:102'RFF+CT:1'NAD+BY+1::9'RFF+VA:2'CUX+2:EUR:9'\
LIN+1++1:EN'PIA+1+A:SA'QTY+21:1'PRI+AAA:1'RFF+LI:1'LIN+2++2:EN'QTY+21:2'UNS+S'CNT+2:2'";
        assert_eq!(faults("ORDERS", body), vec![]);
    }

    #[test]
    fn missing_misplaced_and_repeated_segments_are_located() {
        // No DTM before NAD (mandatory), an unknown XYZ, and no UNS before CNT.
        let body = "BGM+220+PO1+9'NAD+BY+1::9'XYZ+1'LIN+1++1:EN'QTY+21:1'CNT+2:1'";
        let f = faults("ORDERS", body);
        assert!(f.contains(&(3, "DTM".into(), code::MISSING)), "{f:?}");
        assert!(
            f.contains(&(4, "XYZ".into(), code::NOT_SUPPORTED_HERE)),
            "{f:?}"
        );
        assert!(f.contains(&(7, "UNS".into(), code::MISSING)), "{f:?}");
        // BGM allows one occurrence.
        let f = faults(
            "ORDERS",
            "BGM+220+PO1+9'BGM+220+PO2+9'DTM+137:20261126:102'UNS+S'",
        );
        assert_eq!(f, vec![(3, "BGM".into(), code::TOO_MANY_REPETITIONS)]);
        // A segment of the header after the lines began is out of place.
        let f = faults(
            "ORDERS",
            "BGM+220+PO1+9'DTM+137:20261126:102'LIN+1++1:EN'BGM+220+X+9'UNS+S'",
        );
        assert_eq!(f, vec![(5, "BGM".into(), code::NOT_SUPPORTED_HERE)]);
    }

    #[test]
    fn desadv_packing_hierarchy_is_placed_in_its_groups() {
        let body = "BGM+351+A1+9'DTM+137:20261126:102'RFF+ON:PO1'NAD+SU+1::9'TDT+20++30'CPS+1'PAC+2++CT'\
CPS+2+1'PAC+1++CT'PCI+33E'GIN+BJ+106141411234567897'LIN+1++1:SRV'QTY+12:1'RFF+ON:PO1'CNT+2:1'";
        assert_eq!(faults("DESADV", body), vec![]);
        // No CPS at all: the mandatory packing group is missing.
        let f = faults("DESADV", "BGM+351+A1+9'DTM+137:20261126:102'CNT+2:1'");
        assert_eq!(f, vec![(4, "CPS".into(), code::MISSING)]);
    }
}
