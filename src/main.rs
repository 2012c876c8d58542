//! The `wharf` binary: everything lives in the library; this only hands over to the CLI.

/// mimalloc: translating allocates many small strings for canonical documents, and measured
/// faster than the system allocator for exactly that (see README § Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    wharf::cli::main()
}
