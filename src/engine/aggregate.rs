//! Aggregation of observations to groups and to the territories that contain
//! communes (EPCI, département, région, France).
//!
//! Rules:
//! - only count variables are summed; a rate, amount or index given as such
//!   yields status `not_aggregable` for the group;
//! - a secret member makes the group total secret (an incomplete sum is never
//!   published as a total);
//! - members without the variable: when every member's population is known
//!   (communes, arrondissements), the total is the sum of the others if they
//!   hold at least the dataset's minimum share of the population (99 % by
//!   default), with the coverage stated; below it, or when populations are
//!   unknown (quartiers), the total is missing, the members without data
//!   named;
//! - values observed directly for a territory (a published total) take
//!   precedence over the computed sum.

use anyhow::Result;
use crate::schema;
use polars::prelude::PlHashMap as HashMap;
use polars::prelude::*;
use rayon::prelude::*;

use crate::catalog::{Catalog, VariableKind};
use crate::geo::Geography;
use crate::status::Status;

/// Share of a group's population its members with data must hold for its
/// total to be computed, by default.
pub const DEFAULT_MIN_COVERAGE: f64 = 0.99;

/// Why a composed territory's total of a variable is partial or missing:
/// its members without data.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageNote {
    pub territory: String,
    pub variable: String,
    pub vintage: i32,
    /// Whether the total was computed (coverage at or above the minimum).
    pub computed: bool,
    /// Share of the population held by the members with data (0-1).
    pub coverage: f64,
    /// Members without data: (code, name), at most [`MEMBERS_NAMED`].
    pub without: Vec<(String, String)>,
    pub n_without: usize,
}

/// Members without data named in a coverage note.
pub const MEMBERS_NAMED: usize = 5;

/// Returns the observations plus one aggregated observation per (parent,
/// variable, vintage) that is not observed directly: first the communes
/// from their arrondissements municipaux (when a file gives only those),
/// then every composed territory from its members.
pub fn aggregate(obs: &DataFrame, catalog: &Catalog, geo: &Geography) -> Result<DataFrame> {
    Ok(aggregate_with_coverage(obs, catalog, geo, DEFAULT_MIN_COVERAGE)?.0)
}

/// Like [`aggregate`], with the minimum coverage of a total and the notes
/// of the totals computed without some members, or not computed for lack of
/// them (notes of territories with a published value left out).
pub fn aggregate_with_coverage(
    obs: &DataFrame,
    catalog: &Catalog,
    geo: &Geography,
    min_coverage: f64,
) -> Result<(DataFrame, Vec<CoverageNote>)> {
    use crate::geo::Level;
    // In turn: communes from their arrondissements municipaux (files giving
    // only those), every composed territory from its communes, régions from
    // their départements (files by département). A stage fills only what
    // the earlier ones left without a row. The last keeps only totals
    // computed (or secret): a région is not listed as « n.c. » or missing
    // because one of its départements has a published value.
    let stages = [
        (geo.members_by_parent(Level::Arrondissement), false),
        (geo.composition(), false),
        (geo.members_by_parent(Level::Departement), true),
    ];
    let mut all = obs.clone();
    let mut notes = vec![];
    for (pairs, computed_only) in stages {
        let (mut sums, mut n) = sum_members(&all, catalog, geo, &pairs, min_coverage)?;
        if computed_only {
            let kept = col(schema::STATUS)
                .eq(Status::Ok.lit())
                .or(col(schema::STATUS).eq(Status::Secret.lit()));
            sums = sums.lazy().filter(kept).collect()?;
            n.retain(|n| n.computed);
        }
        notes.extend(n);
        all = add_unobserved(&all, sums)?;
    }
    // A published value replaces the sum: its note goes with the sum.
    if !notes.is_empty() {
        let computed = all
            .clone()
            .lazy()
            .filter(col(schema::SOURCE).eq(lit(AGGREGATED)))
            .collect()?;
        let summed: polars::prelude::PlHashSet<(&str, &str, i32)> = super::long_rows(&computed, schema::VARIABLE)?
            .filter_map(|(t, v, y, _, _)| Some((t?, v?, y?)))
            .collect();
        notes.retain(|n| summed.contains(&(n.territory.as_str(), n.variable.as_str(), n.vintage)));
    }
    Ok((all, notes))
}

/// Source of the computed rows.
const AGGREGATED: &str = "agrégation";

/// The observations plus the computed rows of territories that have no
/// observation of their own for that variable and vintage.
fn add_unobserved(obs: &DataFrame, computed: DataFrame) -> Result<DataFrame> {
    // Published values of composed territories (few rows) take precedence.
    let parents = computed
        .column(schema::TERRITORY_CODE)?
        .unique()?
        .as_materialized_series()
        .clone();
    let published = obs
        .clone()
        .lazy()
        .filter(col(schema::TERRITORY_CODE).is_in(lit(parents).implode(false), false))
        .select([col(schema::TERRITORY_CODE), col(schema::VARIABLE), col(schema::VINTAGE)]);
    let not_observed = computed.lazy().join(
        published,
        [col(schema::TERRITORY_CODE), col(schema::VARIABLE), col(schema::VINTAGE)],
        [col(schema::TERRITORY_CODE), col(schema::VARIABLE), col(schema::VINTAGE)],
        JoinArgs::new(JoinType::Anti),
    );
    Ok(concat([obs.clone().lazy(), not_observed], UnionArgs::default())?.collect()?)
}

/// Sums of every variable over the members of every composed territory,
/// whether or not the territory also has a published value.
///
/// Every commune sits in four parents (millions of (parent, observation)
/// pairs at national scale): the sums are accumulated in one pass over the
/// observations into a dense (parent, variable, vintage) table, rather than
/// by joining each observation to its parents and grouping the pairs.
pub fn aggregate_members(obs: &DataFrame, catalog: &Catalog, geo: &Geography) -> Result<DataFrame> {
    Ok(sum_members(obs, catalog, geo, &geo.composition(), DEFAULT_MIN_COVERAGE)?.0)
}

/// The (parent, member) pairs indexed: parents and members numbered, each
/// member's parents, populations.
struct Composition<'a> {
    parents: Vec<&'a str>,
    n_members: Vec<u32>,
    parents_of: HashMap<&'a str, Vec<usize>>,
    /// Members by number: their numbers by code, their populations.
    member_index: HashMap<&'a str, u32>,
    population: Vec<Option<f64>>,
    /// Each parent's population when all of its members' are known (the
    /// coverage of a partial total needs it).
    parent_population: Vec<Option<f64>>,
}

impl<'a> Composition<'a> {
    fn new(pairs: &'a [(String, String)], geo: &Geography) -> Composition<'a> {
        let mut parent_index: HashMap<&str, usize> = HashMap::new();
        let mut parents: Vec<&str> = vec![];
        let mut n_members: Vec<u32> = vec![];
        let mut parents_of: HashMap<&str, Vec<usize>> = HashMap::new();
        for (p, m) in pairs {
            let id = *parent_index.entry(p.as_str()).or_insert_with(|| {
                parents.push(p.as_str());
                n_members.push(0);
                parents.len() - 1
            });
            n_members[id] += 1;
            parents_of.entry(m.as_str()).or_default().push(id);
        }
        let member_codes: Vec<&str> = parents_of.keys().copied().collect();
        let member_index: HashMap<&str, u32> = member_codes
            .iter()
            .enumerate()
            .map(|(n, m)| (*m, n as u32))
            .collect();
        let population: Vec<Option<f64>> = member_codes
            .iter()
            .map(|m| geo.get(m).and_then(|t| t.population))
            .collect();
        let mut parent_population: Vec<Option<f64>> = vec![Some(0.0); parents.len()];
        for (m, ps) in parents_of.values().enumerate() {
            for &p in ps {
                parent_population[p] = parent_population[p].zip(population[m]).map(|(a, b)| a + b);
            }
        }
        Composition { parents, n_members, parents_of, member_index, population, parent_population }
    }

    /// Each member's parents, by member number.
    fn members(&self) -> Vec<&Vec<usize>> {
        self.parents_of.values().collect()
    }
}

/// One (parent, variable, vintage) sum in progress.
#[derive(Clone, Copy, Default)]
struct Acc {
    sum: f64,
    /// Neumaier compensation: the sum does not depend on the order of the
    /// members (to the last bits), as with a pairwise sum.
    compensation: f64,
    worst: u32,
    n: u32,
    /// Population of the members with a value (status ok).
    covered: f64,
}

impl Acc {
    fn add(&mut self, value: Option<f64>, status: Option<u32>, population: Option<f64>) {
        let x = value.unwrap_or(0.0);
        let t = self.sum + x;
        self.compensation += if self.sum.abs() >= x.abs() {
            (self.sum - t) + x
        } else {
            (x - t) + self.sum
        };
        self.sum = t;
        self.worst = self.worst.max(status.unwrap_or(Status::Missing.code()));
        self.n += 1;
        if status == Some(Status::Ok.code()) {
            self.covered += population.unwrap_or(0.0);
        }
    }
}

/// Every row added to the sums of its member's parents: a dense table laid
/// out variable first, then parent, then vintage slot. Accumulated in
/// parallel over ranges of variables: each task reads every row and adds
/// those of its variables, in row order (the same additions in the same
/// order as a sequential pass).
fn accumulate(
    obs: &DataFrame,
    keys: &[super::RowKey],
    c: &Composition,
    n_variables: usize,
    n_vintages: usize,
) -> Result<Vec<Acc>> {
    let members = c.members();
    let mut acc = vec![Acc::default(); c.parents.len() * n_variables * n_vintages];
    let (values, statuses) = (obs.column(schema::VALUE)?.f64()?, obs.column(schema::STATUS)?.u32()?);
    let stride = c.parents.len() * n_vintages;
    let per_task = n_variables
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    // No parent (a geography without départements, say): nothing to add.
    acc.par_chunks_mut((per_task * stride).max(1))
        .enumerate()
        .for_each(|(task, acc)| {
            let first = task * per_task;
            let rows = keys.iter().zip(values.iter().zip(statuses.iter()));
            for (key, (value, status)) in rows {
                let v = key.variable as usize;
                if *key == super::RowKey::SKIP || v < first || v >= first + per_task {
                    continue;
                }
                for &p in members[key.territory as usize] {
                    acc[(v - first) * stride + p * n_vintages + key.vintage as usize]
                        .add(value, status, c.population[key.territory as usize]);
                }
            }
        });
    Ok(acc)
}

/// Sums of every variable over the members of the (parent, member) pairs,
/// and the notes of the sums some members lack.
fn sum_members(
    obs: &DataFrame,
    catalog: &Catalog,
    geo: &Geography,
    pairs: &[(String, String)],
    min_coverage: f64,
) -> Result<(DataFrame, Vec<CoverageNote>)> {
    let composition = Composition::new(pairs, geo);
    let Composition { parents, n_members, parents_of, parent_population, .. } = &composition;
    let (vintage_list, keys) =
        super::row_keys(obs, catalog, |code| Ok(composition.member_index.get(code).copied()))?;
    let n_vintages = vintage_list.len();
    let acc = accumulate(obs, &keys, &composition, catalog.variables.len(), n_vintages)?;
    let is_count: Vec<bool> = catalog
        .variables
        .iter()
        .map(|v| v.kind == VariableKind::Count)
        .collect();
    let (mut t, mut var, mut vin, mut val, mut st) = (vec![], vec![], vec![], vec![], vec![]);
    // (parent, variable, vintage slot, computed, coverage) of partial sums.
    let mut partial: Vec<(usize, usize, usize, bool, f64)> = vec![];
    for (p, parent) in parents.iter().enumerate() {
        for (v, variable) in catalog.variables.iter().enumerate() {
            for (y, vintage) in vintage_list.iter().enumerate() {
                let a = acc[(v * parents.len() + p) * n_vintages + y];
                if a.n == 0 {
                    continue;
                }
                let status = if !is_count[v] {
                    Status::NotAggregable
                } else if a.worst == Status::Secret.code() {
                    Status::Secret
                } else if a.worst != Status::Ok.code() || a.n < n_members[p] {
                    match parent_population[p] {
                        Some(total) if total > 0.0 && vintage.is_some() => {
                            let coverage = a.covered / total;
                            let computed = coverage >= min_coverage;
                            partial.push((p, v, y, computed, coverage));
                            if computed {
                                Status::Ok
                            } else {
                                Status::Missing
                            }
                        }
                        _ => Status::Missing,
                    }
                } else {
                    Status::Ok
                };
                t.push(*parent);
                var.push(variable.id.as_str());
                vin.push(*vintage);
                val.push((status == Status::Ok).then_some(a.sum + a.compensation));
                st.push(status.code());
            }
        }
    }
    let notes = coverage_notes(obs, catalog, geo, &partial, parents, parents_of, &vintage_list)?;
    let sums = df!(
        schema::TERRITORY_CODE => t,
        schema::VARIABLE => var,
        schema::VINTAGE => vin,
        schema::VALUE => val,
        schema::STATUS => st,
    )?
    .lazy()
    .with_column(lit(AGGREGATED).alias(schema::SOURCE))
    .sort(
        [schema::TERRITORY_CODE, schema::VARIABLE, schema::VINTAGE],
        Default::default(),
    )
    .collect()?;
    Ok((sums, notes))
}

/// The notes of the partial sums: which members lack a value (few sums: the
/// members with one are collected for their variables and vintages only).
fn coverage_notes(
    obs: &DataFrame,
    catalog: &Catalog,
    geo: &Geography,
    partial: &[(usize, usize, usize, bool, f64)],
    parents: &[&str],
    parents_of: &HashMap<&str, Vec<usize>>,
    vintages: &[Option<i32>],
) -> Result<Vec<CoverageNote>> {
    if partial.is_empty() {
        return Ok(vec![]);
    }
    let wanted: polars::prelude::PlHashSet<(&str, i32)> = partial
        .iter()
        .filter_map(|&(_, v, y, _, _)| Some((catalog.variables[v].id.as_str(), vintages[y]?)))
        .collect();
    let ok = Some(Status::Ok.code());
    let valued: polars::prelude::PlHashSet<(&str, &str, i32)> = super::long_rows(obs, schema::VARIABLE)?
        .filter(|&(_, _, _, _, s)| s == ok)
        .filter_map(|(t, v, y, _, _)| Some((t?, v?, y?)))
        .filter(|&(_, v, y)| wanted.contains(&(v, y)))
        .collect();
    // Members of each parent concerned, in code order.
    let mut members_of: HashMap<usize, Vec<&str>> = HashMap::new();
    for (m, ps) in parents_of {
        for &p in ps {
            if partial.iter().any(|x| x.0 == p) {
                members_of.entry(p).or_default().push(m);
            }
        }
    }
    for list in members_of.values_mut() {
        list.sort_unstable();
    }
    let mut notes = vec![];
    for &(p, v, y, computed, coverage) in partial {
        let variable = catalog.variables[v].id.as_str();
        let Some(vintage) = vintages[y] else {
            continue;
        };
        let without: Vec<&str> = members_of[&p]
            .iter()
            .copied()
            .filter(|m| !valued.contains(&(*m, variable, vintage)))
            .collect();
        notes.push(CoverageNote {
            territory: parents[p].to_string(),
            variable: variable.to_string(),
            vintage,
            computed,
            coverage,
            without: without
                .iter()
                .take(MEMBERS_NAMED)
                .map(|m| (m.to_string(), geo.name(m)))
                .collect(),
            n_without: without.len(),
        });
    }
    Ok(notes)
}
