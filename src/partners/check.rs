//! How a profile's problems are reported: [`ProfileError`] (file, line, key, why, hint) and
//! [`Check`], which each section's validation pushes its problems into, located at the
//! line of their key.

/// Collects a profile's problems, each located at its line.
pub struct Check<'a> {
    pub(super) file: String,
    pub(super) text: &'a str,
    pub(super) problems: Vec<ProfileError>,
}

impl Check<'_> {
    /// A problem with `key` ("x12.qualifier", "documents[1].type", "mapping.ship_to.ref").
    pub fn push(&mut self, key: &str, why: String, hint: Option<&str>) {
        self.problems.push(ProfileError {
            file: self.file.clone(),
            line: locate(self.text, key),
            key: key.to_owned(),
            why,
            hint: hint.map(str::to_owned),
        });
    }

    /// The enum value a setting's word names (`None` when the setting is not written); any
    /// other word is a problem "`word` is not {expected}" at `key`, and `None`.
    pub fn choice<T: serde::de::DeserializeOwned>(
        &mut self,
        written: Option<&str>,
        key: &str,
        expected: &str,
        hint: Option<&str>,
    ) -> Option<T> {
        let w = written?;
        let found = word(w);
        if found.is_none() {
            self.push(key, format!("`{w}` is not {expected}"), hint);
        }
        found
    }
}

/// The line of a dotted key: its table (the n-th of an array of tables for `name[n]`), then
/// the key's line within it; the table's own line when the key is not written there.
pub(super) fn locate(text: &str, key: &str) -> usize {
    let (table, leaf) = key.rsplit_once('.').unwrap_or(("", key));
    let (table, index) = match table.strip_suffix(']').and_then(|t| t.rsplit_once('[')) {
        Some((t, n)) => (t, n.parse::<usize>().unwrap_or(0)),
        None => (table, 0),
    };
    let leaf = leaf.split('[').next().unwrap_or(leaf);
    let sub_table = if table.is_empty() {
        leaf.to_owned()
    } else {
        format!("{table}.{leaf}")
    };
    let mut in_table = table.is_empty();
    let mut seen = 0;
    let mut header = None;
    let mut sub_header = None;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start();
        if t.starts_with('[') {
            let name = t
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim();
            in_table = false;
            if name == table {
                if seen == index {
                    in_table = true;
                    header = Some(i + 1);
                }
                seen += 1;
            } else if name == sub_table && sub_header.is_none() {
                sub_header = Some(i + 1);
            }
        } else if in_table && t.split('=').next().map(|k| k.trim().trim_matches('"')) == Some(leaf)
        {
            return i + 1;
        }
    }
    if let Some(line) = sub_header {
        return line;
    }
    header.unwrap_or_else(|| line_of(text, None, key))
}

/// The value of an enum a setting's word names, read by serde: the enum's `rename`s and
/// `alias`es are the words a profile may write. `None` for any other word, so the caller
/// reports it with its own message and goes on checking the rest of the profile (a serde
/// error in the whole file would stop at the first).
pub fn word<T: serde::de::DeserializeOwned>(w: &str) -> Option<T> {
    use serde::de::value::{Error, StrDeserializer};
    T::deserialize(StrDeserializer::<Error>::new(w)).ok()
}

/// One problem in one profile file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}: {key}: {why}{}", hint.as_ref().map(|h| format!(" (hint: {h})")).unwrap_or_default())]
pub struct ProfileError {
    pub file: String,
    pub line: usize,
    pub key: String,
    pub why: String,
    pub hint: Option<String>,
}

/// 1-based line of a byte offset, or of the first line that mentions `key`.
pub(super) fn line_of(text: &str, offset: Option<usize>, key: &str) -> usize {
    let offset = offset.or_else(|| {
        let leaf = key.rsplit('.').next().unwrap_or(key);
        text.lines()
            .scan(0usize, |pos, l| {
                let start = *pos;
                *pos += l.len() + 1;
                Some((start, l))
            })
            .find(|(_, l)| l.trim_start().starts_with(leaf))
            .map(|(s, _)| s)
    });
    offset.map_or(1, |o| {
        text.as_bytes()
            .get(..o)
            .map_or(1, |b| b.iter().filter(|&&c| c == b'\n').count() + 1)
    })
}

/// The line of `leaf` within `[section]` (the section's own line when the key is absent).
pub(super) fn line_in_section(text: &str, section: &str, leaf: &str) -> usize {
    let header = format!("[{section}]");
    let mut in_section = false;
    let mut section_line = 1;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start();
        if t.starts_with('[') {
            in_section = t.starts_with(&header);
            if in_section {
                section_line = i + 1;
            }
        } else if in_section && t.starts_with(leaf) {
            return i + 1;
        }
    }
    section_line
}
