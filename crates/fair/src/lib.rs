//! A counting semaphore whose waiters are served round-robin by user: how one user's
//! burst of work (500 LLM requests, a large repository to index) gets its share of a
//! bounded resource without making another user wait behind all of it.
//!
//! Each user has a FIFO of waiters; users with waiters form a ring. When a slot frees
//! up, the user at the front of the ring gets it and goes to the back of the ring if it
//! still has waiters. So a user with 500 queued requests and a user with one alternate:
//! the second user waits for at most one slot release per other waiting user.

use arranger_domain::UserId;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

struct Waiter {
    id: u64,
    tx: oneshot::Sender<SlotPermit>,
}

struct State {
    capacity: usize,
    in_use: usize,
    queued: usize,
    next_id: u64,
    queues: HashMap<UserId, VecDeque<Waiter>>,
    /// Users with at least one waiter, in service order.
    ring: VecDeque<UserId>,
}

/// A fair semaphore: `capacity` slots shared by every user, waiters served round-robin
/// by user. Cheap to clone; clones share the slots.
#[derive(Clone)]
pub struct FairQueue {
    state: Arc<Mutex<State>>,
}

/// One held slot; dropping it hands the slot to the next waiter.
pub struct SlotPermit {
    state: Option<Arc<Mutex<State>>>,
}

impl Drop for SlotPermit {
    fn drop(&mut self) {
        if let Some(state) = self.state.take() {
            release(&state);
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while holding this lock cannot leave the counters half-updated in a way
    // that matters more than stopping all LLM traffic would; keep going.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Gives a freed slot to the next live waiter, or returns it to the pool.
fn release(state: &Arc<Mutex<State>>) {
    let mut st = lock(state);
    while let Some(user) = st.ring.pop_front() {
        let (waiter, more) = match st.queues.get_mut(&user) {
            Some(queue) => (queue.pop_front(), !queue.is_empty()),
            None => (None, false),
        };
        if more {
            st.ring.push_back(user);
        } else {
            st.queues.remove(&user);
        }
        let Some(waiter) = waiter else { continue };
        st.queued -= 1;
        let permit = SlotPermit {
            state: Some(Arc::clone(state)),
        };
        match waiter.tx.send(permit) {
            Ok(()) => return,
            Err(mut unsent) => {
                // The waiter is gone; the slot stays ours to give. Defuse the permit
                // (its drop would re-enter this lock).
                unsent.state = None;
            }
        }
    }
    st.in_use -= 1;
}

/// Removes a waiter whose acquire future was dropped before it got a slot.
struct WaitGuard {
    state: Arc<Mutex<State>>,
    user: UserId,
    id: u64,
    armed: bool,
}

impl Drop for WaitGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut st = lock(&self.state);
        let Some(queue) = st.queues.get_mut(&self.user) else {
            return;
        };
        let before = queue.len();
        queue.retain(|w| w.id != self.id);
        let removed = before - queue.len();
        let empty = queue.is_empty();
        st.queued -= removed;
        if empty {
            st.queues.remove(&self.user);
            let user = &self.user;
            st.ring.retain(|u| u != user);
        }
    }
}

impl FairQueue {
    /// A queue with `capacity` slots (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                capacity: capacity.max(1),
                in_use: 0,
                queued: 0,
                next_id: 0,
                queues: HashMap::new(),
                ring: VecDeque::new(),
            })),
        }
    }

    /// Waits for a slot for `user`. `front` puts the waiter at the head of the user's
    /// own queue (for a retry of a request that already waited its turn). Cancel-safe:
    /// dropping the future leaves the queue.
    pub async fn acquire(&self, user: &UserId, front: bool) -> SlotPermit {
        let (rx, mut guard) = {
            let mut st = lock(&self.state);
            if st.in_use < st.capacity && st.queued == 0 {
                st.in_use += 1;
                return SlotPermit {
                    state: Some(Arc::clone(&self.state)),
                };
            }
            let (tx, rx) = oneshot::channel();
            let id = st.next_id;
            st.next_id += 1;
            let queue = st.queues.entry(user.clone()).or_default();
            let was_empty = queue.is_empty();
            if front {
                queue.push_front(Waiter { id, tx });
            } else {
                queue.push_back(Waiter { id, tx });
            }
            if was_empty {
                st.ring.push_back(user.clone());
            }
            st.queued += 1;
            let guard = WaitGuard {
                state: Arc::clone(&self.state),
                user: user.clone(),
                id,
                armed: true,
            };
            (rx, guard)
        };
        match rx.await {
            Ok(permit) => {
                guard.armed = false;
                permit
            }
            // Unreachable while `self` is alive (the state owns every sender); waiting
            // forever would be worse than proceeding without a slot.
            Err(_) => {
                guard.armed = false;
                SlotPermit { state: None }
            }
        }
    }

    /// Slots in use and waiters queued.
    pub fn stats(&self) -> (usize, usize) {
        let st = lock(&self.state);
        (st.in_use, st.queued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn settle() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn round_robin_between_users() {
        let q = FairQueue::new(1);
        let held = q.acquire(&UserId::from("a"), false).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (q, order) = (q.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let p = q.acquire(&UserId::from("a"), false).await;
                order.lock().unwrap().push(format!("a{i}"));
                tokio::time::sleep(Duration::from_millis(1)).await;
                drop(p);
            }));
            settle().await;
        }
        let (q2, order2) = (q.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            let p = q2.acquire(&UserId::from("b"), false).await;
            order2.lock().unwrap().push("b".to_owned());
            drop(p);
        }));
        settle().await;
        assert_eq!(q.stats(), (1, 6));
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        assert_eq!(order, ["a0", "b", "a1", "a2", "a3", "a4"]);
        assert_eq!(q.stats(), (0, 0));
    }

    #[tokio::test]
    async fn dropped_waiters_leave_the_queue() {
        let q = FairQueue::new(1);
        let held = q.acquire(&UserId::from("a"), false).await;
        let waiting = tokio::spawn({
            let q = q.clone();
            async move { q.acquire(&UserId::from("b"), false).await }
        });
        settle().await;
        assert_eq!(q.stats(), (1, 1));
        waiting.abort();
        let _ = waiting.await;
        assert_eq!(q.stats(), (1, 0));
        drop(held);
        assert_eq!(q.stats(), (0, 0));
        let _again = q.acquire(&UserId::from("c"), false).await;
        assert_eq!(q.stats(), (1, 0));
    }

    #[tokio::test]
    async fn front_waiters_go_first_within_their_user() {
        let q = FairQueue::new(1);
        let held = q.acquire(&UserId::from("a"), false).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, front) in [("normal", false), ("retry", true)] {
            let (q, order) = (q.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _p = q.acquire(&UserId::from("a"), front).await;
                order.lock().unwrap().push(name);
            }));
            settle().await;
        }
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["retry", "normal"]);
    }
}
