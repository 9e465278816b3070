//! OCIndex: a GraphQL API over the Global Organized Crime Index.
pub mod auth;
pub mod cache;
pub mod config;
pub mod database;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod healthcheck;
pub mod http;
pub mod import;
pub mod methodology;
pub mod reference_data;
pub mod repo;
pub mod startup;
pub mod telemetry;
pub mod webhooks;
pub mod workflow;
