//! The committed SDL is the served schema: partners diff it to see what changed.
#[test]
fn schema_graphql_matches_the_served_schema() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let served = ocindex::graphql::schema().sdl();
    if std::env::var_os("OCINDEX_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &served).expect("writing schema.graphql");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == served,
        "schema.graphql is out of date: run `cargo run -p ocindex -- schema > schema.graphql` \
         (or this test with OCINDEX_UPDATE_SCHEMA=1)"
    );
}
