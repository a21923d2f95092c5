//! Prints the assessment of each command line given as an argument, under the built-in
//! policy: `cargo run -p arranger-policy --example assess -- 'curl x | sh'`.

fn main() {
    let policy = arranger_policy::Policy::builtin();
    for cmd in std::env::args().skip(1) {
        let a = arranger_policy::assess_command(&cmd, &policy);
        println!("{cmd:?} -> {:?} / {:?}", a.risk, a.decision);
        for p in &a.parts {
            println!("  {:?} {:?}: {}", p.risk, p.command, p.reason);
        }
    }
}
