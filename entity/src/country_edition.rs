pub use crate::values::Continent;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "country_editions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub edition_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub country_id: i32,
    pub continent: Continent,
    pub region: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::edition::Entity",
        from = "Column::EditionId",
        to = "super::edition::Column::Id"
    )]
    Edition,
    #[sea_orm(
        belongs_to = "super::country::Entity",
        from = "Column::CountryId",
        to = "super::country::Column::Id"
    )]
    Country,
    /// The scores entered for the country in the edition.
    #[sea_orm(has_many = "super::score::Entity")]
    Scores,
    /// The figures derived for the country in the edition.
    #[sea_orm(has_many = "super::figure::Entity")]
    Figures,
    /// The experts' narratives on the country in the edition.
    #[sea_orm(has_many = "super::narrative::Entity")]
    Narratives,
}

impl Related<super::score::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Scores.def()
    }
}

impl Related<super::figure::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Figures.def()
    }
}

impl Related<super::narrative::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Narratives.def()
    }
}

impl Related<super::edition::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Edition.def()
    }
}

impl Related<super::country::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Country.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
