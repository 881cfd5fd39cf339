//! The DESIGN §5 budget as PASS/MISS lines.

/// One target: what was measured against what was promised.
pub struct Target {
    pub name: String,
    pub pass: bool,
    pub measured: String,
    pub goal: String,
}

/// Every target checked in one run, in the order checked.
#[derive(Default)]
pub struct Targets(Vec<Target>);

impl Targets {
    pub fn check(
        &mut self,
        name: impl Into<String>,
        pass: bool,
        measured: impl Into<String>,
        goal: impl Into<String>,
    ) {
        self.0.push(Target {
            name: name.into(),
            pass,
            measured: measured.into(),
            goal: goal.into(),
        });
    }

    /// A target whose measurement could not be made counts as missed.
    pub fn not_measured(&mut self, name: impl Into<String>, why: impl Into<String>, goal: &str) {
        self.check(name, false, format!("not measured: {}", why.into()), goal);
    }

    pub fn misses(&self) -> usize {
        self.0.iter().filter(|t| !t.pass).count()
    }

    pub fn print(&self) {
        println!("\n== Targets (DESIGN §5) ==");
        for t in &self.0 {
            let verdict = if t.pass { "PASS" } else { "MISS" };
            println!(
                "[{verdict}] {}: {} (target: {})",
                t.name, t.measured, t.goal
            );
        }
        println!(
            "{} of {} targets met, {} missed",
            self.0.len() - self.misses(),
            self.0.len(),
            self.misses()
        );
    }
}
