pub use crate::values::{AuditOutcome, Role};
use sea_orm::entity::prelude::*;

/// One recorded mutation attempt.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeWithTimeZone,
    pub actor: String,
    pub api_key_id: Option<i32>,
    pub role: Role,
    pub operation: String,
    pub edition: Option<i32>,
    pub counts: Json,
    pub outcome: AuditOutcome,
    pub code: Option<String>,
    pub message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The key the caller held; none for the bootstrap admin.
    #[sea_orm(
        belongs_to = "super::api_key::Entity",
        from = "Column::ApiKeyId",
        to = "super::api_key::Column::Id"
    )]
    ApiKey,
}

impl Related<super::api_key::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ApiKey.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
