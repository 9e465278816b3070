//! API keys: stored by the digest of their secret, revoked rather than deleted.
use entity::api_key::{self, Role};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

pub async fn by_name<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<api_key::Model>, DbErr> {
    api_key::Entity::find().filter(api_key::Column::Name.eq(name)).one(db).await
}

/// Every key, revoked ones included, oldest first.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<api_key::Model>, DbErr> {
    api_key::Entity::find().order_by_asc(api_key::Column::Id).all(db).await
}

#[tracing::instrument(skip(db, digest))]
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    name: &str,
    role: Role,
    digest: &str,
    created_by: &str,
    rate_limit: Option<i32>,
) -> Result<api_key::Model, DbErr> {
    api_key::ActiveModel {
        name: Set(name.to_owned()),
        role: Set(role),
        secret_sha256: Set(digest.to_owned()),
        created_by: Set(created_by.to_owned()),
        rate_limit: Set(rate_limit.map(i64::from)),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Marks a key revoked now; a key revoked earlier keeps its first revocation time.
#[tracing::instrument(skip(db))]
pub async fn revoke<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), DbErr> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::cust("COALESCE(revoked_at, now())"))
        .filter(api_key::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}
