//! `wharf translate`'s output stays byte for byte what it was before the engine was made faster: SHA-256 of standard output, standard error and the exit status, on generated files (scripts/gen-x12, scripts/gen-edifact: several 8 MiB reads, many parallel runs) and on every file of the shared corpus (../shared/corpus, read in place, SKIPPED when absent), against digests recorded with the binary as it was before (tests/it/translate_digests.txt).
//!
//! `WHARF_RECORD_DIGESTS=1` rewrites the file instead of comparing, with the binary
//! `WHARF_TRANSLATE_BIN` names (the release build from before a change) or this build's.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const DIGESTS: &str = "tests/it/translate_digests.txt";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `wharf translate NAME` run from `dir`, so the file name on standard error is `NAME`.
fn digest_of_translation(dir: &Path, name: &str) -> String {
    let bin = std::env::var_os("WHARF_TRANSLATE_BIN")
        .filter(|_| std::env::var_os("WHARF_RECORD_DIGESTS").is_some())
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_wharf")), PathBuf::from);
    let mut c = Command::new(bin);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("WHARF_")) {
        c.env_remove(k);
    }
    let out = c
        .current_dir(dir)
        .args(["translate", name])
        .output()
        .expect("run wharf translate");
    assert!(
        !out.stdout.is_empty() || !out.stderr.is_empty(),
        "{name}: no output at all"
    );
    format!(
        "exit={} stdout={} stderr={} stdout_bytes={}",
        out.status.code().unwrap_or(-1),
        hex::encode(Sha256::digest(&out.stdout)),
        hex::encode(Sha256::digest(&out.stderr)),
        out.stdout.len()
    )
}

fn recorded() -> BTreeMap<String, String> {
    std::fs::read_to_string(root().join(DIGESTS))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Compares `seen` with the recorded digests of the same keys, or records them; returns how
/// many were compared.
fn check(seen: BTreeMap<String, String>) -> usize {
    let mut all = recorded();
    if std::env::var_os("WHARF_RECORD_DIGESTS").is_some() {
        let n = seen.len();
        all.extend(seen);
        let text: String = all.iter().map(|(k, v)| format!("{k}\t{v}\n")).collect();
        std::fs::write(root().join(DIGESTS), text).expect("write digests");
        return n;
    }
    let mut compared = 0;
    for (k, v) in &seen {
        // A file added to the corpus later has no digest from before; it cannot change.
        let Some(before) = all.get(k) else {
            println!("no recorded digest for {k}: not compared");
            continue;
        };
        assert_eq!(before, v, "`wharf translate` output changed for {k}");
        compared += 1;
    }
    compared
}

fn generated(script: &str, mb: u32, dir: &Path) -> String {
    let name = format!("{script}-{mb}.edi");
    let file = std::fs::File::create(dir.join(&name)).expect("create input");
    let status = Command::new(root().join("scripts").join(script))
        .arg(mb.to_string())
        .stdout(file)
        .status()
        .expect("run generator");
    assert!(status.success(), "{script} failed");
    name
}

#[test]
fn translate_output_of_generated_files_is_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut seen = BTreeMap::new();
    for (script, mb) in [("gen-x12", 12), ("gen-edifact", 12)] {
        let name = generated(script, mb, dir.path());
        seen.insert(
            format!("generated/{name}"),
            digest_of_translation(dir.path(), &name),
        );
    }
    assert_eq!(check(seen), 2);
}

#[test]
fn translate_output_of_the_shared_corpus_is_unchanged() {
    let corpus = root().join("../shared/corpus");
    if !corpus.is_dir() {
        println!("SKIPPED: no shared corpus at {}", corpus.display());
        return;
    }
    let mut seen = BTreeMap::new();
    for sub in ["x12", "edifact", "xml"] {
        let mut names: Vec<String> = std::fs::read_dir(corpus.join(sub))
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        for name in names {
            let key = format!("corpus/{sub}/{name}");
            seen.insert(key, digest_of_translation(&corpus.join(sub), &name));
        }
    }
    assert!(seen.len() >= 20, "corpus read: {} files", seen.len());
    let compared = check(seen);
    assert!(compared >= 20, "only {compared} corpus files compared");
}
