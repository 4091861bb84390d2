//! The default rule pack (`rules/`) and the templates (`templates/`) are
//! embedded in the binary: rebuild when any file in them changes.
fn main() {
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=grammar");
}
