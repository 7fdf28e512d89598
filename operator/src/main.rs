//! `vexfs-operator` entry point.

fn main() {
    println!("vexfs-operator");
}
