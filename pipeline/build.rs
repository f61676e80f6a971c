//! Link options for the `dtto` binary only; tests link as they always did.
//!
//! - Our crate's line tables (how a panic's backtrace names file and line)
//!   are stored zlib-compressed: 27 MB become 7, and the standard library's
//!   backtrace reads them compressed.
//! - Relative relocations are packed (RELR, glibc 2.36 or later): the 5.6 MB
//!   table of addresses to adjust at start-up becomes a few kilobytes.
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo::rustc-link-arg-bins=-Wl,--compress-debug-sections=zlib");
        println!("cargo::rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
