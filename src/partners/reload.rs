//! Live reload: the profiles a running gateway works with, swapped whole when a file in the
//! folder changes.

use std::path::{Path, PathBuf};

use super::{Partners, ProfileError};

/// The profiles a running gateway works with, reloaded when a file in the folder changes.
/// A profile whose file no longer loads stays as it was (its problem is reported), so a bad
/// edit never replaces a good profile; a stage works with one snapshot from start to end.
#[derive(Debug)]
pub struct LivePartners {
    current: arc_swap::ArcSwap<Partners>,
    dir: PathBuf,
    /// What the folder looked like at the last load: (file, modified, length).
    stamp: std::sync::Mutex<Vec<(PathBuf, Option<std::time::SystemTime>, u64)>>,
}

fn folder_stamp(dir: &Path) -> Vec<(PathBuf, Option<std::time::SystemTime>, u64)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let modified = meta.as_ref().and_then(|m| m.modified().ok());
            let len = meta.map_or(0, |m| m.len());
            (p, modified, len)
        })
        .collect();
    v.sort();
    v
}

impl LivePartners {
    pub fn new(dir: &Path, partners: Partners) -> Self {
        LivePartners {
            current: arc_swap::ArcSwap::from_pointee(partners),
            dir: dir.to_owned(),
            stamp: std::sync::Mutex::new(folder_stamp(dir)),
        }
    }

    /// The profiles now in force.
    pub fn snapshot(&self) -> std::sync::Arc<Partners> {
        self.current.load_full()
    }

    /// Reloads when a profile file was added, removed or changed since the last look.
    /// Returns the problems of the new load (empty when all is well), `None` when nothing
    /// changed.
    pub fn reload_if_changed(&self) -> Option<Vec<ProfileError>> {
        let now = folder_stamp(&self.dir);
        {
            let mut last = self
                .stamp
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if *last == now {
                return None;
            }
            *last = now;
        }
        let (mut fresh, problems) = Partners::load(&self.dir);
        let old = self.snapshot();
        // A profile whose file now fails keeps its last good version.
        for bad in &problems {
            if let Some(kept) = old
                .iter()
                .find(|p| p.source.display().to_string() == bad.file)
            {
                fresh
                    .profiles
                    .entry(kept.id.clone())
                    .or_insert_with(|| kept.clone());
            }
        }
        self.current.store(std::sync::Arc::new(fresh));
        Some(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partners::test_folder as folder;

    #[test]
    fn live_profiles_reload_and_keep_the_last_good_version() {
        let good = |r: &str| {
            format!(
                "id = \"a\"\nname = \"A\"\n[x12]\nqualifier = \"ZZ\"\nid = \"A\"\n[mapping]\ncustomer_ref = \"{r}\"\n"
            )
        };
        let dir = folder(&[
            ("a.toml", &good("ONE")),
            ("b.toml", "id = \"b\"\nname = \"B\"\n"),
        ]);
        let (partners, _) = Partners::load(dir.path());
        let live = LivePartners::new(dir.path(), partners);
        assert!(live.reload_if_changed().is_none(), "nothing changed yet");
        let held = live.snapshot();
        std::fs::write(dir.path().join("a.toml"), good("TWO-LONGER")).unwrap();
        assert_eq!(live.reload_if_changed().map(|p| p.len()), Some(0));
        assert_eq!(
            live.snapshot().get("a").unwrap().mapping.customer_ref,
            "TWO-LONGER"
        );
        // A snapshot taken before keeps what it saw.
        assert_eq!(held.get("a").unwrap().mapping.customer_ref, "ONE");
        std::fs::write(dir.path().join("a.toml"), "id = \"a\"\nname = \"\"\n").unwrap();
        let problems = live.reload_if_changed().expect("changed");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            live.snapshot().get("a").unwrap().mapping.customer_ref,
            "TWO-LONGER"
        );
        std::fs::remove_file(dir.path().join("b.toml")).unwrap();
        assert!(live.reload_if_changed().is_some());
        assert!(
            live.snapshot().get("b").is_none(),
            "a deleted profile is gone"
        );
        assert!(live.snapshot().get("a").is_some());
    }
}
