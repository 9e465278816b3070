//! Fingerprints the sources that shape a migrated or imported database, so that the tests'
//! template databases are rebuilt exactly when those sources change; and says, where the
//! person running the tests sees it, when the shared data is missing and the tests that read
//! it will skip.
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;

fn main() {
    let mut hasher = DefaultHasher::new();
    for dir in ["../migration/src", "../entity/src", "../api/src", "../api/sample"] {
        println!("cargo:rerun-if-changed={dir}");
        hash_dir(Path::new(dir), &mut hasher);
    }
    println!("cargo:rustc-env=OCINDEX_SOURCE_FINGERPRINT={:016x}", hasher.finish());
    warn_of_missing_shared_data();
}

/// Cargo shows a build script's warnings on every build of the tests, not only the first, so
/// a clone without `../shared` is told each time that part of the suite does not run (under
/// CI those tests fail instead of skipping).
fn warn_of_missing_shared_data() {
    for (variable, relative) in
        [("OCINDEX_DATASET", "data/global_oc_index.xlsx"), ("OCINDEX_SEEDS", "seeds")]
    {
        println!("cargo:rerun-if-env-changed={variable}");
        let path = std::env::var_os(variable)
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| Path::new("../../shared").join(relative));
        println!("cargo:rerun-if-changed={}", path.display());
        if !path.exists() {
            println!(
                "cargo:warning=SKIPPED: {} not found (set {variable}); the tests that read it \
                 skip (CI fails them)",
                path.display()
            );
        }
    }
}

fn hash_dir(dir: &Path, hasher: &mut DefaultHasher) {
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            hash_dir(&path, hasher);
        } else if let Ok(bytes) = std::fs::read(&path) {
            path.to_string_lossy().hash(hasher);
            bytes.hash(hasher);
        }
    }
}
