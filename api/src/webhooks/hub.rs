//! Every server hears every edition event: one database listener per process on
//! [`CHANNEL`](super::CHANNEL), fanned out in memory to the webhook worker (as a wake-up call)
//! and to GraphQL subscribers. A notification is sent by Postgres only when the transaction
//! that wrote the event commits, so nobody hears of a change that was rolled back.
use super::{EditionEvent, CHANNEL};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Events kept for a subscriber that is slow to read; beyond that it misses the oldest.
const BUFFER: usize = 256;

pub struct EventHub {
    sender: broadcast::Sender<Arc<EditionEvent>>,
}

impl Default for EventHub {
    fn default() -> Self {
        Self { sender: broadcast::channel(BUFFER).0 }
    }
}

impl EventHub {
    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<EditionEvent>> {
        self.sender.subscribe()
    }

    fn publish(&self, payload: &str) {
        match serde_json::from_str::<EditionEvent>(payload) {
            // no receiver is no error: nobody is subscribed right now
            Ok(event) => drop(self.sender.send(Arc::new(event))),
            Err(err) => tracing::warn!(error = %err, payload, "an edition event that is not one"),
        }
    }

    /// Listens for as long as the process lives, reconnecting after failures. Returns once the
    /// first attempt to listen has succeeded or failed, so that events are heard from the
    /// server's first request on.
    pub async fn listen(self: Arc<Self>, database_url: String) {
        crate::notifications::listen(database_url, CHANNEL, "the edition events", self).await;
    }
}

impl crate::notifications::Subscriber for EventHub {
    fn connected(&self, _gap: Option<std::time::Duration>) {}

    fn notified(&self, payload: &str) {
        self.publish(payload);
    }

    fn lost(&self) {
        // webhook deliveries are not lost (the worker polls the outbox), but subscribers miss
        // what happens until we are back
    }
}
