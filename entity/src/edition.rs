pub use crate::values::EditionStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "editions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub year: i32,
    pub title: String,
    pub status: EditionStatus,
    pub published_at: Option<DateTimeWithTimeZone>,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The countries it covers, with their continent and region in it.
    #[sea_orm(has_many = "super::country_edition::Entity")]
    Memberships,
    /// The indicators of its set.
    #[sea_orm(has_many = "super::edition_indicator::Entity")]
    Indicators,
}

impl Related<super::country_edition::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Memberships.def()
    }
}

impl Related<super::edition_indicator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Indicators.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn is_published(&self) -> bool {
        self.status == EditionStatus::Published
    }
}
