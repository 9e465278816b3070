use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "edition_indicators")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub edition_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub indicator_id: i32,
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
        belongs_to = "super::indicator::Entity",
        from = "Column::IndicatorId",
        to = "super::indicator::Column::Id"
    )]
    Indicator,
    /// The scores entered for the indicator in the edition.
    #[sea_orm(has_many = "super::score::Entity")]
    Scores,
    /// The figures derived for the indicator in the edition.
    #[sea_orm(has_many = "super::figure::Entity")]
    Figures,
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

impl Related<super::edition::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Edition.def()
    }
}

impl Related<super::indicator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Indicator.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
