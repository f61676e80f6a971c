//! Link options for the `dtto` binary only; tests link as they always did.
//! Each was measured on the binary (2026-12-04):
//!
//! - Our crate's line tables (how a panic's backtrace names file and line)
//!   are stored zlib-compressed: 27 MB become 7, and the standard library's
//!   backtrace reads them compressed (it does not read zstd).
//! - Relative relocations are *not* packed (`-z pack-relative-relocs`):
//!   that saved 5.5 MB but made the binary need `GLIBC_ABI_DT_RELR`, that
//!   is glibc 2.36, and so refuse to start on RHEL 9 (2.34) or Ubuntu 22.04
//!   (2.35), where publication servers are. `make check-glibc` keeps it so.
//! - Identical functions are kept once (`--icf=all`; Rust does not promise
//!   distinct functions distinct addresses): generic code instantiated for
//!   types of the same layout is often the same machine code, 2 MB of it.
//! - `-O2` merges the tails of equal constant strings.
//!
//! Only where rustc links with its own LLD (x86-64 Linux since Rust 1.90):
//! GNU ld has no `--icf`.
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target == "x86_64-unknown-linux-gnu" {
        for arg in ["--compress-debug-sections=zlib", "--icf=all", "-O2"] {
            println!("cargo::rustc-link-arg-bins=-Wl,{arg}");
        }
    }
}
