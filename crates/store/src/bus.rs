use arranger_domain::Event;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Where one user's committed events go. In one process this is a broadcast channel
/// ([`LocalBus`]); across nodes it would be Redis or NATS behind the same trait.
pub trait EventBus: Send + Sync + 'static {
    /// Publishes a committed event. Never blocks; slow subscribers lag and replay from
    /// the event log instead.
    fn publish(&self, event: Arc<Event>);
    /// A new subscription to events published from now on.
    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>>;
}

/// An in-process [`EventBus`]: a small tokio broadcast channel.
pub struct LocalBus {
    tx: broadcast::Sender<Arc<Event>>,
}

impl LocalBus {
    /// A bus holding at most `capacity` events for subscribers that fall behind.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        LocalBus { tx }
    }
}

impl EventBus for LocalBus {
    fn publish(&self, event: Arc<Event>) {
        // No subscriber is not an error: the event is in the log already.
        let _ = self.tx.send(event);
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}
