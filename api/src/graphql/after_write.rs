//! After a mutation, this process forgets what it keeps of the data (cached answers and the
//! reference data) before it answers, so that the writer's next request sees its write. Other
//! processes learn of the change from the database's notification, a moment later.
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Response, ServerResult, Variables};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Installs [`AfterWrite`] on every request.
pub struct AfterWriteFactory;

impl ExtensionFactory for AfterWriteFactory {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AfterWrite::default())
    }
}

/// One per request: remembers whether the request holds a mutation.
#[derive(Default)]
pub struct AfterWrite {
    mutation: AtomicBool,
}

#[async_graphql::async_trait::async_trait]
impl Extension for AfterWrite {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let mutation =
            document.operations.iter().any(|(_, op)| op.node.ty == OperationType::Mutation);
        self.mutation.store(mutation, Ordering::Release);
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        if self.mutation.load(Ordering::Acquire) {
            // refused mutations too: cheap, and never wrong
            if let Some(rc) = ctx.data_opt::<super::RequestContext>() {
                rc.reference.changed();
            }
        }
        response
    }
}
