//! Unit-level checks of the engine's rules on a small synthetic geography and
//! catalogue: secret propagation, aggregation, formula alternatives,
//! evolutions, ranks.

use bcs::catalog::Catalog;
use bcs::engine::{self, Results};
use bcs::geo::{Geography, Level, Territory};
use bcs::status::Status;

use crate::common;
use common::{observations, Obs};

fn territory(code: &str, level: Level, members: &[&str]) -> Territory {
    common::territory(code, level, &[], members)
}

fn catalog() -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("variables.toml"),
        r#"
[[variable]]
id = "pop"
label = "Population"
kind = "count"
[[variable]]
id = "jeunes"
label = "Jeunes"
kind = "count"
[[variable]]
id = "tx_jeunes"
label = "Part des jeunes publiée"
kind = "rate"
[[variable]]
id = "median"
label = "Revenu médian"
kind = "amount"
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("t.toml"),
        r#"
[theme]
id = "t"
label = "Thème"
order = 1

[[indicator]]
id = "part_jeunes"
label = "Part des jeunes"
formula = ["100 * jeunes / pop", "tx_jeunes"]
unit = "%"
polarity = "neutral"
source = "test"
definition = "d"
lecture = "En {millesime}, {valeur} à {territoire}."

[[indicator]]
id = "jeunes"
label = "Jeunes"
formula = "jeunes"
unit = "nb"
polarity = "neutral"
source = "test"
definition = "d"
lecture = "l"

[[indicator]]
id = "revenu"
label = "Revenu"
formula = "median"
unit = "€"
polarity = "higher_better"
source = "test"
definition = "d"
lecture = "l"
"#,
    )
    .unwrap();
    let c = Catalog::load(dir.path()).unwrap();
    (dir, c)
}

fn run(rows: &[Obs]) -> Results {
    let geo = Geography::from_territories(vec![
        territory("A", Level::Qpv, &[]),
        territory("B", Level::Qpv, &[]),
        territory("C", Level::Qpv, &[]),
        territory("G", Level::Group, &["A", "B"]),
        territory("H", Level::Group, &["A", "C"]),
        territory("REF", Level::France, &[]),
    ])
    .unwrap();
    let (_dir, cat) = catalog();
    engine::compute(
        observations(rows),
        &cat,
        &geo,
        &crate::common::options("REF", None),
    )
    .unwrap()
}

const OK: Status = Status::Ok;

#[test]
fn counts_are_summed_and_the_count_formula_is_preferred() {
    let r = run(&[
        ("A", "pop", 2019, Some(100.0), OK),
        ("A", "jeunes", 2019, Some(30.0), OK),
        ("A", "tx_jeunes", 2019, Some(99.0), OK),
        ("B", "pop", 2019, Some(300.0), OK),
        ("B", "jeunes", 2019, Some(30.0), OK),
    ]);
    let a = r.get("A", "part_jeunes", 2019).unwrap().unwrap();
    assert_eq!(a.value, Some(30.0), "counts win over the published rate");
    let g = r.get("G", "part_jeunes", 2019).unwrap().unwrap();
    assert_eq!((g.status, g.value), (OK, Some(15.0)));
    assert_eq!(
        r.get("G", "jeunes", 2019).unwrap().unwrap().value,
        Some(60.0)
    );
}

#[test]
fn published_rate_is_used_when_counts_are_absent_but_never_summed() {
    let r = run(&[
        ("A", "tx_jeunes", 2019, Some(20.0), OK),
        ("B", "tx_jeunes", 2019, Some(40.0), OK),
    ]);
    assert_eq!(
        r.get("A", "part_jeunes", 2019).unwrap().unwrap().value,
        Some(20.0)
    );
    let g = r.get("G", "part_jeunes", 2019).unwrap().unwrap();
    assert_eq!((g.status, g.value), (Status::NotAggregable, None));
}

#[test]
fn a_secret_operand_makes_the_result_secret_never_zero() {
    let r = run(&[
        ("A", "pop", 2019, Some(100.0), OK),
        ("A", "jeunes", 2019, None, Status::Secret),
        ("B", "pop", 2019, Some(300.0), OK),
        ("B", "jeunes", 2019, Some(30.0), OK),
    ]);
    let a = r.get("A", "part_jeunes", 2019).unwrap().unwrap();
    assert_eq!((a.status, a.value), (Status::Secret, None));
    // The group sum would be incomplete: secret, not 30.
    let g = r.get("G", "jeunes", 2019).unwrap().unwrap();
    assert_eq!((g.status, g.value), (Status::Secret, None));
    let g = r.get("G", "part_jeunes", 2019).unwrap().unwrap();
    assert_eq!(g.status, Status::Secret);
}

#[test]
fn a_member_without_data_makes_the_group_missing() {
    // H = A + C; C has nothing.
    let r = run(&[("A", "jeunes", 2019, Some(10.0), OK)]);
    assert!(r.get("H", "jeunes", 2019).unwrap().is_none());
    let rows = common::series(&r, "H", "jeunes");
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].status, rows[0].vintage), (Status::Missing, None));
}

#[test]
fn division_by_zero_is_missing_not_infinite() {
    let r = run(&[
        ("A", "pop", 2019, Some(0.0), OK),
        ("A", "jeunes", 2019, Some(0.0), OK),
    ]);
    assert!(r.get("A", "part_jeunes", 2019).unwrap().is_none());
}

#[test]
fn evolutions_in_points_for_rates_and_percent_for_counts() {
    let r = run(&[
        ("A", "pop", 2013, Some(200.0), OK),
        ("A", "jeunes", 2013, Some(50.0), OK),
        ("A", "pop", 2019, Some(200.0), OK),
        ("A", "jeunes", 2019, Some(40.0), OK),
    ]);
    let rate = r.get("A", "part_jeunes", 2019).unwrap().unwrap();
    assert_eq!(rate.prev_vintage, Some(2013));
    assert!((rate.evol_abs.unwrap() - (-5.0)).abs() < 1e-12, "points");
    assert_eq!(rate.evol_pct, None, "no % change of a rate");
    let count = r.get("A", "jeunes", 2019).unwrap().unwrap();
    assert_eq!(count.evol_abs, Some(-10.0));
    assert!((count.evol_pct.unwrap() - (-20.0)).abs() < 1e-12);
    let first = r.get("A", "jeunes", 2013).unwrap().unwrap();
    assert_eq!((first.prev_vintage, first.evol_abs), (None, None));
}

#[test]
fn ranks_are_descending_within_level_and_vintage_and_skip_secrets() {
    let r = run(&[
        ("A", "median", 2019, Some(15000.0), OK),
        ("B", "median", 2019, Some(17000.0), OK),
        ("C", "median", 2019, None, Status::Secret),
        ("REF", "median", 2019, Some(21000.0), OK),
    ]);
    let rank = |c: &str| r.get(c, "revenu", 2019).unwrap().unwrap();
    assert_eq!((rank("B").rank, rank("B").rank_total), (Some(1), Some(2)));
    assert_eq!(rank("A").rank, Some(2));
    assert_eq!(rank("C").rank, None);
    assert_eq!(rank("REF").rank, None, "France is not ranked");
    assert_eq!(rank("A").gap_reference, Some(-6000.0));
}

#[test]
fn results_table_has_the_documented_columns() {
    let r = run(&[("A", "pop", 2019, Some(1.0), OK)]);
    let names: Vec<String> = r
        .frame
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(names, bcs::schema::RESULTS.to_vec());
}
