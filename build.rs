//! Embeds the project's data files (the catalogue `indicators/` and
//! `datasets/`: profiles, national geography, the CAPH dataset and the
//! producers' files it reads) in the binary, so that an installed or copied
//! `bcs` works from any folder without its source tree (`src/embedded.rs`
//! writes them out once per version).
//!
//! Generates `$OUT_DIR/embedded.rs`: a list of (relative path, bytes) with
//! one `include_bytes!` per file, and a hash naming this set of files.
//! Hidden files and folders (`.bcs-cache`, the results caches runs leave in
//! a dataset) are not embedded.

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

const ROOTS: [&str; 2] = ["indicators", "datasets"];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut files = vec![];
    for root in ROOTS {
        walk(&manifest_dir, Path::new(root), &mut files);
    }
    files.sort();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut code = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for rel in &files {
        let abs = manifest_dir.join(rel);
        let bytes = std::fs::read(&abs).expect("readable project file");
        let name = rel
            .components()
            .map(|c| c.as_os_str().to_str().expect("UTF-8 file name"))
            .collect::<Vec<_>>()
            .join("/");
        name.hash(&mut hasher);
        bytes.hash(&mut hasher);
        writeln!(code, "    ({name:?}, include_bytes!({:?})),", abs.display().to_string())
            .expect("write to string");
        println!("cargo:rerun-if-changed={}", abs.display());
    }
    code.push_str("];\n");
    writeln!(code, "pub const HASH: u64 = {:#018x};", hasher.finish()).expect("write to string");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("embedded.rs");
    std::fs::write(out, code).expect("OUT_DIR writable");
    println!("cargo:rerun-if-changed=build.rs");
}

/// Lists the files under `rel`, skipping hidden entries; returns whether
/// the folder holds a hidden entry at any depth. Each folder that holds
/// none is watched as a whole (a file added there rebuilds the binary); the
/// others file by file, so that a cache written inside a dataset does not
/// rebuild it.
fn walk(base: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> bool {
    let mut hidden = false;
    let mut entries: Vec<_> = std::fs::read_dir(base.join(rel))
        .expect("readable project folder")
        .map(|e| e.expect("readable folder entry"))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            hidden = true;
            continue;
        }
        let p = rel.join(&name);
        if e.file_type().expect("file type").is_dir() {
            hidden |= walk(base, &p, out);
        } else {
            out.push(p);
        }
    }
    if !hidden {
        println!("cargo:rerun-if-changed={}", base.join(rel).display());
    }
    hidden
}
