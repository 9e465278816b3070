//! Integration tests: the real server over a real Postgres, one fresh database per test.
mod auth;
mod editions;
mod figures;
mod fleet;
mod import;
mod limits;
mod migrations;
mod narratives;
mod observability;
mod performance;
mod process;
mod queries;
mod sample;
mod schema;
mod seeds;
mod statistics;
mod webhooks;
