//! One team's share of the process-wide gauge `arranger_tasks{status}`: the tasks of
//! every user whose context is in memory, by state.
//!
//! A team counts its user's tasks once at activation (one indexed query), then follows
//! its own committed events (`TaskCreated`, `TaskUpdated` with `from`), and takes its
//! counts back out of the gauge when it is dropped. No scrape ever reads a database.
//! Every state change also counts in `arranger_task_transitions_total{to}`.

use arranger_domain::{Event, EventKind, TaskStatus};
use std::sync::Mutex;

const GAUGE: &str = "arranger_tasks";

fn index(status: TaskStatus) -> usize {
    TaskStatus::ALL
        .iter()
        .position(|s| *s == status)
        .unwrap_or(0)
}

fn add(status: TaskStatus, delta: i64) {
    if delta != 0 {
        metrics::gauge!(GAUGE, "status" => status.as_str()).increment(delta as f64);
    }
}

#[derive(Default)]
struct Counts {
    /// By position in [`TaskStatus::ALL`].
    by_status: [i64; TaskStatus::ALL.len()],
    /// Events up to this `seq` are already in the counts.
    seen: u64,
}

/// What this team has added to the gauge.
#[derive(Default)]
pub(crate) struct TaskGauge {
    counts: Mutex<Counts>,
}

impl TaskGauge {
    /// Replaces this team's counts with a fresh reading taken when the newest event was
    /// `seq` (at activation, and after the team's listener fell behind).
    pub(crate) fn reset(&self, seq: u64, counts: &[(TaskStatus, u64)]) {
        let Ok(mut c) = self.counts.lock() else {
            return;
        };
        let mut fresh = [0i64; TaskStatus::ALL.len()];
        for (status, n) in counts {
            fresh[index(*status)] += i64::try_from(*n).unwrap_or(i64::MAX);
        }
        for (i, status) in TaskStatus::ALL.iter().enumerate() {
            add(*status, fresh[i] - c.by_status[i]);
        }
        c.by_status = fresh;
        c.seen = seq;
    }

    /// Follows one committed event of the user (older ones than the last reading are
    /// already counted and skipped).
    pub(crate) fn apply(&self, event: &Event) {
        let Ok(mut c) = self.counts.lock() else {
            return;
        };
        if event.seq <= c.seen {
            return;
        }
        c.seen = event.seq;
        match &event.kind {
            EventKind::TaskCreated { task } => {
                c.by_status[index(task.status)] += 1;
                add(task.status, 1);
            }
            EventKind::TaskUpdated {
                task,
                from: Some(from),
                ..
            } if *from != task.status => {
                c.by_status[index(*from)] -= 1;
                c.by_status[index(task.status)] += 1;
                add(*from, -1);
                add(task.status, 1);
                metrics::counter!("arranger_task_transitions_total", "to" => task.status.as_str())
                    .increment(1);
            }
            _ => {}
        }
    }

    /// This team's counts, by state (for tests and logs).
    #[cfg(test)]
    fn get(&self, status: TaskStatus) -> i64 {
        self.counts
            .lock()
            .map(|c| c.by_status[index(status)])
            .unwrap_or(0)
    }
}

impl Drop for TaskGauge {
    fn drop(&mut self) {
        let c = self
            .counts
            .get_mut()
            .map(|c| c.by_status)
            .unwrap_or_default();
        for (i, status) in TaskStatus::ALL.iter().enumerate() {
            add(*status, -c[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arranger_domain::Task;

    fn event(seq: u64, kind: EventKind) -> Event {
        Event { seq, at: 0, kind }
    }

    fn task(status: TaskStatus) -> Task {
        serde_json::from_value(serde_json::json!({
            "id": "t", "session_id": "s", "title": "t", "description": "",
            "status": status.as_str(), "context_refs": [], "priority": 3, "difficulty": 3,
            "created_at": 0, "updated_at": 0,
        }))
        .unwrap()
    }

    #[test]
    fn follows_creations_and_changes_and_skips_what_the_reading_counted() {
        let g = TaskGauge::default();
        g.reset(10, &[(TaskStatus::Done, 3), (TaskStatus::Pending, 1)]);
        // Already in the reading.
        g.apply(&event(
            9,
            EventKind::TaskCreated {
                task: task(TaskStatus::Pending),
            },
        ));
        assert_eq!(g.get(TaskStatus::Pending), 1);
        g.apply(&event(
            11,
            EventKind::TaskCreated {
                task: task(TaskStatus::Pending),
            },
        ));
        g.apply(&event(
            12,
            EventKind::TaskUpdated {
                task: task(TaskStatus::Active),
                from: Some(TaskStatus::Pending),
                reason: None,
            },
        ));
        // A change that is not a state change.
        g.apply(&event(
            13,
            EventKind::TaskUpdated {
                task: task(TaskStatus::Active),
                from: None,
                reason: None,
            },
        ));
        assert_eq!(g.get(TaskStatus::Pending), 1);
        assert_eq!(g.get(TaskStatus::Active), 1);
        assert_eq!(g.get(TaskStatus::Done), 3);
        // A new reading replaces the counts.
        g.reset(20, &[(TaskStatus::Done, 5)]);
        assert_eq!(g.get(TaskStatus::Active), 0);
        assert_eq!(g.get(TaskStatus::Done), 5);
    }
}
