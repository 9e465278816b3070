use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "narratives")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub edition_id: i32,
    pub country_id: i32,
    pub heading: Option<String>,
    pub body: String,
    pub position: i32,
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
    /// The indicators it covers, in order.
    #[sea_orm(has_many = "super::narrative_indicator::Entity")]
    Indicators,
}

impl Related<super::narrative_indicator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Indicators.def()
    }
}

impl Related<super::country_edition::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Membership.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
