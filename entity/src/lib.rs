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

#[cfg(test)]
mod relations {
    use super::*;
    use sea_orm::{DbBackend, EntityTrait, QueryTrait, Related};

    fn joined<E: EntityTrait + Related<R>, R: EntityTrait>(related: R) -> String {
        E::find().inner_join(related).build(DbBackend::Postgres).to_string()
    }

    #[test]
    fn each_foreign_key_is_walkable_from_both_ends() {
        // the parent's has_many is the child's belongs_to reversed: the same join condition
        let on = r#""countries"."id" = "country_editions"."country_id""#;
        assert!(joined::<country::Entity, _>(country_edition::Entity).contains(on));
        let on = r#""api_keys"."id" = "audit_log"."api_key_id""#;
        assert!(joined::<api_key::Entity, _>(audit_entry::Entity).contains(on));
        let on = r#""editions"."id" = "edition_indicators"."edition_id""#;
        assert!(joined::<edition::Entity, _>(edition_indicator::Entity).contains(on));
        // composite keys keep both columns
        let sql = joined::<country_edition::Entity, _>(figure::Entity);
        assert!(
            sql.contains(r#""country_editions"."edition_id" = "figures"."edition_id""#),
            "{sql}"
        );
        assert!(
            sql.contains(r#""country_editions"."country_id" = "figures"."country_id""#),
            "{sql}"
        );
    }
}
