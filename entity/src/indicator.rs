pub use crate::values::Pillar;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "indicators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub pillar: Pillar,
    pub parent_id: Option<i32>,
    pub position: i32,
    pub is_composite: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The composite this indicator is averaged into.
    #[sea_orm(belongs_to = "Entity", from = "Column::ParentId", to = "Column::Id")]
    Parent,
    /// Its place in each edition's set.
    #[sea_orm(has_many = "super::edition_indicator::Entity")]
    Editions,
    /// The narratives that cover it.
    #[sea_orm(has_many = "super::narrative_indicator::Entity")]
    Narratives,
}

impl Related<super::edition_indicator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Editions.def()
    }
}

impl Related<super::narrative_indicator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Narratives.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
