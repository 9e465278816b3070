//! Integration tests: the real server over a real Postgres, one fresh database per test.
mod figures;
mod import;
mod narratives;
mod sample;
mod schema;
mod seeds;
