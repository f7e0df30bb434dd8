//! A deterministic generator of SYNTHETIC national extracts (`bcs synth`) in
//! the producers' formats (Insee communal census bases, FiLoSoFi communes, a
//! QPV file), for every commune of the national reference, to test and
//! benchmark the engine at scale. Nothing it writes is real data: every file,
//! title and territory name says so.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::geo::{Geography, Level, Territory};

/// Populations légales by commune code.
type Populations = std::collections::HashMap<String, u64>;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Folder of the dataset (dataset.toml and sources/): absent, empty or
    /// an earlier output of bcs.
    pub out: PathBuf,
    /// Vintages of the census and FiLoSoFi files (four-digit years).
    pub vintages: Vec<i32>,
    /// Only these départements (codes); empty: all of France.
    pub departements: Vec<String>,
    /// Synthetic QPV, spread over the communes of over 10 000 inhabitants.
    pub qpv: usize,
    /// The same seed gives the same bytes.
    pub seed: u64,
}

/// What was generated.
#[derive(Debug, Clone)]
pub struct Generated {
    pub communes: usize,
    pub qpv: usize,
}

/// SplitMix64: small, fast, and the same numbers on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, key: &str) -> Rng {
        let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
        for b in key.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01B3);
        }
        Rng(h)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A French decimal with one digit.
fn dec(v: f64) -> String {
    format!("{v:.1}").replace('.', ",")
}

/// Writes a synthetic dataset as `spec` says, whole or not at all.
pub fn generate(args: &Spec) -> Result<Generated> {
    if args.vintages.is_empty() || args.vintages.iter().any(|v| !(2000..2100).contains(v)) {
        bail!("--vintages : années entre 2000 et 2099 attendues");
    }
    let national = crate::project_dir()?.join("datasets/geo/national");
    let geo = Geography::load(&national, &[])?;
    let communes: Vec<_> = geo
        .territories()
        .iter()
        .filter(|t| t.level == Level::Commune)
        .filter(|t| {
            args.departements.is_empty() || t.parents.iter().any(|p| args.departements.contains(p))
        })
        .collect();
    if communes.is_empty() {
        bail!(
            "aucune commune pour les départements {}",
            args.departements.join(", ")
        );
    }
    let population = read_populations(&national)?;
    // Written like a run's output: only into a folder bcs made (or an empty
    // one), whole or not at all.
    let out = crate::outdir::OutputDir::create(&args.out, crate::outdir::Writer::Synth)?;
    let sources = out.dir("sources")?;
    let mut manifest = String::new();
    let first = communes[0].parents.first().cloned().unwrap_or_default();
    writeln!(
        manifest,
        "# JEU SYNTHÉTIQUE généré par `bcs synth` (graine {}) : aucune valeur n'est réelle.\n\
         [dataset]\nid = \"synthetique\"\ntitle = \"Jeu SYNTHÉTIQUE (tests et mesures de performance, ne pas publier)\"\n\
         territory = \"{first}\"\nreference = \"loc_france_metro\"\nreferences = [\"loc_france_metro\"]\n\
         description = \"Valeurs générées aléatoirement à l'échelle des populations légales ; aucune n'est réelle.\"\n\
         [geography]\nnational = \"{}\"\nlocal = [\"sources/territoires_synthetiques.csv\"]\n\
         [defaults]\nsecret = [\"s\", \"nd\"]\n",
        args.seed,
        national.display()
    )?;
    for &year in &args.vintages {
        communal_files(args, year, &communes, &population, &sources, &mut manifest)?;
    }
    let qpv_codes = qpv_files(args, &communes, &population, &sources, &mut manifest)?;
    stacked_files(args, &communes, &population, &qpv_codes, &sources, &mut manifest)?;
    std::fs::write(out.file("dataset.toml")?, manifest)?;
    out.commit()?;
    Ok(Generated {
        communes: communes.len(),
        qpv: qpv_codes.len(),
    })
}

/// The census base, FiLoSoFi and mortality files of one vintage, declared
/// in the manifest.
fn communal_files(
    args: &Spec,
    year: i32,
    communes: &[&Territory],
    population: &Populations,
    sources: &Path,
    manifest: &mut String,
) -> Result<()> {
    let yy = year % 100;
    let drift = 1.0 + 0.004 * (year - 2015) as f64;
    // Census base, communal, ';' and decimal comma as Insee publishes.
    let mut rp = format!(
        "CODGEO;LIBGEO;P{yy}_POP;P{yy}_POP6074;P{yy}_POP7589;P{yy}_POP90P;P{yy}_POP1564;P{yy}_ACT1564;P{yy}_ACTOCC1564;P{yy}_CHOM1564;\
         C{yy}_MEN;C{yy}_MENPSEUL;P{yy}_NSCOL15P;P{yy}_NSCOL15P_DIPLMIN;P{yy}_NSCOL15P_SUP2;P{yy}_NSCOL15P_SUP34;P{yy}_NSCOL15P_SUP5;\
         P{yy}_LOG;P{yy}_RP;P{yy}_LOGVAC;P{yy}_RP_VOIT1P"
    );
    // The real bases have some 100-300 columns the catalogue does not
    // use (age bands by sex, socio-professional groups…): the same
    // width here, so that reading only the needed columns is measured.
    let filler = filler_columns(yy);
    for f in &filler {
        rp.push(';');
        rp.push_str(f);
    }
    rp.push('\n');
    // FiLoSoFi communal file: small communes' poverty rates are secret.
    let mut filo = format!("CODGEO;LIBGEO;MED{yy};TP60{yy};D1{yy};D9{yy}\n");
    // Comparative mortality index (ORS-style file), mapped by hand below.
    let mut icm = String::from("code;libelle;icm\n");
    for c in communes {
        let mut r = Rng::new(args.seed ^ year as u64, &c.code);
        let pop = population.get(&c.code).copied().unwrap_or(0) as f64 * drift;
        census_row(&mut rp, c, pop, &mut r, filler.len())?;
        let med = r.range(16000.0, 30000.0) * drift;
        let (d1, d9) = (med * r.range(0.45, 0.60), med * r.range(1.7, 2.4));
        let tp = if pop < 2000.0 {
            "s".to_string()
        } else {
            dec(r.range(5.0, 35.0))
        };
        let med = if pop < 200.0 {
            "s".to_string()
        } else {
            format!("{med:.0}")
        };
        writeln!(filo, "{};{};{med};{tp};{d1:.0};{d9:.0}", c.code, c.name)?;
        writeln!(icm, "{};{};{}", c.code, c.name, dec(r.range(70.0, 140.0)))?;
    }
    std::fs::write(sources.join(format!("base-cc-synthetique-{year}.csv")), rp)?;
    std::fs::write(sources.join(format!("icm_synthetique_{year}.csv")), icm)?;
    std::fs::write(
        sources.join(format!("FILO{year}_COM_synthetique.csv")),
        filo,
    )?;
    writeln!(
        manifest,
        "[[source]]\nid = \"rp{year}\"\nfile = \"sources/base-cc-synthetique-{year}.csv\"\ntitle = \"Recensement {year} (SYNTHÉTIQUE)\"\n\
         producer = \"bcs synth\"\nprofile = \"insee_base_cc\"\n\n\
         [[source]]\nid = \"filosofi{year}\"\nfile = \"sources/FILO{year}_COM_synthetique.csv\"\ntitle = \"FiLoSoFi {year} (SYNTHÉTIQUE)\"\n\
         producer = \"bcs synth\"\nprofile = \"insee_filosofi_communes\"\n\n\
         [[source]]\nid = \"icm{year}\"\nfile = \"sources/icm_synthetique_{year}.csv\"\ntitle = \"ICM {year} (SYNTHÉTIQUE)\"\n\
         producer = \"bcs synth\"\nkey = \"code\"\n[[source.variable]]\nvariable = \"icm\"\nvintage = {year}\nexpr = \"icm\"\n"
    )?;
    Ok(())
}

/// One commune's line of the census base: the columns read, then the
/// filler columns.
fn census_row(rp: &mut String, c: &Territory, pop: f64, r: &mut Rng, filler: usize) -> Result<()> {
    let p6074 = pop * r.range(0.10, 0.22);
    let p7589 = pop * r.range(0.05, 0.12);
    let p90 = pop * r.range(0.0, 0.02);
    let p1564 = pop * r.range(0.55, 0.66);
    let act = p1564 * r.range(0.65, 0.80);
    let occ = act * r.range(0.80, 0.95);
    let men = pop / r.range(2.0, 2.5);
    let seul = men * r.range(0.25, 0.45);
    let nscol = pop * r.range(0.70, 0.80);
    let diplmin = nscol * r.range(0.15, 0.40);
    let (s2, s34, s5) = (
        nscol * r.range(0.05, 0.15),
        nscol * r.range(0.05, 0.15),
        nscol * r.range(0.02, 0.12),
    );
    let log = men * r.range(1.05, 1.25);
    let vac = log * r.range(0.04, 0.12);
    let voit = men * r.range(0.70, 0.95);
    // The line ends after the filler columns.
    write!(
        rp,
        "{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{}",
        c.code,
        c.name,
        dec(pop),
        dec(p6074),
        dec(p7589),
        dec(p90),
        dec(p1564),
        dec(act),
        dec(occ),
        dec(act - occ),
        dec(men),
        dec(seul),
        dec(nscol),
        dec(diplmin),
        dec(s2),
        dec(s34),
        dec(s5),
        dec(log),
        dec(men),
        dec(vac),
        dec(voit)
    )?;
    for _ in 0..filler {
        rp.push(';');
        rp.push_str(&dec(pop * r.range(0.0, 0.3)));
    }
    rp.push('\n');
    Ok(())
}

/// Synthetic QPV on the urban communes, with a QPV-format file per
/// vintage, declared in the manifest; their codes.
fn qpv_files(
    args: &Spec,
    communes: &[&Territory],
    population: &Populations,
    sources: &Path,
    manifest: &mut String,
) -> Result<Vec<String>> {
    let urban: Vec<_> = communes
        .iter()
        .filter(|c| population.get(&c.code).copied().unwrap_or(0) > 10_000)
        .collect();
    let mut territories =
        String::from("code,name,short_name,level,parents,members,successors,note\n");
    territories
        .push_str("loc_france_metro,France métropolitaine,,france,,,,Communes de zone « metro »\n");
    let mut qpv_codes = vec![];
    if !urban.is_empty() {
        for i in 0..args.qpv {
            let c = urban[i % urban.len()];
            let code = format!("QSYN{:05}", i + 1);
            writeln!(
                territories,
                "{code},QPV synthétique {} ({}),,qpv,{},,,SYNTHÉTIQUE",
                i + 1,
                c.name.replace(',', " "),
                c.code
            )?;
            qpv_codes.push(code);
        }
    }
    std::fs::write(sources.join("territoires_synthetiques.csv"), territories)?;
    for &year in &args.vintages {
        let mut q = String::from("CODGEO;libelle;tp60;disp_q2\n");
        for code in &qpv_codes {
            let mut r = Rng::new(args.seed ^ (year as u64) << 1, code);
            let tp = if r.range(0.0, 1.0) < 0.05 {
                "s".to_string()
            } else {
                dec(r.range(25.0, 60.0))
            };
            writeln!(
                q,
                "{code};QPV synthétique;{tp};{:.0}",
                r.range(9000.0, 16000.0)
            )?;
        }
        std::fs::write(sources.join(format!("qpv_synthetique_{year}.csv")), q)?;
        writeln!(
            manifest,
            "[[source]]\nid = \"qpv{year}\"\nfile = \"sources/qpv_synthetique_{year}.csv\"\ntitle = \"QPV {year} (SYNTHÉTIQUE)\"\n\
             producer = \"bcs synth\"\nprofile = \"insee_qpv\"\nvintage = {year}\n"
        )?;
    }
    Ok(qpv_codes)
}

/// CAF and France Travail files: communes and QPV, every vintage stacked
/// in rows (DTREF, date), counts under 5 secret as the producers do.
fn stacked_files(
    args: &Spec,
    communes: &[&Territory],
    population: &Populations,
    qpv_codes: &[String],
    sources: &Path,
    manifest: &mut String,
) -> Result<()> {
    let mut caf = String::from(
        "NUMCOM;NOMCOM;DTREF;NB_Allocataires;NB_Familles;NB_Familles_Monoparentales;NB_Allocataires_Minima;NB_Allocataires_Dependants_50\n",
    );
    let mut defm = String::from("codgeo,libelle,date,defm_a,defm_abc,defm_abc_femmes,defm_abc_moins_26,defm_abc_plus_2_ans\n");
    let count = |v: f64| {
        if v < 5.0 {
            "s".to_string()
        } else {
            format!("{v:.0}")
        }
    };
    let units = communes
        .iter()
        .map(|c| {
            (
                c.code.clone(),
                c.name.replace([',', ';'], " "),
                population.get(&c.code).copied().unwrap_or(0) as f64,
            )
        })
        .chain(
            qpv_codes
                .iter()
                .map(|q| (q.clone(), "QPV synthétique".to_string(), 0.0)),
        );
    for (code, name, pop) in units {
        for &year in &args.vintages {
            let mut r = Rng::new(args.seed ^ (year as u64) << 2, &code);
            let pop = if pop > 0.0 {
                pop
            } else {
                r.range(1000.0, 10000.0)
            };
            let alloc = (pop * r.range(0.15, 0.30)).round();
            let fam = (alloc * r.range(0.40, 0.60)).round();
            let mono = (fam * r.range(0.15, 0.35)).round();
            let minima = (alloc * r.range(0.10, 0.30)).round();
            let dep = (alloc * r.range(0.15, 0.35)).round();
            writeln!(
                caf,
                "{code};{name};31/12/{year};{};{};{};{};{}",
                count(alloc),
                count(fam),
                count(mono),
                count(minima),
                count(dep)
            )?;
            let abc = (pop * r.range(0.04, 0.10)).round();
            let a = (abc * r.range(0.50, 0.65)).round();
            let (f, j, l) = (
                (abc * r.range(0.40, 0.55)).round(),
                (abc * r.range(0.10, 0.25)).round(),
                (abc * r.range(0.20, 0.40)).round(),
            );
            writeln!(
                defm,
                "{code},{name},31/12/{year},{},{},{},{},{}",
                count(a),
                count(abc),
                count(f),
                count(j),
                count(l)
            )?;
        }
    }
    std::fs::write(sources.join("caf_allocataires_synthetique.csv"), caf)?;
    std::fs::write(sources.join("defm_synthetique.csv"), defm)?;
    writeln!(
        manifest,
        "[[source]]\nid = \"caf\"\nfile = \"sources/caf_allocataires_synthetique.csv\"\ntitle = \"Allocataires CAF (SYNTHÉTIQUE)\"\n\
         producer = \"bcs synth\"\nprofile = \"caf_allocataires\"\n\n\
         [[source]]\nid = \"defm\"\nfile = \"sources/defm_synthetique.csv\"\ntitle = \"Demandeurs d'emploi (SYNTHÉTIQUE)\"\n\
         producer = \"bcs synth\"\nprofile = \"france_travail_defm\"\n"
    )?;
    Ok(())
}

/// Names of census columns the catalogue does not read, in the producers'
/// style: population by sex and age band, by socio-professional group, and
/// housing details.
fn filler_columns(yy: i32) -> Vec<String> {
    let bands = [
        "0002", "0305", "0610", "1117", "1824", "2539", "4054", "5564", "6579", "80P", "0014",
        "1529", "3044", "4559",
    ];
    let mut out = vec![];
    for sex in ["POP", "H", "F"] {
        for b in bands {
            out.push(format!("P{yy}_{sex}{b}"));
        }
    }
    for who in ["POP15P", "H15P", "F15P", "POP1564", "H1564", "F1564"] {
        for cs in 1..=8 {
            out.push(format!("C{yy}_{who}_CS{cs}"));
        }
    }
    for what in [
        "RP",
        "RPMAISON",
        "RPAPPART",
        "RP_PROP",
        "RP_LOC",
        "RP_LOCHLMV",
        "RP_GRAT",
        "MAISON",
        "APPART",
        "RSECOCC",
    ] {
        for size in [
            "",
            "_1P",
            "_2P",
            "_3P",
            "_4P",
            "_5PP",
            "_M30M2",
            "_3040M2",
            "_4060M2",
            "_6080M2",
            "_80100M2",
            "_100120M2",
            "_120M2P",
        ] {
            out.push(format!("P{yy}_{what}{size}"));
        }
    }
    // P{yy}_RP is one of the columns read.
    out.retain(|c| c != &format!("P{yy}_RP"));
    out
}

/// Populations légales by commune code, as the scale of the synthetic values.
fn read_populations(dir: &Path) -> Result<Populations> {
    let mut r = csv::Reader::from_path(dir.join("communes.csv"))?;
    let h = r.headers()?.clone();
    let (code, pop) = (
        h.iter()
            .position(|x| x == "code")
            .context("colonne code absente")?,
        h.iter()
            .position(|x| x == "population_municipale")
            .context("colonne population_municipale absente")?,
    );
    let mut out = std::collections::HashMap::new();
    for rec in r.records() {
        let rec = rec?;
        out.insert(rec[code].to_string(), rec[pop].parse().unwrap_or(0));
    }
    Ok(out)
}
