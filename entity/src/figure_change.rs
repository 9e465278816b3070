use sea_orm::entity::prelude::*;

/// The change of a figure between two editions, computed on read (a view) from unrounded
/// values.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "figure_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub indicator_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub from_edition_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub to_edition_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub country_id: i32,
    pub change: Decimal,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::indicator::Entity",
        from = "Column::IndicatorId",
        to = "super::indicator::Column::Id"
    )]
    Indicator,
    #[sea_orm(
        belongs_to = "super::edition::Entity",
        from = "Column::FromEditionId",
        to = "super::edition::Column::Id"
    )]
    FromEdition,
    #[sea_orm(
        belongs_to = "super::edition::Entity",
        from = "Column::ToEditionId",
        to = "super::edition::Column::Id"
    )]
    ToEdition,
    #[sea_orm(
        belongs_to = "super::country::Entity",
        from = "Column::CountryId",
        to = "super::country::Column::Id"
    )]
    Country,
    /// The country's membership of the later edition (its continent and region there).
    #[sea_orm(
        belongs_to = "super::country_edition::Entity",
        from = "(Column::ToEditionId, Column::CountryId)",
        to = "(super::country_edition::Column::EditionId, super::country_edition::Column::CountryId)"
    )]
    Membership,
}

impl Related<super::indicator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Indicator.def()
    }
}

impl Related<super::country::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Country.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
