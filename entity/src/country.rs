use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "countries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub iso3: String,
    pub name: String,
    #[sea_orm(unique)]
    pub slug: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The spellings of its name that the importers resolve.
    #[sea_orm(has_many = "super::country_alias::Entity")]
    Aliases,
    /// Its membership of each edition that covers it (continent and region).
    #[sea_orm(has_many = "super::country_edition::Entity")]
    Memberships,
    /// How its figures changed between editions.
    #[sea_orm(has_many = "super::figure_change::Entity")]
    Changes,
}

impl Related<super::country_alias::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Aliases.def()
    }
}

impl Related<super::country_edition::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Memberships.def()
    }
}

impl Related<super::figure_change::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Changes.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
