//! Puts the IDE's assets into the binary, so that GraphiQL works where a browser reaches
//! nothing but this server: GraphiQL and React, production builds, at the versions and with
//! the integrity pinned below.
//!
//! The files come from npm's registry through npm itself (`npm pack`, which keeps them in its
//! cache, so later builds work offline), or from the directory `OCINDEX_IDE_ASSETS` names
//! (for builds without npm: the four files, by their names below). Each package is checked
//! against its pinned digest; the project's sources keep no copy of them. Without npm or the
//! files the build still succeeds, with a warning: the IDE then loads the same files from a
//! CDN, each checked by its pinned subresource integrity (see `src/http/ide.rs`).
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha512};
use std::path::{Path, PathBuf};
use std::process::Command;

/// npm packages: name, version, the registry's `dist.integrity` of the tarball, and the files
/// the IDE needs from it.
const PACKAGES: [(&str, &str, &str, &[&str]); 3] = [
    (
        "graphiql",
        "4.1.2",
        "sha512-rNlzQIAzm6i2KBXmVQWBgLvt0TloxFVB2d18bukvdsvjEuFDHsKx5IVOomL1W1o5WW+tE54+ioHb2AEKzO2cUg==",
        &["package/graphiql.min.js", "package/graphiql.min.css"],
    ),
    (
        "react",
        "18.3.1",
        "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
        &["package/umd/react.production.min.js"],
    ),
    (
        "react-dom",
        "18.3.1",
        "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        &["package/umd/react-dom.production.min.js"],
    ),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=OCINDEX_IDE_ASSETS");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let dir = out.join("ide");
    let found = match std::env::var_os("OCINDEX_IDE_ASSETS") {
        Some(given) => copy_from(Path::new(&given), &dir),
        None => fetch_with_npm(&dir),
    };
    let embedded = match found {
        Ok(()) => true,
        Err(reason) => {
            println!(
                "cargo:warning=the IDE's assets are not embedded ({reason}); GraphiQL will load \
                 them from a CDN. Install npm, or set OCINDEX_IDE_ASSETS, and rebuild."
            );
            false
        }
    };
    let mut code = format!(
        "/// Whether the IDE's assets are in the binary.\npub const EMBEDDED: bool = {embedded};\n"
    );
    for (_, _, _, files) in PACKAGES {
        for file in files {
            let name = file_name(file);
            let constant = name.replace(['.', '-'], "_").to_uppercase();
            let value = if embedded {
                format!("include_bytes!({:?})", dir.join(name).display().to_string())
            } else {
                "b\"\"".to_owned()
            };
            code.push_str(&format!("pub const {constant}: &[u8] = {value};\n"));
        }
    }
    std::fs::write(out.join("ide_assets.rs"), code).expect("writing ide_assets.rs");
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn copy_from(source: &Path, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for (_, _, _, files) in PACKAGES {
        for file in files {
            let name = file_name(file);
            std::fs::copy(source.join(name), dir.join(name))
                .map_err(|e| format!("{name} in {}: {e}", source.display()))?;
        }
    }
    Ok(())
}

fn fetch_with_npm(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for (name, version, integrity, files) in PACKAGES {
        let tarball = dir.join(format!("{name}-{version}.tgz"));
        if !tarball.exists() {
            let status = Command::new("npm")
                .args(["pack", &format!("{name}@{version}"), "--silent", "--prefer-offline"])
                .args(["--fetch-retries=1", "--fetch-timeout=20000", "--pack-destination"])
                .arg(dir)
                .stdout(std::process::Stdio::null())
                .status()
                .map_err(|e| format!("npm: {e}"))?;
            if !status.success() {
                return Err(format!("npm pack {name}@{version} failed"));
            }
        }
        let bytes = std::fs::read(&tarball).map_err(|e| e.to_string())?;
        let digest = format!("sha512-{}", STANDARD.encode(Sha512::digest(&bytes)));
        if digest != integrity {
            let _ = std::fs::remove_file(&tarball);
            return Err(format!("{name}@{version} does not match its pinned integrity"));
        }
        let status = Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(dir)
            .args(files.iter())
            .status()
            .map_err(|e| format!("tar: {e}"))?;
        if !status.success() {
            return Err(format!("unpacking {name}@{version} failed"));
        }
        for file in files {
            std::fs::rename(dir.join(file), dir.join(file_name(file)))
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
