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
    pub role: String,
    pub operation: String,
    pub edition: Option<i32>,
    pub counts: Json,
    pub outcome: String,
    pub code: Option<String>,
    pub message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub const OK: &str = "OK";
pub const REFUSED: &str = "REFUSED";
pub const FAILED: &str = "FAILED";
