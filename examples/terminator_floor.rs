//! The floor `wharf translate` is measured against (scripts/translate-bench): reads a file the way `wharf translate` does (8 MiB reads into one reused buffer) and counts its segment terminators with memchr — X12's from ISA byte 105, EDIFACT's from UNA (`'` and `?` by default) skipping released characters. Nothing else.
//!
//! Usage: `terminator_floor FILE` prints the segment count; the script times the process.

use std::io::Read;
use std::process::ExitCode;

const CHUNK: usize = 8 << 20;

/// Segment terminator and, for EDIFACT, the release character, from the file's first bytes.
fn delimiters(head: &[u8]) -> Option<(u8, Option<u8>)> {
    if head.starts_with(b"ISA") {
        return head.get(105).map(|&t| (t, None));
    }
    if head.starts_with(b"UNA") {
        let release = head.get(6).copied().filter(|&r| r != b' ');
        return head.get(8).map(|&t| (t, release));
    }
    if head.starts_with(b"UNB") {
        return Some((b'\'', Some(b'?')));
    }
    None
}

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: terminator_floor FILE");
        return ExitCode::from(2);
    };
    let mut f = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{}: {e}", path.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    let mut buf = vec![0u8; CHUNK];
    let mut segments = 0usize;
    let mut delims = None;
    // A release character at the end of one read escapes the first byte of the next.
    let mut skip_first = false;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                eprintln!("{}: {e}", path.to_string_lossy());
                return ExitCode::from(2);
            }
        };
        let data = buf.get(..n).unwrap_or_default();
        let (term, release) = match delims {
            Some(d) => d,
            None => match delimiters(data) {
                Some(d) => *delims.insert(d),
                None => {
                    eprintln!("not X12 or EDIFACT");
                    return ExitCode::from(2);
                }
            },
        };
        match release {
            None => segments += memchr::memchr_iter(term, data).count(),
            Some(rel) => {
                let mut i = usize::from(std::mem::take(&mut skip_first));
                while let Some(at) = data.get(i..).and_then(|d| memchr::memchr2(term, rel, d)) {
                    let at = i + at;
                    if data.get(at) == Some(&rel) {
                        if at + 1 == data.len() {
                            skip_first = true;
                        }
                        i = at + 2;
                    } else {
                        segments += 1;
                        i = at + 1;
                    }
                }
            }
        }
    }
    println!("{segments}");
    ExitCode::SUCCESS
}
