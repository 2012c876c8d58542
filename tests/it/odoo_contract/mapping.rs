//! Ids and values of a recording mapped onto the double's: records bound by their ids in
//! each, record reprs and datetimes rewritten, answers compared by shape.

use super::*;

/// What the replay has learned: recorded id → double's id per model, and names.
#[derive(Default)]
pub(super) struct Mapping {
    pub(super) ids: HashMap<(String, i64), i64>,
    pub(super) back: HashMap<(String, i64), i64>,
    pub(super) names: BTreeMap<String, String>,
    pub(super) names_back: BTreeMap<String, String>,
}

impl Mapping {
    pub(super) fn bind(&mut self, model: &str, recorded: i64, ours: i64) -> Result<(), String> {
        let k = (model.to_owned(), recorded);
        match self.ids.get(&k) {
            Some(o) if *o == ours => return Ok(()),
            Some(o) => {
                return Err(format!(
                    "{model} {recorded} was bound to {o}, now the double says {ours}"
                ));
            }
            None => {}
        }
        if let Some(r) = self.back.get(&(model.to_owned(), ours)) {
            return Err(format!(
                "the double's {model} {ours} is already recorded {r}, now {recorded}"
            ));
        }
        self.ids.insert(k, ours);
        self.back.insert((model.to_owned(), ours), recorded);
        Ok(())
    }

    pub(super) fn id(&self, model: &str, recorded: i64) -> Result<i64, String> {
        self.ids
            .get(&(model.to_owned(), recorded))
            .copied()
            .ok_or_else(|| format!("no binding for recorded {model} {recorded}"))
    }

    pub(super) fn bind_name(&mut self, recorded: &str, ours: &str) -> Result<(), String> {
        match self.names.get(recorded) {
            Some(o) if o == ours => return Ok(()),
            Some(o) => return Err(format!("name {recorded} was bound to {o}, now {ours}")),
            None => {}
        }
        if let Some(r) = self.names_back.get(ours) {
            return Err(format!(
                "the double's name {ours} is already {r}, now {recorded}"
            ));
        }
        self.names.insert(recorded.to_owned(), ours.to_owned());
        self.names_back.insert(ours.to_owned(), recorded.to_owned());
        Ok(())
    }

    /// A recorded string with the learned names and `model(id,)` ids put in the double's terms.
    pub(super) fn translate(&self, s: &str) -> String {
        let mut out = s.to_owned();
        let mut names: Vec<(&String, &String)> = self.names.iter().collect();
        names.sort_by_key(|(r, _)| std::cmp::Reverse(r.len()));
        // Replace in one pass through placeholders so a replacement is never replaced again.
        let mut placeholders = Vec::new();
        for (i, (r, o)) in names.iter().enumerate() {
            if out.contains(r.as_str()) {
                let ph = format!("\u{1}{i}\u{1}");
                out = out.replace(r.as_str(), &ph);
                placeholders.push((ph, (*o).clone()));
            }
        }
        for (ph, o) in placeholders {
            out = out.replace(&ph, &o);
        }
        rewrite_record_reprs(&out, |model, id| {
            self.ids.get(&(model.to_owned(), id)).copied()
        })
    }
}

/// Rewrites every `model.name(123,)` in `s` through `map` (unknown ids stay).
pub(super) fn rewrite_record_reprs(s: &str, map: impl Fn(&str, i64) -> Option<i64>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(open) = rest.find('(') {
        let (head, tail) = rest.split_at(open);
        let model_start = head
            .rfind(|c: char| !(c.is_ascii_lowercase() || c == '.' || c == '_'))
            .map_or(0, |i| i + 1);
        let model = &head[model_start..];
        let digits: String = tail[1..].chars().take_while(char::is_ascii_digit).collect();
        let close = 1 + digits.len();
        if model.contains('.') && !digits.is_empty() && tail[close..].starts_with(",)") {
            let id: i64 = digits.parse().unwrap();
            out.push_str(head);
            out.push_str(&format!("({},)", map(model, id).unwrap_or(id)));
            rest = &tail[close + 2..];
        } else {
            out.push_str(head);
            out.push('(');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

pub(super) fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let date = |b: &[u8]| {
        b.len() >= 10
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'-'
            && b[7] == b'-'
            && b[5..7].iter().all(u8::is_ascii_digit)
            && b[8..10].iter().all(u8::is_ascii_digit)
    };
    (b.len() == 10 && date(b)) || (b.len() == 19 && date(b) && b[10] == b' ' && b[13] == b':')
}

/// A sequence name's shape: digit runs become `#` ("S00606" and "S00003" are both "S#").
pub(super) fn shape(s: &str) -> Option<String> {
    if s.contains(' ') || !s.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !out.ends_with('#') {
                out.push('#');
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// Context keys that hold ids, and the model they name.
pub(super) fn context_model(key: &str, parent: &Map<String, Value>) -> Option<String> {
    Some(
        match key {
            "button_validate_picking_ids" | "picking_ids_not_to_backorder" | "default_pick_ids" => {
                "stock.picking"
            }
            "default_partner_id" | "default_partner_shipping_id" => "res.partner",
            "active_ids" | "active_id" => {
                return parent["active_model"].as_str().map(str::to_owned);
            }
            _ => return None,
        }
        .to_owned(),
    )
}

pub(super) fn repr(s: &str) -> Option<(String, i64)> {
    let (m, rest) = s.split_once('(')?;
    let id = rest.strip_suffix(",)")?.parse().ok()?;
    (m.contains('.')
        && m.chars()
            .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'))
    .then(|| (m.to_owned(), id))
}
