//! Writes of the indicator tree: a new indicator goes after its parent's last descendant, so
//! that the tree keeps its presentation order.
use entity::indicator;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

/// A raw indicator to add under a composite.
#[derive(Debug, Clone)]
pub struct NewIndicator {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub parent: indicator::Model,
}

#[tracing::instrument(skip(db, new), fields(slug = %new.slug))]
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewIndicator,
) -> Result<indicator::Model, DbErr> {
    let tree = super::catalog::indicators(db).await?;
    let mut subtree = vec![new.parent.id];
    let mut last = new.parent.position;
    // the tree is in presentation order, parents first: one pass finds every descendant
    for node in &tree {
        if node.parent_id.is_some_and(|p| subtree.contains(&p)) {
            subtree.push(node.id);
            last = last.max(node.position);
        }
    }
    indicator::Entity::update_many()
        .col_expr(indicator::Column::Position, Expr::col(indicator::Column::Position).add(1))
        .filter(indicator::Column::Position.gt(last))
        .exec(db)
        .await?;
    indicator::ActiveModel {
        slug: Set(new.slug),
        name: Set(new.name),
        description: Set(new.description),
        pillar: Set(new.parent.pillar),
        parent_id: Set(Some(new.parent.id)),
        position: Set(last + 1),
        is_composite: Set(false),
        ..Default::default()
    }
    .insert(db)
    .await
}
