//! Narratives: replaced per country and edition, never duplicated; read per country and
//! edition, and searched in full text.
use entity::{country, country_alias, indicator, narrative, narrative_indicator};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    Set, Statement, Value,
};
use std::collections::{HashMap, HashSet};

/// A narrative to store, with the indicators it covers in order.
pub struct NewNarrative {
    pub heading: Option<String>,
    pub body: String,
    pub indicator_ids: Vec<i32>,
}

/// Replaces the narratives of a country in an edition by `narratives`, in their order.
#[tracing::instrument(skip(db, narratives), fields(count = narratives.len()))]
pub async fn replace<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    country_id: i32,
    narratives: &[NewNarrative],
) -> Result<(), DbErr> {
    narrative::Entity::delete_many()
        .filter(narrative::Column::EditionId.eq(edition_id))
        .filter(narrative::Column::CountryId.eq(country_id))
        .exec(db)
        .await?;
    for (position, new) in narratives.iter().enumerate() {
        let stored = narrative::Entity::insert(narrative::ActiveModel {
            edition_id: Set(edition_id),
            country_id: Set(country_id),
            heading: Set(new.heading.clone()),
            body: Set(new.body.clone()),
            position: Set(position as i32),
            ..Default::default()
        })
        .exec(db)
        .await?;
        if new.indicator_ids.is_empty() {
            continue;
        }
        narrative_indicator::Entity::insert_many(new.indicator_ids.iter().enumerate().map(
            |(k, &indicator_id)| narrative_indicator::ActiveModel {
                narrative_id: Set(stored.last_insert_id),
                indicator_id: Set(indicator_id),
                position: Set(k as i32),
            },
        ))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Whether the narratives of a country in an edition are `narratives` already: the same
/// headings, texts and indicators, in the same order. A re-import compares before it writes,
/// so that storing what is stored rewrites no row.
#[tracing::instrument(skip(db, narratives), fields(count = narratives.len()))]
pub async fn stored_as<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    country_id: i32,
    narratives: &[NewNarrative],
) -> Result<bool, DbErr> {
    let stored = narrative::Entity::find()
        .filter(narrative::Column::EditionId.eq(edition_id))
        .filter(narrative::Column::CountryId.eq(country_id))
        .order_by_asc(narrative::Column::Position)
        .all(db)
        .await?;
    if stored.len() != narratives.len() {
        return Ok(false);
    }
    let ids: Vec<i32> = stored.iter().map(|n| n.id).collect();
    let mut covered: HashMap<i32, Vec<i32>> = HashMap::new();
    for link in indicators_of(db, &ids).await? {
        covered.entry(link.narrative_id).or_default().push(link.indicator_id);
    }
    Ok(stored.iter().zip(narratives).enumerate().all(|(position, (old, new))| {
        old.position == position as i32
            && old.heading == new.heading
            && old.body == new.body
            && covered.get(&old.id).map_or(&[][..], Vec::as_slice) == new.indicator_ids.as_slice()
    }))
}

/// Every spelling of every country's name, as (ISO3, spelling): narrative texts are told
/// apart by the countries they name.
#[tracing::instrument(skip(db))]
pub async fn country_spellings<C: ConnectionTrait>(db: &C) -> Result<Vec<(String, String)>, DbErr> {
    let iso3: HashMap<i32, String> =
        country::Entity::find().all(db).await?.into_iter().map(|c| (c.id, c.iso3)).collect();
    let aliases = country_alias::Entity::find().all(db).await?;
    Ok(aliases
        .into_iter()
        .filter_map(|a| iso3.get(&a.country_id).map(|c| (c.clone(), a.alias)))
        .collect())
}

/// Gives indicators that have no description the one a narrative text printed; an
/// indicator that has one keeps it. Returns how many were described.
#[tracing::instrument(skip(db, descriptions), fields(count = descriptions.len()))]
pub async fn describe_indicators<C: ConnectionTrait>(
    db: &C,
    descriptions: &[(i32, String)],
) -> Result<usize, DbErr> {
    let mut described = 0;
    for (id, text) in descriptions {
        let result = indicator::Entity::update_many()
            .col_expr(indicator::Column::Description, Expr::value(text.clone()))
            .filter(indicator::Column::Id.eq(*id))
            .filter(indicator::Column::Description.is_null())
            .exec(db)
            .await?;
        described += result.rows_affected as usize;
    }
    Ok(described)
}

/// The narratives of several (country, edition) pairs, each pair's in order.
#[tracing::instrument(skip(db, keys), fields(keys = keys.len()))]
pub async fn for_countries<C: ConnectionTrait>(
    db: &C,
    keys: &[(i32, i32)],
) -> Result<Vec<narrative::Model>, DbErr> {
    let rows = narrative::Entity::find()
        .filter(narrative::Column::CountryId.is_in(keys.iter().map(|k| k.0)))
        .filter(narrative::Column::EditionId.is_in(keys.iter().map(|k| k.1)))
        .order_by_asc(narrative::Column::Position)
        .all(db)
        .await?;
    let wanted: HashSet<_> = keys.iter().copied().collect();
    Ok(rows.into_iter().filter(|n| wanted.contains(&(n.country_id, n.edition_id))).collect())
}

/// The indicators several narratives cover, each narrative's in order.
#[tracing::instrument(skip(db, narrative_ids), fields(count = narrative_ids.len()))]
pub async fn indicators_of<C: ConnectionTrait>(
    db: &C,
    narrative_ids: &[i32],
) -> Result<Vec<narrative_indicator::Model>, DbErr> {
    narrative_indicator::Entity::find()
        .filter(narrative_indicator::Column::NarrativeId.is_in(narrative_ids.iter().copied()))
        .order_by_asc(narrative_indicator::Column::NarrativeId)
        .order_by_asc(narrative_indicator::Column::Position)
        .all(db)
        .await
}

/// What a full-text search looks for: web-search syntax ("quoted phrases", -excluded words,
/// or) in English stemming, within one edition, optionally one country and narratives that
/// cover one of `indicator_ids`.
#[derive(Clone, Debug)]
pub struct Search {
    pub query: String,
    pub edition_id: i32,
    pub country_id: Option<i32>,
    /// Empty: any indicator.
    pub indicator_ids: Vec<i32>,
}

/// One narrative that matches a search, with its rank and the matching passage.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Hit {
    #[sea_orm(nested)]
    pub narrative: narrative::Model,
    pub rank: f32,
    /// HTML: the text escaped, the matches in `<mark>`.
    pub snippet: String,
}

/// Matching passages: up to two fragments of about 15 to 35 words.
const HEADLINE_OPTIONS: &str =
    "StartSel=<mark>, StopSel=</mark>, MinWords=15, MaxWords=35, MaxFragments=2, FragmentDelimiter=\" … \"";

impl Search {
    /// The WHERE clause over `narratives n` and `q.query`, with its values after `first`.
    fn condition(&self, values: &mut Vec<Value>) -> String {
        values.push(self.edition_id.into());
        let mut sql = format!("n.search @@ q.query AND n.edition_id = ${}", values.len());
        if let Some(country_id) = self.country_id {
            values.push(country_id.into());
            sql.push_str(&format!(" AND n.country_id = ${}", values.len()));
        }
        if !self.indicator_ids.is_empty() {
            let mut params = Vec::new();
            for id in &self.indicator_ids {
                values.push((*id).into());
                params.push(format!("${}", values.len()));
            }
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM narrative_indicators ni WHERE ni.narrative_id = n.id AND ni.indicator_id IN ({}))",
                params.join(", ")
            ));
        }
        sql
    }
}

/// How many narratives match, or `None` when the query has no word to search for (only
/// punctuation or stop words such as "the").
#[tracing::instrument(skip(db))]
pub async fn search_count<C: ConnectionTrait>(
    db: &C,
    search: &Search,
) -> Result<Option<usize>, DbErr> {
    let mut values: Vec<Value> = vec![search.query.clone().into()];
    let condition = search.condition(&mut values);
    let sql = format!(
        "SELECT numnode(q.query) AS nodes,
                (SELECT count(*) FROM narratives n WHERE {condition}) AS total
         FROM (SELECT websearch_to_tsquery('english', $1) AS query) q"
    );
    let row = db
        .query_one(Statement::from_sql_and_values(db.get_database_backend(), sql, values))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let nodes: i32 = row.try_get("", "nodes")?;
    let total: i64 = row.try_get("", "total")?;
    Ok((nodes > 0).then_some(total as usize))
}

/// The matching narratives from `offset` on, best first, at most `limit` of them.
#[tracing::instrument(skip(db))]
pub async fn search_page<C: ConnectionTrait>(
    db: &C,
    search: &Search,
    offset: usize,
    limit: usize,
) -> Result<Vec<Hit>, DbErr> {
    let mut values: Vec<Value> = vec![search.query.clone().into()];
    let condition = search.condition(&mut values);
    values.push((limit as i64).into());
    let limit_at = values.len();
    values.push((offset as i64).into());
    let offset_at = values.len();
    values.push(HEADLINE_OPTIONS.into());
    let options_at = values.len();
    // the headline is made for the page only; the text is escaped so the marks are its only tags
    let sql = format!(
        "WITH q AS (SELECT websearch_to_tsquery('english', $1) AS query),
         hits AS (
             SELECT n.id, n.edition_id, n.country_id, n.heading, n.body, n.position,
                    ts_rank(n.search, q.query) AS rank
             FROM narratives n CROSS JOIN q
             WHERE {condition}
             ORDER BY rank DESC, n.id
             LIMIT ${limit_at} OFFSET ${offset_at})
         SELECT hits.*, ts_headline('english',
                    replace(replace(replace(hits.body, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
                    q.query, ${options_at}) AS snippet
         FROM hits CROSS JOIN q
         ORDER BY hits.rank DESC, hits.id"
    );
    Hit::find_by_statement(Statement::from_sql_and_values(db.get_database_backend(), sql, values))
        .all(db)
        .await
}

/// One narrative by id.
pub async fn by_id<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<narrative::Model>, DbErr> {
    narrative::Entity::find_by_id(id).one(db).await
}
