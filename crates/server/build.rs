//! Rebuilds the server when the web UI is rebuilt: rust-embed includes the files of
//! `web/dist` that exist at compile time, and cargo cannot see new ones by itself.

fn main() {
    println!("cargo:rerun-if-changed=../../web/dist");
}
