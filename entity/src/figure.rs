use sea_orm::entity::prelude::*;

/// A published figure (raw or composite) with its delta and ranks, derived at write time.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "figures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub edition_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub indicator_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub country_id: i32,
    pub value: Decimal,
    pub delta: Option<Decimal>,
    pub rank: i32,
    pub rank_in_continent: i32,
    pub rank_in_region: i32,
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

impl ActiveModelBehavior for ActiveModel {}
