//! The layering rules of ARCHITECTURE.md, checked: every `crate::` path in `src/` is read and
//! any import across a forbidden boundary, or any circle between top-level modules, fails.
//!
//! A file-reading test rather than a Cargo workspace: one crate keeps one build and one
//! version of every dependency, and the rules below are the whole of what a workspace would
//! enforce (see ARCHITECTURE.md, "Layering").

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which top-level modules each module may import. A module not listed may import nothing of
/// ours. `app` and `cli` are the composition root and the command line: they see everything.
const ALLOWED: &[(&str, &[&str])] = &[
    ("edi", &[]),
    ("model", &[]),
    ("util", &[]),
    ("config", &["model", "util"]),
    ("documents", &["edi", "model"]),
    ("store", &["config", "model", "util"]),
    ("partners", &["config", "model", "edi", "documents", "util"]),
    (
        "pipeline",
        &[
            "config",
            "model",
            "edi",
            "documents",
            "partners",
            "store",
            "util",
        ],
    ),
    // The edges: each sees the core and the layers under it, never another edge.
    (
        "erp",
        &[
            "config",
            "model",
            "edi",
            "documents",
            "partners",
            "store",
            "pipeline",
            "util",
        ],
    ),
    (
        "transport",
        &[
            "config",
            "model",
            "edi",
            "documents",
            "partners",
            "store",
            "pipeline",
            "util",
        ],
    ),
    (
        "web",
        &[
            "config",
            "model",
            "edi",
            "documents",
            "partners",
            "store",
            "pipeline",
            "util",
        ],
    ),
    ("app", &["*"]),
    ("cli", &["*"]),
];

/// The pipeline's public face: what an edge may name. Everything else under `pipeline` (the
/// stages, the mapping, the worker's insides) is the core's own business.
const PIPELINE_API: &[&str] = &[
    "Pipeline",
    "ports",
    "Submitted",
    "SubmitError",
    "ReplayError",
    "REFUSED_SAMPLE_BYTES",
    "instance_name",
    "dryrun",
];

/// Imports that break the rules today and are being removed; each entry is `file → path`.
/// The list only shrinks: an entry whose import is gone fails the test too, so it is deleted
/// with the import.
const KNOWN_EXCEPTIONS: &[(&str, &str)] = &[];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `crate::a::b::C` paths in a file, without comments (a doc link names a module without
/// depending on it only when it is in a comment, and those are skipped).
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for line in text.lines() {
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            // `$crate::` and `wharf_crate::` are not ours.
            let before = &rest[..i];
            let own = !before.ends_with('$')
                && !before.ends_with(|c: char| c.is_alphanumeric() || c == '_');
            rest = &rest[i + "crate::".len()..];
            if !own {
                continue;
            }
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let path: Vec<String> = rest[..end]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if !path.is_empty() {
                paths.push(path);
            }
        }
    }
    paths
}

#[test]
fn imports_follow_the_layers_and_make_no_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut broken = Vec::new();
    let mut excused = BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&root).expect("under src");
        let rel_s = rel.to_string_lossy().replace('\\', "/");
        let Some(first) = rel.components().next() else {
            continue;
        };
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read source");
        for path in crate_paths(&text) {
            let target = path[0].as_str();
            if target == module || target == "self" || target == "super" {
                continue;
            }
            let may = allowed.get(module.as_str()).copied().unwrap_or(&[]);
            let across = !(may.contains(&"*") || may.contains(&target));
            let internal = target == "pipeline"
                && module != "app"
                && module != "cli"
                && path
                    .get(1)
                    .is_some_and(|p| !PIPELINE_API.contains(&p.as_str()));
            if across || internal {
                let shown = format!("crate::{}", path.join("::"));
                if KNOWN_EXCEPTIONS.contains(&(rel_s.as_str(), shown.as_str())) {
                    // A listed exception is on its way out: it makes no circle either.
                    excused.insert((rel_s.clone(), shown));
                    continue;
                }
                {
                    broken.push(format!(
                        "{rel_s}: {shown} ({})",
                        if across {
                            format!("`{module}` may not import `{target}`")
                        } else {
                            "an edge may name only the pipeline's public face".to_owned()
                        }
                    ));
                }
            }
            graph
                .entry(module.clone())
                .or_default()
                .insert(target.to_owned());
        }
    }
    let stale: Vec<_> = KNOWN_EXCEPTIONS
        .iter()
        .filter(|(f, p)| !excused.contains(&((*f).to_owned(), (*p).to_owned())))
        .collect();
    assert!(
        stale.is_empty(),
        "these exceptions no longer happen; delete them from KNOWN_EXCEPTIONS: {stale:#?}"
    );
    broken.sort();
    broken.dedup();
    assert!(
        broken.is_empty(),
        "{} imports cross a layer boundary:\n{}",
        broken.len(),
        broken.join("\n")
    );

    // No circle between top-level modules (app and cli import everything and nothing imports
    // them, so they cannot be part of one).
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == node) {
            let mut circle = stack[i..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        let circle = visit(node, &graph, &mut Vec::new(), &mut done);
        assert!(
            circle.is_none(),
            "import circle: {}",
            circle.unwrap_or_default().join(" → ")
        );
    }
}

#[test]
fn the_checker_sees_a_forbidden_import() {
    // The reader itself, on text it must catch and text it must not.
    let found = crate_paths(
        "use crate::transport::as2::send;\n// crate::erp in a comment\nlet x = $crate::common;\n",
    );
    assert_eq!(
        found,
        vec![vec![
            "transport".to_owned(),
            "as2".to_owned(),
            "send".to_owned()
        ]]
    );
}
