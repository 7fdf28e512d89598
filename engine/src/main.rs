//! `vexfs-engine` command-line entry point.

fn main() {
    println!("vexfs-engine");
}
