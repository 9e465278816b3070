use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "narrative_indicators")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub narrative_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub indicator_id: i32,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::narrative::Entity",
        from = "Column::NarrativeId",
        to = "super::narrative::Column::Id"
    )]
    Narrative,
    #[sea_orm(
        belongs_to = "super::indicator::Entity",
        from = "Column::IndicatorId",
        to = "super::indicator::Column::Id"
    )]
    Indicator,
}

impl Related<super::narrative::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Narrative.def()
    }
}

impl Related<super::indicator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Indicator.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
