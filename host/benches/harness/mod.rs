//! The `connect` benchmark harness: every figure of issue 6 next to its
//! target, in one run.
//!
//! `cargo bench -p connect-host --bench connect` runs it in full (release
//! profile); `host/tests/bench_smoke.rs` runs the same code in smoke mode
//! (tiny counts, no targets checked) inside `cargo test`, so it never rots.
//! See `BENCHMARKS.md` at the repository root for the figures.

pub mod cache;
pub mod child;
pub mod load;
pub mod memory;
pub mod native;
pub mod nodes;
pub mod outbox;
pub mod quotes;
pub mod refresh;
pub mod service;
pub mod setup;
pub mod stats;
pub mod throughput;

use std::fmt::Write as _;
use std::time::Instant;

pub use child::Relaunch;

/// Full measurement, or the quick check that every figure is produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Full,
    Smoke,
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    pub mode: Mode,
    /// Sections to run (`warm`, `cold`, `throughput`, `memory`, `load`,
    /// `refresh`, `rest`, `outbox`, `cache`); empty: all.
    pub only: Vec<String>,
    pub relaunch: Relaunch,
}

impl Options {
    /// From the command line of the bench binary (`cargo bench` adds
    /// `--bench`, which is ignored).
    pub fn from_args() -> Self {
        let mut mode = Mode::Full;
        let mut only = Vec::new();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--smoke" => mode = Mode::Smoke,
                "--only" => {
                    if let Some(list) = args.next() {
                        only.extend(list.split(',').map(str::to_owned));
                    }
                }
                "--help" | "-h" => {
                    println!(
                        "connect-bench [--smoke] [--only warm,cold,throughput,memory,load,refresh,rest,outbox,cache,nodes]"
                    );
                    std::process::exit(0);
                }
                _ => {} // `--bench` and friends from cargo
            }
        }
        Self {
            mode,
            only,
            relaunch: Relaunch {
                exe: std::env::current_exe().expect("current exe"),
                args: Vec::new(),
            },
        }
    }

    pub fn runs(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }

    pub fn smoke(&self) -> bool {
        self.mode == Mode::Smoke
    }
}

/// How a figure is judged.
#[derive(Clone, Debug)]
pub enum Target {
    /// Reported only.
    None,
    /// Met when `value <= bound` (same unit as the value).
    AtMost(f64),
    /// Met when `value >= bound`.
    AtLeast(f64),
}

/// One printed figure.
#[derive(Clone, Debug)]
pub struct Figure {
    /// Stable identifier (`warm.runtime.median`), for the smoke test.
    pub key: String,
    /// Issue section (1..=8).
    pub section: u8,
    pub label: String,
    /// In base units: seconds, bytes, per second, or a plain ratio.
    pub value: f64,
    pub shown: String,
    pub target: Target,
    /// The target as written in the issue (`≤ 5 µs`), empty when none.
    pub target_text: String,
}

/// The figures produced so far, printed as they come.
pub struct Report {
    pub mode: Mode,
    pub figures: Vec<Figure>,
    pub errors: Vec<(String, String)>,
    pub notes: Vec<String>,
    started: Instant,
}

impl Report {
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            figures: Vec::new(),
            errors: Vec::new(),
            notes: Vec::new(),
            started: Instant::now(),
        }
    }

    fn status(&self, f: &Figure) -> &'static str {
        let met = match f.target {
            Target::None => return "",
            Target::AtMost(b) => f.value <= b,
            Target::AtLeast(b) => f.value >= b,
        };
        match (self.mode, met) {
            (Mode::Smoke, _) => "(smoke)",
            (Mode::Full, true) => "met",
            (Mode::Full, false) => "MISSED",
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        section: u8,
        key: &str,
        label: &str,
        value: f64,
        shown: String,
        target: Target,
        target_text: &str,
    ) {
        let f = Figure {
            key: key.to_owned(),
            section,
            label: label.to_owned(),
            value,
            shown,
            target,
            target_text: target_text.to_owned(),
        };
        println!(
            "  [{}] {:<58} {:>16}   {:<22} {}",
            f.section,
            f.label,
            f.shown,
            if f.target_text.is_empty() {
                String::new()
            } else {
                format!("target {}", f.target_text)
            },
            self.status(&f)
        );
        self.figures.push(f);
    }

    pub fn note(&mut self, note: String) {
        println!("      note: {note}");
        self.notes.push(note);
    }

    pub fn error(&mut self, section: &str, err: &anyhow::Error) {
        println!("  !! {section} failed: {err:#}");
        self.errors.push((section.to_owned(), format!("{err:#}")));
    }

    pub fn has(&self, key: &str) -> bool {
        self.figures.iter().any(|f| f.key == key)
    }

    /// The value of figure `key`, if this run produced it.
    pub fn value(&self, key: &str) -> Option<f64> {
        self.figures.iter().find(|f| f.key == key).map(|f| f.value)
    }

    /// The summary table (Markdown), as pasted into BENCHMARKS.md.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "| # | figure | value | target | status |");
        let _ = writeln!(out, "|---|---|---:|---|---|");
        for f in &self.figures {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                f.section,
                f.label,
                f.shown,
                f.target_text,
                self.status(f)
            );
        }
        for (section, err) in &self.errors {
            let _ = writeln!(out, "| - | {section} | ERROR | | {err} |");
        }
        out
    }
}

/// Runs every selected section and answers the report.
pub fn run(options: &Options) -> Report {
    let mut report = Report::new(options.mode);
    println!(
        "connect-bench ({} mode)",
        match options.mode {
            Mode::Full => "full",
            Mode::Smoke => "smoke",
        }
    );
    println!("{}", setup::machine().summary());
    if let Err(err) = run_sections(options, &mut report) {
        report.error("setup", &err);
    }
    println!();
    println!(
        "== summary ({:.1} s) ==",
        report.started.elapsed().as_secs_f64()
    );
    print!("{}", report.table());
    report
}

fn run_sections(options: &Options, report: &mut Report) -> anyhow::Result<()> {
    type Section = fn(&Options, &mut Report, &setup::Shared) -> anyhow::Result<()>;
    let sections: [(&str, &str, Section); 10] = [
        (
            "warm",
            "1. warm price quote (Tharstern, printIQ)",
            quotes::warm,
        ),
        (
            "cold",
            "2. new instance of a warm tenant (Tharstern, printIQ)",
            quotes::cold,
        ),
        (
            "throughput",
            "3. throughput of cached quotes",
            throughput::run,
        ),
        ("memory", "4. memory of 10,000 storefronts", memory::run),
        ("load", "5. plugin load", load::run),
        ("refresh", "6. catalogue refresh", refresh::run),
        ("rest", "7. REST price endpoint", service::rest),
        ("outbox", "8. outbox", outbox::run),
        ("cache", "9. cache backends", cache::run),
        (
            "nodes",
            "10. deployments: SQLite, PostgreSQL + Redis, 2 nodes",
            nodes::run,
        ),
    ];
    let shared = setup::Shared::start(options)?;
    for (name, title, section) in sections {
        if !options.runs(name) {
            continue;
        }
        println!();
        println!("== {title} ==");
        let started = Instant::now();
        if let Err(err) = section(options, report, &shared) {
            report.error(name, &err);
        }
        println!("   ({:.1} s)", started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Entry point of a child process; `true` when this process was one (the
/// caller then exits).
pub fn child_main() -> bool {
    let Some((role, params)) = child::role() else {
        return false;
    };
    let result = match role.as_str() {
        "sim" | "sim-printiq" => child::serve_sim(&role, &params).map(|()| serde_json::Value::Null),
        "bare" => child::serve_bare(&params).map(|()| serde_json::Value::Null),
        "memory" => memory::child(&params),
        "refresh" => refresh::child(&params),
        other => Err(anyhow::anyhow!("unknown child role {other}")),
    };
    match result {
        Ok(value) => {
            if !value.is_null() {
                child::answer(&value);
            }
            true
        }
        Err(err) => {
            eprintln!("bench child `{role}` failed: {err:#}");
            std::process::exit(1);
        }
    }
}
