use sea_orm::entity::prelude::*;

/// A score as entered for a raw indicator.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub edition_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub country_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub indicator_id: i32,
    pub is_composite: bool,
    pub value: Decimal,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The country's membership of the edition.
    #[sea_orm(
        belongs_to = "super::country_edition::Entity",
        from = "(Column::EditionId, Column::CountryId)",
        to = "(super::country_edition::Column::EditionId, super::country_edition::Column::CountryId)"
    )]
    Membership,
    /// The indicator's place in the edition's set.
    #[sea_orm(
        belongs_to = "super::edition_indicator::Entity",
        from = "(Column::EditionId, Column::IndicatorId)",
        to = "(super::edition_indicator::Column::EditionId, super::edition_indicator::Column::IndicatorId)"
    )]
    EditionIndicator,
    /// The indicator itself, whose `is_composite` the score repeats.
    #[sea_orm(
        belongs_to = "super::indicator::Entity",
        from = "(Column::IndicatorId, Column::IsComposite)",
        to = "(super::indicator::Column::Id, super::indicator::Column::IsComposite)"
    )]
    Indicator,
}

impl Related<super::country_edition::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Membership.def()
    }
}

impl Related<super::edition_indicator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EditionIndicator.def()
    }
}

impl Related<super::indicator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Indicator.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
