//! Figures, HTML report and XLSX workbook written by `bcs run`: they decode,
//! parse, read back with the same numbers, and are deterministic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn bcs() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bcs"));
    c.env_remove("BCS_DATASET").env_remove("BCS_CATALOGUE");
    c
}

/// Fails the test with the command's stderr unless it succeeded.
fn succeeded(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run_into(dir: &Path) {
    let out = bcs()
        .args(["run", "--out", dir.to_str().unwrap()])
        .output()
        .unwrap();
    succeeded(&out);
}

/// One barometer built once for all the tests of this file.
fn barometer() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("caph");
        run_into(&out);
        (tmp, out)
    })
    .1
}

/// (width, height, RGB pixels) of a PNG file; it must say 300 dpi.
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let dims = reader.info().pixel_dims.unwrap_or_else(|| panic!("{}: no resolution", path.display()));
    assert_eq!((dims.xppu, dims.yppu, dims.unit), (11_811, 11_811, png::Unit::Meter), "{}", path.display());
    let mut buf = vec![0; reader.output_buffer_size().expect("a PNG of a sane size")];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn non_white_share(rgb: &[u8]) -> f64 {
    let px = rgb.chunks(3).filter(|p| p.iter().any(|&c| c < 245)).count();
    px as f64 / (rgb.len() / 3) as f64
}

#[test]
fn figures_have_stable_names_and_decode() {
    let figs = barometer().join("figures");
    for stem in [
        "fig_sante_couverture_c2s_2022",
        "fig_famille_indice_jeunesse_2019",
        "fig_contexte_nb_etrangers_2011-2019_evolution",
        "fig_revenus_nb_allocataires_minima_sociaux_2016-2021_evolution",
        "fig_famille_panneau_loc_qp15_caph",
    ] {
        let (w, h, rgb) = decode_png(&figs.join(format!("{stem}.png")));
        // 16 cm at 300 dpi.
        assert_eq!(w, 1890, "{stem}");
        assert!(h > 300, "{stem}: {h}");
        let ink = non_white_share(&rgb);
        assert!(ink > 0.03 && ink < 0.6, "{stem}: {ink}");
        let svg = std::fs::read_to_string(figs.join(format!("{stem}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{stem}.svg: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert!(
            doc.descendants()
                .any(|n| n.text().is_some_and(|t| t.contains("Source"))),
            "{stem}: no source line"
        );
    }
    // C2S ranking: 13 QP + 4 references with a value, French labels.
    let svg = std::fs::read_to_string(figs.join("fig_sante_couverture_c2s_2022.svg")).unwrap();
    assert!(
        svg.contains("40,1 %")
            && svg.contains("22,1 %")
            && svg.contains("Lecture : En 2022, 40,1 %")
    );
}

#[test]
fn the_report_is_a_self_contained_readable_page() {
    let html = std::fs::read_to_string(barometer().join("report.html")).unwrap();
    let doc = roxmltree::Document::parse_with_options(
        html.trim_start_matches("<!DOCTYPE html>\n"),
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap();
    let ids: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("section"))
        .filter_map(|n| n.attribute("id"))
        .collect();
    // What needs attention first, the contract's targets, then the IDH-4.
    assert_eq!(ids[..4], ["essentiel", "vigilance", "objectifs", "idh"], "IDH-4 after the points de vigilance");
    for theme in ["famille", "revenus", "emploi", "formation", "sante", "egalite_femmes_hommes"] {
        assert!(ids.contains(&format!("theme-{theme}").as_str()), "{theme}");
    }
    // The themes without data are named in one line, without a section.
    for theme in ["mobilite", "logement", "culture_sport"] {
        assert!(!ids.contains(&format!("theme-{theme}").as_str()), "{theme}");
    }
    assert!(html.contains("Sans donnée dans ce baromètre : Mobilité, Logement, Culture et sport"));
    // Dated, versioned, with the vintages; figures captioned in words; no
    // internal vocabulary.
    let edition = format!("· bcs {} · données des millésimes 2011 à 2024", env!("CARGO_PKG_VERSION"));
    assert!(html.contains("Édition du ") && html.contains(&edition), "{edition}");
    // The targets' tracks come first (« Objectifs chiffrés du contrat »),
    // then the IDH-4.
    assert!(html.contains("<figcaption>Figure 1 — Objectifs chiffrés du contrat : chemin parcouru (figures/fig_objectifs_progression.png et .svg)</figcaption>"));
    assert!(html.contains("<figcaption>Figure 2 — IDH-4, indice de niveau de vie — 2021 (figures/fig_indices_idh4_niveau_vie_2021.png et .svg)</figcaption>"));
    for internal in ["seed 001", "« missing »", "manifeste", "<figcaption>Figure fig_"] {
        assert!(!html.contains(internal), "« {internal} » in the report");
    }
    assert_eq!(ids.last(), Some(&"methodologie"));
    assert!(ids.contains(&"fiches"));
    // No network: no external resource (only in-page anchors).
    for n in doc.descendants() {
        for a in ["src", "href"] {
            if let Some(v) = n.attribute(a) {
                assert!(v.starts_with('#'), "external reference {a}={v}");
            }
        }
    }
    let svgs = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "svg")
        .count();
    assert!(svgs >= 40, "{svgs} inline charts");
    assert!(html.contains("0,39") && html.contains("Lecture : "));
    // The niveau de vie sub-index is computed from FiLoSoFi; the report
    // names the inputs the IDH-4 itself lacks rather than showing an empty
    // index.
    assert!(html.contains("Sous-indice(s) calculé(s) : niveau de vie (61 territoire(s)"), "IDH-4 status");
    assert!(html.contains("manquant(s) : santé (indice comparatif de mortalité : aucune valeur dans les sources)"));
    // One sheet per commune holding a quartier prioritaire, in the report
    // and on its own page.
    let fiches: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("section"))
        .filter_map(|n| n.attribute("id"))
        .filter(|id| id.starts_with("fiche-"))
        .collect();
    assert_eq!(fiches.len(), 12, "{fiches:?}");
    assert!(fiches.contains(&"fiche-59172"));
    // C2S beneficiaries of the Nord and the région, month by month.
    let monthly = std::fs::read_to_string(barometer().join("figures/fig_sante_nb_beneficiaires_c2s_mensuel.svg")).unwrap();
    assert!(monthly.contains("Nord et Hauts-de-France, de novembre 2019 à janvier 2025"));
    let denain = std::fs::read_to_string(barometer().join("fiches/fiche_59172.html")).unwrap();
    assert!(denain.contains("Gambetta (QN05954M, s'étend aussi sur Lourches, Escaudain)"));
    assert!(denain.contains("<td class=\"num\">14\u{202f}890</td>"), "Denain's 2021 median");
}

#[test]
fn the_workbook_reads_back_with_the_same_numbers() {
    use calamine::{open_workbook, Data, DataType, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(barometer().join("barometre.xlsx")).unwrap();
    let names = wb.sheet_names().to_vec();
    assert_eq!(names[..3], ["Points de vigilance", "Indices composites", "Contexte"]);
    assert_eq!(names[names.len() - 2], "Objectifs");
    assert_eq!(names.last().map(String::as_str), Some("Méthodologie"));
    // The sheets' second row holds the column titles; rows start with a name.
    let header = |sheet: &calamine::Range<Data>| -> Vec<String> {
        sheet
            .rows()
            .nth(1)
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect()
    };
    let column = |header: &[String], starts: &str| {
        header.iter().position(|h| h.starts_with(starts)).unwrap()
    };
    let row_of = |sheet: &calamine::Range<Data>, name: &str| -> Vec<Data> {
        sheet
            .rows()
            .find(|r| r[0].get_string() == Some(name))
            .unwrap()
            .to_vec()
    };
    let sante = wb.worksheet_range("Santé").unwrap();
    let header_sante = header(&sante);
    let col = column(
        &header_sante,
        "Taux de couverture C2S des assurés sociaux (2022",
    );
    let row = row_of(&sante, "QP Douchy-les-Mines - Boulevard De La Liberté");
    assert_eq!(row[col], Data::Float(40.1), "stored as a number");
    // Display formats: one decimal for the rate, signed integer for a change
    // in number (shown « 40,1 » and « +132 » by a French Excel).
    let styles = wb.worksheet_style("Santé").unwrap();
    let (r0, c0) = sante.start().unwrap();
    let i = sante
        .rows()
        .position(|r| r[0].get_string() == Some("QP Douchy-les-Mines - Boulevard De La Liberté"))
        .unwrap() as u32;
    let format_at = |j: usize| {
        styles
            .get((r0 + i, c0 + j as u32))
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone())
    };
    assert_eq!(format_at(col).as_deref(), Some("#,##0.0"));
    let evol = header_sante
        .iter()
        .position(|h| h.contains("Évol. 2020-2022 (nb)"))
        .unwrap();
    assert_eq!(row[evol], Data::Float(132.0));
    assert_eq!(format_at(evol).as_deref(), Some("+#,##0;-#,##0;#,##0"));
    let nationalite = wb.worksheet_range("Contexte").unwrap();
    let col = column(
        &header(&nationalite),
        "Personnes de nationalité étrangère (2019",
    );
    let sabatier = row_of(&nationalite, "QP Raismes - Sabatier");
    assert_eq!(
        sabatier[col],
        Data::String("nd".into()),
        "secret stays a marker"
    );
}

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn two_runs_give_byte_identical_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let again = tmp.path().join("again");
    run_into(&again);
    let (a, b) = (files(barometer()), files(&again));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(
            bytes == &b[name],
            "{} differs between two runs",
            name.display()
        );
    }
    assert!(a.len() > 80, "{} files", a.len());
}

/// Golden image: the C2S ranking must match the committed reference up to a
/// small share of pixels (anti-aliasing), with the bundled font.
#[test]
fn c2s_ranking_matches_the_golden_image() {
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/fig_sante_couverture_c2s_2022.png");
    let (gw, gh, g) = decode_png(&golden);
    let (w, h, px) = decode_png(&barometer().join("figures/fig_sante_couverture_c2s_2022.png"));
    assert_eq!((w, h), (gw, gh));
    let differing = g
        .chunks(3)
        .zip(px.chunks(3))
        .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 40))
        .count();
    let share = differing as f64 / (w * h) as f64;
    assert!(share < 0.002, "{:.4} % of pixels differ", share * 100.0);
}

#[test]
fn chart_command_draws_a_map_from_geojson_contours() {
    let tmp = tempfile::tempdir().unwrap();
    let contours =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/qp15_carres_test.geojson");
    let out = bcs()
        .args([
            "chart",
            "part_etrangers",
            "--kind",
            "map",
            "--contours",
            contours.to_str().unwrap(),
        ])
        .args(["--out", tmp.path().to_str().unwrap()])
        .output()
        .unwrap();
    succeeded(&out);
    let figures = tmp.path().join("figures");
    let (w, _, rgb) = decode_png(
        &figures
            .join("fig_contexte_part_etrangers_2019_carte.png"),
    );
    assert_eq!(w, 1890);
    assert!(non_white_share(&rgb) > 0.03);
    let svg = std::fs::read_to_string(
        figures.join("fig_contexte_part_etrangers_2019_carte.svg"),
    )
    .unwrap();
    // Sabatier and Elnon are secret: the legend says how they are drawn.
    assert!(svg.contains("nd (secret statistique)") && svg.contains("donnée absente"));
    // The embedded dataset's own contours are communes': a QPV indicator
    // has no value on them, and bcs says so.
    let bad = bcs()
        .args(["chart", "part_etrangers", "--kind", "map"])
        .args(["--out", tmp.path().join("autre").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("aucun territoire des contours n'a de valeur"), "{err}");
    // The communes of the EPCI from the Nord's COG 2018 contours, the
    // EPCI outlined, the communes holding a QPV marked.
    let out = bcs()
        .args(["chart", "revenu_median_uc", "--kind", "map"])
        .args(["--out", tmp.path().to_str().unwrap()])
        .output()
        .unwrap();
    succeeded(&out);
    let svg = std::fs::read_to_string(figures.join("fig_revenus_revenu_median_uc_2021_carte.svg")).unwrap();
    // The second figure joined the first one: a chart removes no other file.
    assert!(figures.join("fig_contexte_part_etrangers_2019_carte.png").is_file());
    assert!(svg.contains("limite du territoire étudié"));
    assert!(svg.contains("commune où se trouve un"));
    assert!(svg.contains("14\u{202f}890 à"), "the lowest class starts at Denain's median");
    // --territories frames the map on two communes; their neighbours are
    // the background, cut at the frame.
    let fills = |svg: &str| -> std::collections::BTreeMap<String, usize> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        let mut n = std::collections::BTreeMap::new();
        for p in doc.descendants().filter(|n| n.has_tag_name("polygon")) {
            *n.entry(p.attribute("fill").unwrap_or_default().to_string()).or_default() += 1;
        }
        n
    };
    let whole = fills(&svg);
    assert!(whole.get("#EAE7E0").is_some_and(|&n| n > 0), "{whole:?}");
    let out = bcs()
        .args(["chart", "revenu_median_uc", "--kind", "map", "--level", "commune"])
        .args(["--territories", "Denain,Escaudain"])
        .args(["--out", tmp.path().join("deux").to_str().unwrap()])
        .output()
        .unwrap();
    succeeded(&out);
    let two = fills(
        &std::fs::read_to_string(tmp.path().join("deux/figures/fig_revenus_revenu_median_uc_2021_carte.svg")).unwrap(),
    );
    let classes = |f: &std::collections::BTreeMap<String, usize>| -> usize {
        ["#FFFFCC", "#A1DAB4", "#41B6C4", "#2C7FB8", "#253494"].iter().filter_map(|c| f.get(*c)).sum()
    };
    assert_eq!(classes(&two), 2, "{two:?}");
    assert!(classes(&whole) > 40, "{whole:?}");
    assert!(two["#EAE7E0"] > 5, "{two:?}");
}

#[test]
fn a_contour_of_a_hundred_thousand_points_costs_its_pixels_in_the_svg() {
    // The fixture's quartiers drawn as circles of 100 000 points each.
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/qp15_carres_test.geojson"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut features = vec![];
    for f in fixture["features"].as_array().unwrap() {
        let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
        let (x, y) = (ring[0][0].as_f64().unwrap(), ring[0][1].as_f64().unwrap());
        let circle: Vec<[f64; 2]> = (0..=100_000)
            .map(|k| {
                let t = k as f64 / 100_000.0 * std::f64::consts::TAU;
                [x + 0.009 + 0.009 * t.cos(), y + 0.006 + 0.006 * t.sin()]
            })
            .collect();
        features.push(serde_json::json!({
            "type": "Feature",
            "properties": {"code": f["properties"]["code"]},
            "geometry": {"type": "Polygon", "coordinates": [circle]},
        }));
    }
    let tmp = tempfile::tempdir().unwrap();
    let contours = tmp.path().join("cercles.geojson");
    std::fs::write(
        &contours,
        serde_json::to_string(&serde_json::json!({"type": "FeatureCollection", "features": features})).unwrap(),
    )
    .unwrap();
    assert!(contours.metadata().unwrap().len() > 20_000_000);
    let out = bcs()
        .args(["chart", "part_etrangers", "--kind", "map", "--contours"])
        .arg(&contours)
        .args(["--out", tmp.path().join("sortie").to_str().unwrap()])
        .output()
        .unwrap();
    succeeded(&out);
    let svg = tmp.path().join("sortie/figures/fig_contexte_part_etrangers_2019_carte.svg");
    let size = svg.metadata().unwrap().len();
    assert!(size < 300_000, "{size} bytes of SVG");
}

#[test]
fn the_documented_join_adds_the_labels_and_no_column_twice() {
    let out = barometer();
    let mut results = csv::Reader::from_path(out.join("results.csv")).unwrap();
    let h = results.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (ind, unit, evol) = (col("indicator"), col("unit"), col("evol_unit"));
    let mut dict = csv::Reader::from_path(out.join("indicators.csv")).unwrap();
    let dh = dict.headers().unwrap().clone();
    let units: std::collections::HashMap<String, (String, String)> = dict
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].to_string(), (r[4].to_string(), r[5].to_string())))
        .collect();
    assert_eq!((&dh[0], &dh[4], &dh[5]), ("indicator", "unit", "evol_unit"));
    let mut n = 0;
    for r in results.records() {
        let r = r.unwrap();
        let want = &units[&r[ind]];
        assert_eq!((&r[unit], &r[evol]), (want.0.as_str(), want.1.as_str()), "{:?}", r);
        n += 1;
    }
    assert!(n > 100_000, "{n}");
    // The join on the three keys: every other column of the dictionary
    // is new to the table.
    for c in dh.iter().filter(|c| !["indicator", "unit", "evol_unit"].contains(c)) {
        assert!(!h.iter().any(|x| x == c), "{c} in both");
    }
}

#[test]
fn results_geojson_joins_the_contours_to_their_values_for_qgis() {
    let text = std::fs::read_to_string(barometer().join("results.geojson")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["type"], "FeatureCollection");
    let features = doc["features"].as_array().unwrap();
    // The Nord's 648 contours of 2018, Bermeries drawn with its commune.
    assert_eq!(features.len(), 647);
    let props = |f: &serde_json::Value| f["properties"].as_object().unwrap().clone();
    let denain = features.iter().find(|f| f["properties"]["code"] == "59172").unwrap();
    let p = props(denain);
    assert_eq!((p["nom"].as_str(), p["niveau"].as_str()), (Some("Denain"), Some("Commune")));
    assert_eq!(p["revenu_median_uc_2021"], 14890.0);
    assert_eq!(p["taux_pauvrete_2021"], 43.0);
    assert_eq!(p["revenu_median_uc_2019"], 14320.0);
    // One attribute table: the same properties on every feature; a secret
    // is null, never 0.
    let keys: Vec<String> = p.keys().cloned().collect();
    assert!(features.iter().all(|f| props(f).keys().cloned().collect::<Vec<_>>() == keys));
    let nulls = features.iter().filter(|f| f["properties"]["taux_pauvrete_2021"].is_null()).count();
    assert!(nulls > 100, "{nulls}");
    assert!(!features.iter().any(|f| f["properties"]["taux_pauvrete_2021"] == 0.0));
    // No column of nulls only (GDAL would read it as text): the IDH-4 of
    // the communes is missing (no health data at that level), so absent.
    for k in &keys {
        assert!(features.iter().any(|f| !f["properties"][k].is_null()), "{k} is null everywhere");
    }
    assert!(!keys.contains(&"idh4_2021".to_string()));
    // RFC 7946 geometry in longitude/latitude.
    assert_eq!(denain["geometry"]["type"], "MultiPolygon");
    let first = &denain["geometry"]["coordinates"][0][0][0];
    let (x, y) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
    assert!((3.3..3.5).contains(&x) && (50.2..50.4).contains(&y), "{x} {y}");
    // Read back as contours by bcs itself.
    let back = bcs::geo::read_geojson(&barometer().join("results.geojson"), "code").unwrap();
    assert_eq!(back.len(), 647);
}

#[test]
fn an_evolution_chart_is_sorted_by_change_and_shows_secret_changes() {
    let svg = std::fs::read_to_string(
        barometer().join("figures/fig_revenus_taux_pauvrete_2019-2021_evolution.svg"),
    )
    .unwrap();
    // 20 communes with a change, 27 secret: 20 « nd » rows drawn, 7 counted.
    assert!(svg.contains("Communes ; 7 autres au changement secret (nd)"), "subtitle");
    // The lecture is about the largest rise, the first row.
    assert!(svg.contains("Lecture : entre 2019 et 2021, « Taux de pauvreté à 60 % » passe de 16,0 % à 20,0 % pour Haulchin, soit +4,0 pts."));
}

/// Copies `from` into `to`, leaving out bcs's caches.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if name.to_string_lossy().starts_with(".bcs") {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(&name));
        } else {
            std::fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

#[test]
fn a_team_gives_the_report_its_own_template_and_stylesheet() {
    let tmp = tempfile::tempdir().unwrap();
    // bcs template writes bcs's own files, and never over a file.
    let dir = tmp.path().join("charte");
    succeeded(&bcs().args(["template", dir.to_str().unwrap()]).output().unwrap());
    let template = std::fs::read_to_string(dir.join("rapport.html")).unwrap();
    let style = std::fs::read_to_string(dir.join("rapport.css")).unwrap();
    assert_eq!(template, bcs::render::report::DEFAULT_TEMPLATE);
    assert_eq!(style, bcs::render::report::DEFAULT_STYLE);
    let again = bcs().args(["template", dir.to_str().unwrap()]).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("existe déjà : bcs ne le remplace pas"));
    assert_eq!(std::fs::read_to_string(dir.join("rapport.html")).unwrap(), template);

    // The team's template and stylesheet, declared in its dataset.
    std::fs::write(
        dir.join("rapport.html"),
        template.replace("<body>\n", "<body>\n<header class=\"bandeau\">Observatoire de l'agglomération — {{ titre }}</header>\n"),
    )
    .unwrap();
    std::fs::write(dir.join("rapport.css"), format!("{style}\n.bandeau {{ background: #7a1f5c; color: white; }}\n")).unwrap();
    let datasets = tmp.path().join("datasets");
    copy_tree(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets"), &datasets);
    let manifest = datasets.join("caph/dataset.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!("{text}\n[report]\ntemplate = \"../../charte/rapport.html\"\nstyle = \"../../charte/rapport.css\"\n"),
    )
    .unwrap();
    let out = tmp.path().join("sortie");
    succeeded(
        &bcs()
            .args(["--dataset", datasets.join("caph").to_str().unwrap(), "report", "--out", out.to_str().unwrap()])
            .output()
            .unwrap(),
    );
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    // The title is escaped by the template engine (an apostrophe as a
    // character reference), the page stays well-formed XML.
    assert!(page.contains("<header class=\"bandeau\">Observatoire de l'agglomération — Baromètre de la Cohésion Sociale"), "header");
    assert!(page.contains(".bandeau { background: #7a1f5c;"));
    let doc = roxmltree::Document::parse_with_options(
        &page,
        roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() },
    )
    .unwrap();
    // The sections of the page (a commune sheet is a section inside one).
    let ids: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("section") && n.parent_element().is_some_and(|p| p.has_tag_name("body")))
        .filter_map(|n| n.attribute("id"))
        .collect();
    assert_eq!(ids.first(), Some(&"essentiel"));
    assert_eq!(ids.last(), Some(&"methodologie"));
    // Every section is in the contents, in order.
    let links: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("a"))
        .filter_map(|n| n.attribute("href"))
        .filter_map(|h| h.strip_prefix('#'))
        .collect();
    assert_eq!(links, ids[1..].to_vec());
    // The commune sheets take the team's stylesheet too.
    let sheet = std::fs::read_to_string(out.join("fiches/fiche_59172.html")).unwrap();
    assert!(sheet.contains(".bandeau { background: #7a1f5c;"));

    // A misspelt variable, a syntax error: the file, the line, what is wrong.
    let bad = tmp.path().join("faux.html");
    std::fs::write(&bad, "<html>\n<body>\n<h1>{{ titre }}</h1>\n<p>{{ sous_titre }}</p>\n</body>\n</html>\n").unwrap();
    let err = bcs().args(["report", "--template", bad.to_str().unwrap(), "--out"]).arg(tmp.path().join("x")).output().unwrap();
    assert!(!err.status.success());
    let msg = String::from_utf8_lossy(&err.stderr);
    assert!(msg.contains("faux.html, ligne 4 : variable inconnue"), "{msg}");
    assert!(!tmp.path().join("x").exists(), "nothing written");
    std::fs::write(&bad, "<html>\n{% for s in sections %}\n</html>\n").unwrap();
    let err = bcs().args(["report", "--template", bad.to_str().unwrap(), "--out"]).arg(tmp.path().join("x")).output().unwrap();
    let msg = String::from_utf8_lossy(&err.stderr);
    assert!(msg.contains("faux.html, ligne") && msg.contains("erreur de syntaxe"), "{msg}");
}
