//! Large files written by bcs (results tables, caches): created with their
//! path in the error, and written in writes of at most 64 KiB.
//!
//! Why the small writes: on Linux, a large `write` lets the kernel put the
//! data in large page-cache folios, allocated from high-order free memory;
//! on a virtual machine whose free memory the host has reclaimed (the
//! 2-core machine of the benchmarks), each fresh large folio is faulted in
//! from the host, and writing the 409 MB national CSV cost 0,7-1,0 s of
//! system time in polars' 170 KB writes, 0,2-0,3 s in 64 KiB writes
//! (alternating runs; 16 and 32 KiB gave the same as 64 KiB, 4 KiB more
//! system calls). 64 KiB is an ordinary buffer size on any machine, so this
//! is kept everywhere, unlike the huge pages switch (`BCS_NO_HUGE_PAGES`).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Fails unless `path` is a regular file (or a link to one): a directory,
/// a FIFO or a device given as an input is refused before it is opened
/// (reading a FIFO would wait for ever).
pub fn ensure_regular(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("lecture impossible de {}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!(
            "{} n'est pas un fichier ordinaire (dossier, tube ou périphérique) : un fichier est attendu",
            path.display()
        );
    }
    Ok(())
}

/// The BLAKE3 hash of a file's bytes, in hex: cache files are checked
/// against the hash recorded when they were written (a flipped bit means
/// recomputing, never a different output).
pub fn content_hash(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path)
        .with_context(|| format!("lecture impossible : {}", path.display()))?;
    let mut h = blake3::Hasher::new();
    h.update_reader(&mut file)
        .with_context(|| format!("lecture impossible : {}", path.display()))?;
    Ok(h.finalize().to_hex().to_string())
}

/// Largest single write.
const CHUNK: usize = 64 * 1024;

/// A file whose writes are cut at [`CHUNK`] bytes.
pub struct OutFile(std::fs::File);

impl OutFile {
    pub fn create(path: &Path) -> Result<OutFile> {
        let file = std::fs::File::create(path)
            .with_context(|| format!("écriture impossible : {}", path.display()))?;
        Ok(OutFile(file))
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(&buf[..buf.len().min(CHUNK)])
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Copies a file (`std::fs::copy` would hand the kernel the whole file at
/// once).
pub fn copy(from: &Path, to: &Path) -> Result<()> {
    let mut source = std::fs::File::open(from)
        .with_context(|| format!("lecture impossible : {}", from.display()))?;
    let mut target = OutFile::create(to)?;
    std::io::copy(&mut source, &mut target).with_context(|| {
        format!(
            "copie impossible de {} vers {}",
            from.display(),
            to.display()
        )
    })?;
    Ok(())
}

/// An identifier usable as a file name on every system: ASCII letters,
/// digits, `-` and `_`, not empty, at most 100 characters.
pub fn is_slug(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_cut_and_complete() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut f = OutFile::create(&a).unwrap();
        assert_eq!(f.write(&data).unwrap(), CHUNK, "one write is cut");
        f.write_all(&data[CHUNK..]).unwrap();
        drop(f);
        copy(&a, &b).unwrap();
        assert_eq!(std::fs::read(&b).unwrap(), data);
        let err = OutFile::create(&dir.path().join("absent/c")).err().unwrap();
        assert!(err.to_string().contains("écriture impossible"), "{err}");
    }
}
