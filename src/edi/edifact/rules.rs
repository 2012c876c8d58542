//! Element rules for the segments EANCOM ORDERS, ORDRSP, DESADV (and the invoices and receiving advices partners also send) share, as data: which component of which element is numeric, coded or bounded, and the 0085 code a breach earns. Message structure (segment groups and their order) is not checked yet.

use super::{Segment, code, normalise_number};

/// The form a component must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Alphanumeric up to `max` characters.
    An(u16),
    /// Numeric (digits, one decimal mark, optional minus) up to `max` digits.
    N(u16),
}

/// One rule: component `component` of element `element` of segment `tag`.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub tag: &'static [u8],
    pub element: u8,
    pub component: u8,
    /// Data element number and name, for messages.
    pub name: &'static str,
    pub form: Form,
}

const fn r(tag: &'static [u8], element: u8, component: u8, name: &'static str, form: Form) -> Rule {
    Rule {
        tag,
        element,
        component,
        name,
        form,
    }
}

/// The rules, by segment (D96A/D01B segment directory, EANCOM usage).
pub static RULES: &[Rule] = &[
    r(b"BGM", 1, 1, "1001 document name code", Form::An(3)),
    r(b"BGM", 2, 1, "1004 document number", Form::An(35)),
    r(b"BGM", 3, 1, "1225 message function code", Form::An(3)),
    r(b"DTM", 1, 1, "2005 date/time/period qualifier", Form::An(3)),
    r(b"DTM", 1, 2, "2380 date/time/period", Form::An(35)),
    r(
        b"DTM",
        1,
        3,
        "2379 date/time/period format qualifier",
        Form::An(3),
    ),
    r(b"NAD", 1, 1, "3035 party qualifier", Form::An(3)),
    r(b"NAD", 2, 1, "3039 party identification", Form::An(35)),
    r(
        b"NAD",
        2,
        3,
        "3055 code list responsible agency",
        Form::An(3),
    ),
    r(b"RFF", 1, 1, "1153 reference qualifier", Form::An(3)),
    r(b"RFF", 1, 2, "1154 reference number", Form::An(35)),
    r(b"CUX", 1, 2, "6345 currency", Form::An(3)),
    r(b"LIN", 1, 1, "1082 line item number", Form::An(6)),
    r(b"LIN", 3, 1, "7140 item number", Form::An(35)),
    r(b"LIN", 3, 2, "7143 item number type", Form::An(3)),
    r(
        b"PIA",
        1,
        1,
        "4347 product id function qualifier",
        Form::An(3),
    ),
    r(b"QTY", 1, 1, "6063 quantity qualifier", Form::An(3)),
    r(b"QTY", 1, 2, "6060 quantity", Form::N(15)),
    r(b"QTY", 1, 3, "6411 measure unit qualifier", Form::An(3)),
    r(b"PRI", 1, 1, "5125 price qualifier", Form::An(3)),
    r(b"PRI", 1, 2, "5118 price", Form::N(15)),
    r(
        b"MOA",
        1,
        1,
        "5025 monetary amount type qualifier",
        Form::An(3),
    ),
    r(b"MOA", 1, 2, "5004 monetary amount", Form::N(18)),
    r(b"CNT", 1, 1, "6069 control qualifier", Form::An(3)),
    r(b"CNT", 1, 2, "6066 control value", Form::N(18)),
    r(b"CPS", 1, 1, "7164 hierarchical id number", Form::An(12)),
    r(b"PAC", 1, 1, "7224 number of packages", Form::N(8)),
    r(b"GIN", 1, 1, "7405 identity number qualifier", Form::An(3)),
    r(b"GIN", 2, 1, "7402 identity number", Form::An(35)),
];

/// A breach of a rule: where, which 0085 code, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub element: u32,
    pub component: u32,
    pub code: u16,
    pub message: String,
    pub value: String,
}

/// The rules of one tag: a contiguous run of [`RULES`] (they are listed by tag), found
/// without comparing every rule's tag for every segment.
fn rules_for(tag: &[u8]) -> &'static [Rule] {
    // Tags are three bytes: compared inline rather than through a memcmp call per rule.
    let same = |a: &[u8]| a.len() == tag.len() && a.iter().zip(tag).all(|(x, y)| x == y);
    let Some(start) = RULES.iter().position(|r| same(r.tag)) else {
        return &[];
    };
    let len = RULES
        .get(start..)
        .map_or(0, |rest| rest.iter().take_while(|r| same(r.tag)).count());
    RULES.get(start..start + len).unwrap_or_default()
}

/// Checks one segment against the rules for its tag.
pub fn check(seg: &Segment<'_>) -> Vec<Breach> {
    let mut out = Vec::new();
    for rule in rules_for(seg.tag) {
        let (n, k) = (usize::from(rule.element), usize::from(rule.component));
        let Some(value) = seg.text(n, k) else {
            continue;
        };
        let chars = value.chars().count();
        let breach = match rule.form {
            Form::An(max) if chars > usize::from(max) => Some((
                code::TOO_LONG,
                format!("is {chars} characters long; {} allows {max}", rule.name),
            )),
            Form::N(max) => match normalise_number(&value) {
                None => Some((
                    code::INVALID_CHARACTER_TYPE,
                    format!("is not a number ({} is numeric)", rule.name),
                )),
                Some(v) if v.bytes().filter(u8::is_ascii_digit).count() > usize::from(max) => {
                    Some((
                        code::TOO_LONG,
                        format!("has more than the {max} digits {} allows", rule.name),
                    ))
                }
                Some(_) => None,
            },
            Form::An(_) => None,
        };
        if let Some((code, why)) = breach {
            out.push(Breach {
                element: u32::from(rule.element),
                component: u32::from(rule.component),
                code,
                message: format!(
                    "{}{:02}{} {value:?} {why}",
                    seg.tag_str(),
                    rule.element,
                    if rule.component > 1
                        || seg.element(n).is_some_and(|e| e.component(2).is_some())
                    {
                        format!(" component {}", rule.component)
                    } else {
                        String::new()
                    }
                ),
                value: value.into_owned(),
            });
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_with_rules_is_listed_once_in_a_run() {
        let mut seen: Vec<&[u8]> = Vec::new();
        for w in RULES.windows(2) {
            if w[0].tag != w[1].tag {
                assert!(
                    !seen.contains(&w[1].tag),
                    "{:?} listed in two runs",
                    String::from_utf8_lossy(w[1].tag)
                );
                seen.push(w[0].tag);
            }
        }
        assert_eq!(rules_for(b"QTY").len(), 3);
        assert!(rules_for(b"UNS").is_empty());
    }
}
