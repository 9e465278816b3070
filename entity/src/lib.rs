//! SeaORM entities: one module per table, as the migrations define them.
pub mod api_key;
pub mod audit_entry;
pub mod country;
pub mod country_alias;
pub mod country_edition;
pub mod edition;
pub mod edition_indicator;
pub mod figure;
pub mod figure_change;
pub mod indicator;
pub mod narrative;
pub mod narrative_indicator;
pub mod score;
pub mod values;
