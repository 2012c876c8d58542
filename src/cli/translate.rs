//! `wharf translate`: a file's canonical documents as JSON lines, streamed, and `--plan`'s dry run.

use super::*;

/// The profile `--partner ID` names; a usage error when it is not loaded.
pub(super) fn named_profile(s: &Settings, id: &str) -> anyhow::Result<crate::partners::Profile> {
    load_partners(s, true).get(id).cloned().ok_or_else(|| {
        UsageError(format!(
            "partner `{id}` has no loaded profile in {} (see `wharf partners check`)",
            s.partners_dir.display()
        ))
        .into()
    })
}

pub(super) fn read_x12(
    file: &Path,
    options: x12doc::TranslateOptions,
) -> anyhow::Result<(Vec<u8>, x12doc::X12Translation)> {
    let raw = read_input(file)?;
    let t = x12doc::translate_with(&raw, options)
        .map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
    Ok((raw, t))
}

/// Reads a file a partner sent, refusing what is not X12 with a precise message.
pub(super) fn read_input(file: &Path) -> anyhow::Result<Vec<u8>> {
    let raw = std::fs::read(file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    check_format(file, &raw)?;
    Ok(raw)
}

/// The format of a file from its first bytes.
pub(super) fn sniff_file(file: &Path) -> anyhow::Result<Format> {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(file)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    Ok(Format::sniff(&head))
}

/// Refuses what is neither X12 nor EDIFACT with a precise message.
pub(super) fn check_format(file: &Path, raw: &[u8]) -> anyhow::Result<()> {
    match Format::sniff(raw) {
        Format::X12 => {}
        Format::Edifact => {
            return Err(UsageError(format!(
                "{}: EDIFACT is read by `wharf translate` and `wharf ack`; this command reads X12",
                file.display()
            ))
            .into());
        }
        Format::Xml => {
            let f = Format::sniff(raw);
            return Err(UsageError(format!(
                "{}: {f} is recognised but its translation is not available yet",
                file.display()
            ))
            .into());
        }
        Format::Unknown => {
            return Err(UsageError(format!(
                "{}: not X12 (ISA), EDIFACT (UNA/UNB) or XML",
                file.display()
            ))
            .into());
        }
    }
    Ok(())
}

/// A check of a file's first bytes (refusing a format the command does not read).
type FormatCheck = fn(&Path, &[u8]) -> anyhow::Result<()>;

/// Reads `file` in chunks and hands each run of whole interchanges (up to where the syntax's
/// `complete_prefix` says the last one ends) to `each`, so a file of any size is translated
/// in memory that follows its largest interchange.
pub(super) fn for_each_chunk(
    file: &Path,
    complete_prefix: fn(&[u8]) -> usize,
    check: Option<FormatCheck>,
    mut each: impl FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use std::io::Read;
    const CHUNK: usize = 8 << 20;
    let mut f = std::fs::File::open(file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    let mut buf: Vec<u8> = Vec::with_capacity(2 * CHUNK);
    let mut first = true;
    let mut eof = false;
    while !eof || !buf.is_empty() {
        // Fill to at least one chunk beyond what is already held (more when an interchange
        // is larger than the buffer).
        let want = buf.len() + CHUNK;
        while !eof && buf.len() < want {
            let start = buf.len();
            buf.resize(want, 0);
            let n = f.read(&mut buf[start..])?;
            buf.truncate(start + n);
            eof = n == 0;
        }
        if first {
            if let Some(check) = check {
                check(file, &buf)?;
            }
            first = false;
        }
        let cut = if eof {
            buf.len()
        } else {
            complete_prefix(&buf)
        };
        if cut > 0 {
            each(&buf[..cut])?;
            buf.drain(..cut);
        }
    }
    Ok(())
}

pub(super) fn translate(file: &Path) -> anyhow::Result<ExitCode> {
    match sniff_file(file)? {
        Format::Edifact => {
            let cut = crate::edi::edifact::envelope::complete_prefix;
            print_translation(file, cut, None, |chunk, emit| {
                edidoc::translate_by_interchange(
                    chunk,
                    edidoc::TranslateOptions::default(),
                    |p: &mut Printed, o| {
                        p.fold(match o {
                            edidoc::Output::Document(d) => Step::Document(d),
                            edidoc::Output::Interchange(ic) => Step::Interchange {
                                rejected: ic.rejected,
                                errors: ic.errors,
                            },
                        })
                    },
                    emit,
                )
                .map_err(|e| e.to_string())
            })
        }
        Format::Xml => xml_translate(file),
        _ => {
            let cut = crate::edi::x12::envelope::complete_prefix;
            print_translation(file, cut, Some(check_format), |chunk, emit| {
                x12doc::translate_by_interchange(
                    chunk,
                    x12doc::TranslateOptions::default(),
                    |p: &mut Printed, o| {
                        p.fold(match o {
                            x12doc::Output::Document(d) => Step::Document(d),
                            x12doc::Output::Interchange(ic) => Step::Interchange {
                                rejected: ic.rejected,
                                errors: ic.errors,
                            },
                        })
                    },
                    emit,
                )
                .map_err(|e| e.to_string())
            })
        }
    }
}

/// What a streaming translator of either EDI syntax hands the printer, in input order.
#[expect(
    clippy::large_enum_variant,
    reason = "a document per step is the common case; boxing would allocate for each"
)]
pub(super) enum Step {
    Document(crate::model::Document),
    /// An interchange's trailer was checked: its documents print unless it was rejected.
    Interchange {
        rejected: bool,
        errors: Vec<crate::edi::diag::Diagnostic>,
    },
}

/// One interchange as it will be printed, built on the thread that translated it (so the
/// JSON is written on every core): its documents' JSON lines, then its findings once its
/// trailer is checked.
#[derive(Default)]
pub(super) struct Printed {
    json: Vec<u8>,
    /// The trailer was checked (documents of an interchange cut short never print).
    ended: bool,
    errors: Vec<crate::edi::diag::Diagnostic>,
    /// A document that could not be written as JSON.
    failed: Option<String>,
}

impl Printed {
    fn fold(&mut self, step: Step) {
        match step {
            Step::Document(d) => {
                let at = self.json.len();
                // Serialised straight from the document into this interchange's buffer.
                match serde_json::to_writer(&mut self.json, &d) {
                    Ok(()) => self.json.push(b'\n'),
                    Err(e) => {
                        self.json.truncate(at);
                        self.failed.get_or_insert(e.to_string());
                    }
                }
            }
            Step::Interchange { rejected, errors } => {
                // A rejected interchange delivers nothing.
                if rejected {
                    self.json.clear();
                }
                self.ended = true;
                self.errors = errors;
            }
        }
    }
}

/// The file-level result of translating one chunk: file diagnostics, or why not a single
/// interchange could be read.
type ChunkResult = Result<Vec<crate::edi::diag::Diagnostic>, String>;

/// Standard output written in large blocks straight to its file descriptor: the JSON of
/// whole interchanges, gathered up to [`OUT_BLOCK`] and written with one call (std's stdout
/// is line-buffered, which would cut it at every line).
struct Out {
    fd: std::fs::File,
    buf: Vec<u8>,
}

/// Output gathered before a write: a few interchanges' JSON.
const OUT_BLOCK: usize = 1 << 20;

impl Out {
    fn stdout() -> std::io::Result<Out> {
        use std::os::fd::AsFd;
        // Flushes what std may hold first, so nothing written before is reordered.
        std::io::stdout().flush()?;
        let fd = std::io::stdout().as_fd().try_clone_to_owned()?;
        Ok(Out {
            fd: std::fs::File::from(fd),
            buf: Vec::with_capacity(OUT_BLOCK),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if self.buf.len() + bytes.len() > OUT_BLOCK {
            self.flush()?;
        }
        if bytes.len() >= OUT_BLOCK {
            return self.fd.write_all(bytes);
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.fd.write_all(&self.buf);
        self.buf.clear();
        r
    }
}

/// `wharf translate` for X12 and EDIFACT: reads the file in runs of whole interchanges,
/// prints each accepted interchange's documents as JSON lines (one interchange's documents
/// are held until its trailer is checked, so memory follows the interchange, not the file),
/// every finding on standard error; exit status 1 when there are errors.
pub(super) fn print_translation(
    file: &Path,
    complete_prefix: fn(&[u8]) -> usize,
    check: Option<FormatCheck>,
    mut translate_chunk: impl FnMut(&[u8], &mut dyn FnMut(Printed)) -> ChunkResult,
) -> anyhow::Result<ExitCode> {
    let mut out = Out::stdout()?;
    let mut problems = 0;
    let mut failed: Option<std::io::Error> = None;
    let mut file_diags = Vec::new();
    let mut emit = |p: Printed| {
        if !p.ended {
            return;
        }
        if failed.is_none() {
            if let Some(e) = p.failed {
                failed = Some(std::io::Error::other(e));
            } else if let Err(e) = out.write(&p.json) {
                failed = Some(e);
            }
        }
        problems += print_findings(file, &p.errors);
    };
    let mut seen_any = false;
    for_each_chunk(file, complete_prefix, check, |chunk| {
        match translate_chunk(chunk, &mut emit) {
            Ok(d) => {
                seen_any = true;
                file_diags.extend(d);
            }
            // Junk after the last interchange is reported, not fatal.
            Err(e) if seen_any => file_diags.push(crate::edi::diag::Diagnostic::warning(
                crate::edi::diag::Location::default(),
                e,
            )),
            Err(e) => return Err(UsageError(format!("{}: {e}", file.display())).into()),
        }
        Ok(())
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    out.flush()?;
    problems += print_findings(file, &file_diags);
    Ok(if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Every canonical document in a file of any syntax (for the dry run), with its findings.
pub(super) fn documents_of(
    file: &Path,
) -> anyhow::Result<(
    Vec<crate::model::Document>,
    Vec<crate::edi::diag::Diagnostic>,
)> {
    let raw = std::fs::read(file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    crate::pipeline::dryrun::documents(&raw)
        .map_err(|e| UsageError(format!("{}: {e}", file.display())).into())
}

/// `wharf translate FILE --partner ID --plan`: each document with what the partner's mapping
/// rules make of it for the ERP, one JSON object per line; nothing is stored or sent.
pub(super) fn translate_plan(
    file: &Path,
    profile: &crate::partners::Profile,
    odoo: u8,
) -> anyhow::Result<ExitCode> {
    let (docs, findings) = documents_of(file)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut held = 0usize;
    for d in &docs {
        let line = crate::pipeline::dryrun::plan(profile, d, &|m| {
            use crate::erp::odoo::plan::{OdooVersion, records};
            records(m, OdooVersion::of_major(u32::from(odoo)))
        })?;
        held += line["errors"].as_array().map_or(0, Vec::len);
        serde_json::to_writer(&mut out, &line)?;
        writeln!(out)?;
    }
    out.flush()?;
    let errors = print_findings(file, &findings) + held;
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Prints each finding on standard error as `file: level: message [code]`; returns how many
/// are errors (the exit status).
pub(super) fn print_findings(file: &Path, findings: &[crate::edi::diag::Diagnostic]) -> usize {
    let mut errors = 0;
    for e in findings {
        let level = match e.severity {
            Severity::Error => {
                errors += 1;
                "error"
            }
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        let code = match e.code {
            Some(crate::edi::diag::AckCode::Contrl(c)) => format!(" [0085 code {c}]"),
            _ => String::new(),
        };
        eprintln!("{}: {level}: {e}{code}", file.display());
    }
    errors
}

/// `wharf translate` for a cXML or UBL document: its canonical JSON, every finding with
/// its element path on standard error.
pub(super) fn xml_translate(file: &Path) -> anyhow::Result<ExitCode> {
    let raw = std::fs::read(file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    let t = crate::documents::xml::translate(&raw)
        .map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for d in &t.documents {
        serde_json::to_writer(&mut out, d)?;
        writeln!(out)?;
    }
    out.flush()?;
    let problems = print_findings(file, &t.errors);
    Ok(if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
