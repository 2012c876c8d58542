//! HL hierarchy checks driven by a table's [`Hierarchy`]: HL01 counts up by 1 from 1, HL02 names an earlier HL01, and HL03 fits its parent's level.

use super::schema::Hierarchy;
use super::types::Fault;
use crate::edi::x12::reader::Segment;
use crate::edi::x12::text;
use std::collections::HashMap;

/// HL01 → HL03 of every HL seen, without an allocation per HL: HL01s numbered 1, 2, 3, …
/// in order (the normal case) are found by index; any other HL01 goes to a map. HL03 bytes
/// live in one buffer.
#[derive(Debug, Default)]
struct Levels {
    /// Entry k: the HL03 (range in `bytes`) of HL01 `k + 1` written without leading zeros.
    seq: Vec<(usize, usize)>,
    /// HL01s that are not the next number of `seq`.
    other: HashMap<Vec<u8>, (usize, usize)>,
    bytes: Vec<u8>,
}

/// The number an HL01 spells when it is plain decimal without leading zeros (so that equal
/// numbers mean equal bytes).
fn canonical(v: &[u8]) -> Option<usize> {
    match v.first() {
        Some(b'1'..=b'9') if v.len() <= 18 => number(v).and_then(|n| usize::try_from(n).ok()),
        _ => None,
    }
}

impl Levels {
    fn range(&self, (a, b): (usize, usize)) -> Option<&[u8]> {
        self.bytes.get(a..b)
    }

    fn get(&self, id: &[u8]) -> Option<&[u8]> {
        if let Some(n) = canonical(id)
            && n >= 1
            && n <= self.seq.len()
        {
            return self.seq.get(n - 1).and_then(|&r| self.range(r));
        }
        if self.other.is_empty() {
            return None;
        }
        self.other.get(id).and_then(|&r| self.range(r))
    }

    fn contains_key(&self, id: &[u8]) -> bool {
        self.get(id).is_some()
    }

    /// Records `id` (not yet present) at `level`.
    fn insert(&mut self, id: &[u8], level: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(level);
        let r = (start, self.bytes.len());
        if canonical(id) == Some(self.seq.len() + 1) {
            self.seq.push(r);
        } else {
            self.other.insert(id.to_vec(), r);
        }
    }
}

/// What the HL segments seen so far in one set established.
#[derive(Debug, Default)]
pub struct HlState {
    /// HL01 → HL03 of every HL seen.
    levels: Levels,
    /// HL segments seen.
    count: u64,
    /// HL01 of the previous HL when it was a number.
    last: Option<u64>,
}

fn number(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 18 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    v.iter()
        .try_fold(0u64, |acc, &b| Some(acc * 10 + u64::from(b - b'0')))
}

fn fault(why: String) -> Fault {
    Fault {
        code: 7,
        why,
        warning: false,
    }
}

fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

impl HlState {
    /// Checks one HL segment; returns (element position, offending value, fault) for each finding.
    pub fn check<'a>(
        &mut self,
        rules: &Hierarchy,
        seg: &Segment<'a>,
    ) -> Vec<(u32, &'a [u8], Fault)> {
        let mut out = Vec::new();
        self.count = self.count.saturating_add(1);
        let id = seg.element(1).unwrap_or_default();
        let parent = seg.element(2).unwrap_or_default();
        let level = seg.element(3).unwrap_or_default();
        // Message parts are built only when there is something to report.
        let me = || format!("HL {}", text(id));

        // HL01: 1, 2, 3, … (an empty HL01 is reported by the element checks).
        if !id.is_empty() {
            let expected = match self.last {
                _ if self.count == 1 => 1,
                Some(n) => n.saturating_add(1),
                None => self.count,
            };
            let got = number(id);
            if self.levels.contains_key(id) {
                out.push((
                    1,
                    id,
                    fault(format!(
                        "repeats the id of an earlier HL; HL01 must count up by 1 from 1, so the {} HL should be {expected}",
                        ordinal(self.count)
                    )),
                ));
            } else if got != Some(expected) {
                out.push((
                    1,
                    id,
                    fault(format!(
                        "breaks the HL numbering: HL01 counts up by 1 from 1, so the {} HL should be {expected}",
                        ordinal(self.count)
                    )),
                ));
            }
            self.last = got;
        } else {
            self.last = None;
        }

        // HL02: empty, or an earlier HL01.
        let parent_level = if parent.is_empty() {
            None
        } else if parent == id {
            out.push((
                2,
                parent,
                fault(format!("{} names itself as its parent", me())),
            ));
            None
        } else if let Some(l) = self.levels.get(parent) {
            Some(l)
        } else {
            let first = if self.count == 1 {
                " (the first HL has no parent: HL02 must be empty)"
            } else {
                ""
            };
            out.push((
                2,
                parent,
                fault(format!(
                    "{} names parent HL {}, but no earlier HL has that HL01{first}",
                    me(),
                    text(parent)
                )),
            ));
            None
        };

        // HL03 against the parent's level.
        if let Some(rule) = rules.level(level) {
            let names = |codes: &[&str]| -> String {
                let v: Vec<String> = codes
                    .iter()
                    .map(|c| match rules.level(c.as_bytes()) {
                        Some(l) => format!("{c} ({})", l.name),
                        None => (*c).to_owned(),
                    })
                    .collect();
                match v.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        format!("{} or {last}", rest.join(", "))
                    }
                    _ => v.concat(),
                }
            };
            let what = || format!("{} is level {} ({})", me(), rule.code, rule.name);
            match parent_level {
                Some(pl) => {
                    let pdesc = || {
                        let pname = rules
                            .level(pl)
                            .map(|l| format!(" ({})", l.name))
                            .unwrap_or_default();
                        format!("parent HL {} (level {}{pname})", text(parent), text(pl))
                    };
                    if rule.parents.is_empty() {
                        out.push((
                            3,
                            level,
                            fault(format!(
                                "{}, the top of the hierarchy, but names {}; HL02 must be empty",
                                what(),
                                pdesc()
                            )),
                        ));
                    } else if rules.level(pl).is_some()
                        && !rule.parents.iter().any(|p| p.as_bytes() == pl)
                    {
                        out.push((
                            3,
                            level,
                            fault(format!(
                                "{} under {}; level {} must sit under {}",
                                what(),
                                pdesc(),
                                rule.code,
                                names(rule.parents)
                            )),
                        ));
                    }
                }
                None if parent.is_empty() && !rule.parents.is_empty() => {
                    out.push((
                        3,
                        level,
                        fault(format!(
                            "{} with no parent (HL02 empty); level {} must sit under {}",
                            what(),
                            rule.code,
                            names(rule.parents)
                        )),
                    ));
                }
                None => {}
            }
        }

        if !id.is_empty() && !self.levels.contains_key(id) {
            self.levels.insert(id, level);
        }
        out
    }
}
