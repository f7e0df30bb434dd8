//! Mutation fuzzing of the readers of user files, run by `cargo test` for a
//! bounded number of executions per target (`BCS_FUZZ_EXECS`, default
//! [`DEFAULT_EXECS`]; `BCS_FUZZ_SEED` picks the random sequence, so a run is
//! reproducible).
//!
//! Each target starts from seed inputs (real files of the tree), stacks
//! random mutations on them — bit flips, interesting bytes, tokens of the
//! format, deleted, repeated and spliced ranges — and hands the result to the
//! reader. A panic fails the test and saves the input that caused it; each
//! target also checks properties of what the reader accepts. Inputs the
//! reader accepts join the pool that later mutations start from, which keeps
//! them deep in the format without coverage instrumentation (cargo-fuzz
//! needs a nightly compiler).

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Executions per target when `BCS_FUZZ_EXECS` is not set.
pub const DEFAULT_EXECS: usize = 4_000;

/// Accepted inputs kept for further mutation.
const POOL: usize = 256;

/// Bytes that often sit on a parser's edges.
const BYTES: &[u8] = &[
    0, b'\t', b'\n', b'\r', b' ', b'"', b'\'', b',', b'.', b';', b'-', b'+', b'0', b'1', b'9', b'e', b'E',
    b'[', b']', b'{', b'}', b':', b'=', b'\\', 0x7f, 0x80, 0xa0, 0xc3, 0xe9, 0xef, 0xbb, 0xbf, 0xff,
];

/// What a reader said of one input.
pub enum Outcome {
    /// Read: the input may seed further mutations.
    Accepted,
    /// Refused with an error (what users see).
    Refused,
}

/// Counts of one target's run.
#[derive(Debug, Default)]
pub struct Counts {
    pub executions: usize,
    pub accepted: usize,
    pub refused: usize,
}

/// Runs `target` on mutated inputs grown from `seeds`, with `tokens` of the
/// format as dictionary. Panics (failing the test) on the first input that
/// makes the reader panic, with the path where that input is saved.
pub fn run(name: &str, seeds: &[Vec<u8>], tokens: &[&str], mut target: impl FnMut(&[u8]) -> Outcome) -> Counts {
    let execs = std::env::var("BCS_FUZZ_EXECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_EXECS);
    let seed = std::env::var("BCS_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x05ee_dbc5);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut pool: Vec<Vec<u8>> = seeds.to_vec();
    assert!(!pool.is_empty(), "fuzz {name}: no seed");
    let mut counts = Counts::default();
    for i in 0..execs {
        // The seeds themselves first, then mutants.
        let input = if i < seeds.len() {
            seeds[i].clone()
        } else {
            let mut input = pool[rng.usize(..pool.len())].clone();
            for _ in 0..rng.usize(1..=8) {
                mutate(&mut rng, &mut input, &pool, tokens);
            }
            input
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| target(&input)));
        counts.executions += 1;
        match outcome {
            Ok(Outcome::Accepted) => {
                counts.accepted += 1;
                if pool.len() < POOL {
                    pool.push(input);
                } else {
                    let k = rng.usize(seeds.len().min(POOL - 1)..POOL);
                    pool[k] = input;
                }
            }
            Ok(Outcome::Refused) => counts.refused += 1,
            Err(panic) => {
                let saved = std::env::temp_dir().join(format!("bcs-fuzz-{name}-{seed}-{i}.bin"));
                let _ = std::fs::write(&saved, &input);
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!(
                    "fuzz {name}: execution {i} (BCS_FUZZ_SEED={seed}) panicked: {why}\ninput saved to {}",
                    saved.display()
                );
            }
        }
    }
    eprintln!(
        "fuzz {name}: {} executions, {} accepted, {} refused (BCS_FUZZ_SEED={seed})",
        counts.executions, counts.accepted, counts.refused
    );
    counts
}

/// One random change to `input`.
fn mutate(rng: &mut fastrand::Rng, input: &mut Vec<u8>, pool: &[Vec<u8>], tokens: &[&str]) {
    let at = |rng: &mut fastrand::Rng, v: &Vec<u8>| rng.usize(..=v.len());
    match rng.u8(..8) {
        0 if !input.is_empty() => {
            let i = rng.usize(..input.len());
            input[i] ^= 1 << rng.u8(..8);
        }
        1 if !input.is_empty() => {
            let i = rng.usize(..input.len());
            input[i] = BYTES[rng.usize(..BYTES.len())];
        }
        2 | 3 if !tokens.is_empty() => {
            let t = tokens[rng.usize(..tokens.len())].as_bytes();
            let i = at(rng, input);
            input.splice(i..i, t.iter().copied());
        }
        4 if !input.is_empty() => {
            let i = rng.usize(..input.len());
            let most = if rng.bool() { 8 } else { 512 };
            let n = rng.usize(1..=(input.len() - i).min(most));
            input.drain(i..i + n);
        }
        5 if !input.is_empty() => {
            // A range repeated, sometimes many times (deep nesting, long
            // numbers, wide rows).
            let i = rng.usize(..input.len());
            let n = rng.usize(1..=(input.len() - i).min(64));
            let times = if rng.u8(..16) == 0 { rng.usize(100..2_000) } else { rng.usize(1..4) };
            let piece: Vec<u8> = input[i..i + n].to_vec();
            let j = at(rng, input);
            input.splice(j..j, piece.iter().copied().cycle().take(n * times));
        }
        6 => {
            // The head of this input, the tail of another.
            let other = &pool[rng.usize(..pool.len())];
            let i = at(rng, input);
            let j = rng.usize(..=other.len());
            input.truncate(i);
            input.extend_from_slice(&other[j..]);
        }
        _ if !input.is_empty() => {
            // A byte of the input copied elsewhere (a separator moved).
            let b = input[rng.usize(..input.len())];
            let i = at(rng, input);
            input.insert(i, b);
        }
        _ => input.push(BYTES[rng.usize(..BYTES.len())]),
    }
    // Inputs stay small enough for many executions.
    input.truncate(1 << 20);
}

/// A file of the tree (relative to the crate), as a seed.
pub fn seed(path: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("seed {}: {e}", p.display()))
}

/// The first `max` bytes of a seed, cut after a line end: a real file's
/// head keeps its dialect and stays quick to read many times.
pub fn seed_head(path: &str, max: usize) -> Vec<u8> {
    let mut bytes = seed(path);
    if bytes.len() > max {
        let cut = bytes[..max].iter().rposition(|&b| b == b'\n').map_or(max, |i| i + 1);
        bytes.truncate(cut);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_reader_fails_the_run_and_its_input_is_saved() {
        let r = catch_unwind(|| {
            run("selftest", &[b"abc".to_vec()], &["x"], |input| {
                assert!(!input.contains(&b'x'), "x found");
                Outcome::Accepted
            })
        });
        let message = r.err().and_then(|p| p.downcast_ref::<String>().cloned()).unwrap_or_default();
        assert!(message.contains("x found") && message.contains("input saved to"), "{message}");
        let path = message.rsplit("input saved to ").next().unwrap();
        assert!(std::fs::read(path).unwrap().contains(&b'x'));
        let _ = std::fs::remove_file(path);
    }
}
