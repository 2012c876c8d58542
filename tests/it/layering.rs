//! The layering rules of ARCHITECTURE.md, checked: every `crate::` path in `src/` is read and
//! any import across a forbidden boundary, or any circle between top-level modules, fails.
//! Beside them, STYLE.md's file size: a source file over 800 lines that is not a listed data
//! table fails.
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
    // Prometheus families: the domain's words, nothing else; recorded by the core and the
    // edges, written out by the web edge.
    ("metrics", &["model"]),
    // Traces: the trace context and the OTLP exporter; called by the core and the edges
    // as `metrics` is.
    ("telemetry", &["config", "util"]),
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
            "metrics",
            "telemetry",
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
            "metrics",
            "telemetry",
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
            "metrics",
            "telemetry",
        ],
    ),
    // Business events to webhooks and NATS: the store's outbox and the settings; no other edge.
    (
        "events",
        &["config", "model", "store", "util", "metrics", "telemetry"],
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
            "metrics",
            "telemetry",
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
    // Readiness: the report `/readyz` and the dashboard show.
    "health",
    // Each partner's `[sla]` windows as the store's cutoffs: the dashboard and `/metrics`
    // hold acknowledgements to the same windows as the core's `ack.overdue`.
    "sla",
];

/// Imports that break the rules today and are being removed; each entry is `file → path`.
/// The list only shrinks: an entry whose import is gone fails the test too, so it is deleted
/// with the import.
const KNOWN_EXCEPTIONS: &[(&str, &str)] = &[];

/// The folders whose `.rs` files are held to [`MAX_LINES`].
const SOURCE_DIRS: &[&str] = &["src", "tests", "benches", "examples"];

/// The most lines a source file may have: past it, a file is split along its seams (STYLE.md).
const MAX_LINES: usize = 800;

/// Files allowed past [`MAX_LINES`], each with its reason: data read top to bottom, where a
/// split would only scatter one table. An entry whose file is no longer over fails the test
/// too, so it is deleted when the file shrinks.
const LONG_FILES: &[(&str, &str)] = &[(
    "src/edi/x12/rules/segments.rs",
    "the X12 segment dictionary: one element list per segment, a data table with no logic",
)];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a source folder") {
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

/// Every `.rs` file under the folders `dirs` of `root` (those that exist) with more than `max`
/// lines: its path from `root` with `/` separators, and its line count; sorted by path.
fn files_over(root: &Path, dirs: &[&str], max: usize) -> Vec<(String, usize)> {
    let mut files = Vec::new();
    for dir in dirs {
        let dir = root.join(dir);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        }
    }
    let mut over: Vec<(String, usize)> = files
        .iter()
        .filter_map(|file| {
            let bytes = std::fs::read(file).expect("read source");
            let lines = String::from_utf8_lossy(&bytes).lines().count();
            let rel = file.strip_prefix(root).expect("under the root");
            (lines > max).then(|| (rel.to_string_lossy().replace('\\', "/"), lines))
        })
        .collect();
    over.sort();
    over
}

#[test]
fn no_source_file_is_over_800_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let over = files_over(root, SOURCE_DIRS, MAX_LINES);
    let allowed = |path: &str| LONG_FILES.iter().any(|(p, _)| *p == path);
    let stale: Vec<_> = LONG_FILES
        .iter()
        .filter(|(p, _)| !over.iter().any(|(path, _)| path == p))
        .map(|(p, _)| *p)
        .collect();
    assert!(
        stale.is_empty(),
        "these files are no longer over {MAX_LINES} lines (or are gone); delete them from \
         LONG_FILES: {stale:#?}"
    );
    let long: Vec<String> = over
        .iter()
        .filter(|(path, _)| !allowed(path))
        .map(|(path, lines)| format!("{path}: {lines} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "{} source files are over {MAX_LINES} lines; split each along its seams (STYLE.md), \
         or list a data table in LONG_FILES with its reason:\n{}",
        long.len(),
        long.join("\n")
    );
}

#[test]
fn the_length_check_sees_a_long_file() {
    // The walk itself, on a tree made for it: a file one line over is caught wherever it is
    // nested, one at the limit and files that are not Rust are not.
    let root = tempfile::tempdir().expect("temporary folder");
    let write = |rel: &str, lines: usize| {
        let path = root.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create folders");
        std::fs::write(&path, "x\n".repeat(lines)).expect("write file");
    };
    write("src/at_limit.rs", MAX_LINES);
    write("src/deep/er/over.rs", MAX_LINES + 1);
    write("tests/notes.txt", MAX_LINES * 2);
    write("examples/long.rs", MAX_LINES * 2);
    write("elsewhere/long.rs", MAX_LINES * 2);
    assert_eq!(
        files_over(root.path(), SOURCE_DIRS, MAX_LINES),
        vec![
            ("examples/long.rs".to_owned(), MAX_LINES * 2),
            ("src/deep/er/over.rs".to_owned(), MAX_LINES + 1),
        ]
    );
}
