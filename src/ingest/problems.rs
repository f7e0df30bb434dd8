//! Problems in the user's data: where each is (file, line, column) and what
//! was expected, listed all at once.

use anyhow::{bail, Result};
use std::collections::HashMap;

/// A problem in the user's data: where it is and what was expected.
#[derive(Debug, Clone)]
pub struct DataProblem {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for DataProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ", ligne {l}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", colonne « {c} »")?;
        }
        if self.message.is_empty() {
            return Ok(());
        }
        write!(f, " : {}", self.message)
    }
}

/// Problems listed per file and column; the others of the same file and
/// column are counted (two million bad rows give a few lines, not 300 MB).
pub const PROBLEMS_SHOWN: usize = 10;

/// Fails with the problems listed, one per line: the first
/// [`PROBLEMS_SHOWN`] of each file and column, then how many more.
pub fn fail_with(problems: &[DataProblem]) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    let mut shown: HashMap<(&str, Option<&str>), usize> = HashMap::new();
    let mut list: Vec<String> = vec![];
    for p in problems {
        let n = shown.entry((p.file.as_str(), p.column.as_deref())).or_default();
        *n += 1;
        if *n <= PROBLEMS_SHOWN {
            list.push(format!("  - {p}"));
        }
    }
    let mut more: Vec<(&(&str, Option<&str>), &usize)> =
        shown.iter().filter(|(_, n)| **n > PROBLEMS_SHOWN).collect();
    more.sort();
    for ((file, column), n) in more {
        let column = column.map(|c| format!(", colonne « {c} »")).unwrap_or_default();
        list.push(format!(
            "  - {file}{column} : … et {} autre(s) problème(s) du même fichier et de la même colonne",
            crate::fr::number((n - PROBLEMS_SHOWN) as f64, 0)
        ));
    }
    bail!(
        "{} problème(s) dans les données ; rien n'a été écrit :\n{}",
        crate::fr::number(problems.len() as f64, 0),
        list.join("\n")
    )
}

/// The problems found in one file, added to a list shared with others.
pub(super) struct FileProblems<'p> {
    file: String,
    list: &'p mut Vec<DataProblem>,
    before: usize,
}

impl<'p> FileProblems<'p> {
    pub fn new(file: String, list: &'p mut Vec<DataProblem>) -> Self {
        let before = list.len();
        FileProblems { file, list, before }
    }

    /// A problem of this file at a line and column (not added).
    pub fn problem(&self, line: Option<usize>, column: Option<&str>, message: String) -> DataProblem {
        DataProblem {
            file: self.file.clone(),
            line,
            column: column.map(String::from),
            message,
        }
    }

    /// Adds a problem of this file.
    pub fn push(&mut self, line: Option<usize>, column: Option<&str>, message: String) {
        let p = self.problem(line, column, message);
        self.list.push(p);
    }

    /// Whether any problem of this file was found.
    pub fn any(&self) -> bool {
        self.list.len() > self.before
    }

    pub fn file(&self) -> &str {
        &self.file
    }
}
