//! Hands the target triple to `awsenv version` (cargo gives it to build scripts only).

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=AWSENV_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
