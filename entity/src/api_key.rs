pub use crate::values::Role;
use sea_orm::entity::prelude::*;

/// A bearer key: its secret is stored only as a SHA-256 digest.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub role: Role,
    #[sea_orm(unique)]
    pub secret_sha256: String,
    pub created_at: DateTimeWithTimeZone,
    pub created_by: String,
    pub revoked_at: Option<DateTimeWithTimeZone>,
    /// Points per hour; `None`: the server's default for keys; 0: unlimited.
    pub rate_limit: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The audited mutations made with this key.
    #[sea_orm(has_many = "super::audit_entry::Entity")]
    AuditEntries,
}

impl Related<super::audit_entry::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AuditEntries.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
