//! The line editor a scaffold is made with: a sample profile's lines, found by table and key
//! (each key is on one line in the samples), values set with their comments kept, keys and
//! tables commented out as placeholders under a `# To do:` line. Only for the embedded
//! samples; profiles the operator has edited are changed through `toml_edit`.

use super::TO_DO;

/// A sample's lines, edited by table and key (each key on one line in the samples).
pub(super) struct Lines(Vec<String>);

impl Lines {
    pub(super) fn new(text: &str) -> Lines {
        Lines(text.lines().map(str::to_owned).collect())
    }

    pub(super) fn text(&self) -> String {
        let mut s = self.0.join("\n");
        s.push('\n');
        s
    }

    /// The table a header line opens (`[a.b]` and `[[a]]` alike).
    fn header(line: &str) -> Option<&str> {
        let t = line.trim_start();
        t.starts_with('[').then(|| {
            t.trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
        })
    }

    /// Each occurrence of `table` as (header line, end): the end is the next header or the
    /// end of the text. `table` empty: the top level, before the first header.
    fn ranges(&self, table: &str) -> Vec<(Option<usize>, usize)> {
        let headers: Vec<(usize, &str)> = self
            .0
            .iter()
            .enumerate()
            .filter_map(|(i, l)| Lines::header(l).map(|h| (i, h)))
            .collect();
        if table.is_empty() {
            return vec![(None, headers.first().map_or(self.0.len(), |h| h.0))];
        }
        headers
            .iter()
            .enumerate()
            .filter(|(_, (_, name))| *name == table)
            .map(|(n, (i, _))| {
                let end = headers.get(n + 1).map_or(self.0.len(), |h| h.0);
                (Some(*i), end)
            })
            .collect()
    }

    /// The key a `key = value` line writes.
    fn key_of(line: &str) -> Option<&str> {
        let t = line.trim_start();
        if t.starts_with('#') || t.starts_with('[') {
            return None;
        }
        t.split_once('=').map(|(k, _)| k.trim().trim_matches('"'))
    }

    fn key_line(&self, table: &str, key: &str) -> Option<usize> {
        let (start, end) = *self.ranges(table).first()?;
        let from = start.map_or(0, |s| s + 1);
        (from..end).find(|&i| Lines::key_of(&self.0[i]) == Some(key))
    }

    /// Where a line's comment starts (a `#` outside quotes).
    fn comment_at(line: &str) -> Option<usize> {
        let mut quoted = false;
        for (i, c) in line.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '#' if !quoted => return Some(i),
                _ => {}
            }
        }
        None
    }

    /// The sample's leading comment replaced by `text`.
    pub(super) fn replace_header(&mut self, text: &str) {
        let n = self.0.iter().take_while(|l| l.starts_with('#')).count();
        self.0.splice(..n, text.lines().map(str::to_owned));
    }

    /// In every comment: the sample partner's name and id replaced, so no comment speaks of
    /// ACME in another partner's profile.
    pub(super) fn rename_in_comments(&mut self, short: &str, sample_id: &str, id: &str) {
        for line in &mut self.0 {
            if let Some(at) = Lines::comment_at(line) {
                let comment = line[at..]
                    .replace(&format!("{short}'s"), "the partner's")
                    .replace(&format!("/{sample_id}/"), &format!("/{id}/"))
                    .replace(short, "the partner");
                line.replace_range(at.., &comment);
            }
        }
    }

    /// `key = value` in the first `[table]`, its comment kept (or replaced by `note`); nothing
    /// when the key is not there.
    pub(super) fn set(&mut self, table: &str, key: &str, value: &str, note: Option<&str>) {
        let Some(i) = self.key_line(table, key) else {
            return;
        };
        let line = &self.0[i];
        let indent = &line[..line.len() - line.trim_start().len()];
        let comment = match note {
            Some(n) => Some((Lines::comment_at(line).unwrap_or(0), format!("# {n}"))),
            None => Lines::comment_at(line).map(|at| (at, line[at..].to_owned())),
        };
        let mut new = format!("{indent}{key} = {value}");
        if let Some((column, comment)) = comment {
            let pad = column.saturating_sub(new.len()).max(2);
            new.push_str(&" ".repeat(pad));
            new.push_str(&comment);
        }
        self.0[i] = new;
    }

    pub(super) fn drop(&mut self, table: &str, key: &str) {
        if let Some(i) = self.key_line(table, key) {
            self.0.remove(i);
        }
    }

    /// The key's line commented out as a placeholder, under a `To do` line.
    pub(super) fn comment_key(&mut self, table: &str, key: &str, todo: &str) {
        if let Some(i) = self.key_line(table, key) {
            let line = format!("#{}", self.0[i]);
            self.0.splice(i..=i, [format!("{TO_DO} {todo}"), line]);
        }
    }

    /// Every occurrence of `table` commented out, header and keys, under a `To do` line.
    pub(super) fn comment_table(&mut self, table: &str, todo: &str) {
        // From the last, so the earlier ranges stay where they are.
        for (start, end) in self.ranges(table).into_iter().rev() {
            let Some(start) = start else { continue };
            let mut end = end;
            while end > start + 1 && self.0[end - 1].trim().is_empty() {
                end -= 1;
            }
            let mut block = vec![format!("{TO_DO} {todo}")];
            block.extend(self.0[start..end].iter().map(|l| {
                if l.starts_with('#') {
                    l.clone()
                } else {
                    format!("#{l}")
                }
            }));
            self.0.splice(start..end, block);
        }
    }

    /// Every key of the first `[table]` commented out, under one `To do` line (the table
    /// stays, empty).
    pub(super) fn comment_entries(&mut self, table: &str, todo: &str) {
        let Some(&(Some(start), end)) = self.ranges(table).first() else {
            return;
        };
        let keys: Vec<usize> = (start + 1..end)
            .filter(|&i| Lines::key_of(&self.0[i]).is_some())
            .collect();
        let Some(&first) = keys.first() else { return };
        for &i in &keys {
            self.0[i] = format!("#{}", self.0[i]);
        }
        self.0.insert(first, format!("{TO_DO} {todo}"));
    }
}
