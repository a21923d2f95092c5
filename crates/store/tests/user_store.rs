use arranger_domain::{
    Author, CommandAction, EventKind, SessionId, StateScope, TaskStatus, UserCommand,
};
use arranger_store::{LocalBus, NewTask, StoreError, UserStore};
use std::sync::Arc;
use std::time::Duration;

fn store() -> (tempfile::TempDir, UserStore) {
    let t = tempfile::tempdir().unwrap();
    let s = UserStore::new(t.path().join("u/state.db"), Arc::new(LocalBus::new(1024)));
    (t, s)
}

fn new_task(title: &str) -> NewTask {
    NewTask::new(title)
}

#[tokio::test]
async fn every_change_is_one_gap_free_event_published_after_commit() {
    let (_t, s) = store();
    let mut rx = s.subscribe();
    let out = s
        .post_message(None, Author::User, "/task write the parser".into())
        .await
        .unwrap();
    let task = out.task.unwrap();
    assert_eq!(out.message.task_id.as_ref(), Some(&task.id));
    s.transition_task(task.id.clone(), TaskStatus::Active, None)
        .await
        .unwrap();
    s.state_set(StateScope::Global, "k".into(), serde_json::json!({"a": 1}))
        .await
        .unwrap();

    // Live events, in order, each already readable from the log.
    let mut live = Vec::new();
    while let Ok(e) = rx.try_recv() {
        live.push(e);
    }
    let log = s.events_after(0, 1000).await.unwrap();
    assert_eq!(
        log.first().unwrap().seq,
        1,
        "the default session is event 1"
    );
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "gap in the event log");
    }
    assert_eq!(live.len(), log.len() - 1);
    for e in &live {
        assert_eq!(**e, log[e.seq as usize - 1]);
    }
    let names: Vec<_> = live.iter().map(|e| e.kind.name()).collect();
    assert_eq!(
        names,
        [
            "task_created",
            "message_added",
            "message_added",
            "task_updated",
            "state_changed"
        ]
    );
    assert_eq!(s.last_seq().await.unwrap(), log.len() as u64);
}

#[tokio::test]
async fn illegal_transitions_are_refused_and_leave_no_trace() {
    let (_t, s) = store();
    let task = s.create_task(new_task("t")).await.unwrap();
    let before = s.last_seq().await.unwrap();
    let err = s
        .transition_task(task.id.clone(), TaskStatus::Done, None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Transition(_)), "{err}");
    assert_eq!(s.last_seq().await.unwrap(), before);
    let (t, history) = s.get_task(task.id.clone()).await.unwrap();
    assert_eq!(t.status, TaskStatus::Pending);
    assert!(history.is_empty());

    for to in [TaskStatus::Active, TaskStatus::Finalizing, TaskStatus::Done] {
        s.transition_task(task.id.clone(), to, Some(format!("to {to}")))
            .await
            .unwrap();
    }
    let (t, history) = s.get_task(task.id.clone()).await.unwrap();
    assert_eq!(t.status, TaskStatus::Done);
    let path: Vec<_> = history.iter().map(|h| (h.from, h.to)).collect();
    assert_eq!(
        path,
        [
            (TaskStatus::Pending, TaskStatus::Active),
            (TaskStatus::Active, TaskStatus::Finalizing),
            (TaskStatus::Finalizing, TaskStatus::Done)
        ]
    );
    let events = s.events_after(before, 100).await.unwrap();
    assert_eq!(events.len(), 3);
    assert!(
        events
            .iter()
            .all(|e| matches!(e.kind, EventKind::TaskUpdated { from: Some(_), .. }))
    );
}

#[tokio::test]
async fn crash_recovery_moves_running_tasks_to_reassigning() {
    let (_t, s) = store();
    let a = s.create_task(new_task("a")).await.unwrap();
    let b = s.create_task(new_task("b")).await.unwrap();
    let c = s.create_task(new_task("c")).await.unwrap();
    s.transition_task(a.id.clone(), TaskStatus::Active, None)
        .await
        .unwrap();
    s.transition_task(b.id.clone(), TaskStatus::Active, None)
        .await
        .unwrap();
    s.transition_task(b.id.clone(), TaskStatus::NeedsConfirm, None)
        .await
        .unwrap();
    let moved = s.recover_after_crash().await.unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].id, a.id);
    assert_eq!(
        s.get_task(a.id).await.unwrap().0.status,
        TaskStatus::Reassigning
    );
    assert_eq!(
        s.get_task(b.id).await.unwrap().0.status,
        TaskStatus::NeedsConfirm
    );
    assert_eq!(
        s.get_task(c.id).await.unwrap().0.status,
        TaskStatus::Pending
    );
}

#[tokio::test]
async fn history_pages_backwards() {
    let (_t, s) = store();
    for i in 0..25 {
        s.post_message(None, Author::User, format!("m{i}"))
            .await
            .unwrap();
    }
    let (page, more) = s.history(None, None, 10).await.unwrap();
    assert!(more);
    assert_eq!(page.first().unwrap().text, "m15");
    assert_eq!(page.last().unwrap().text, "m24");
    let (page2, more2) = s.history(None, Some(page[0].id.clone()), 10).await.unwrap();
    assert!(more2);
    assert_eq!(page2.last().unwrap().text, "m14");
    let (page3, more3) = s
        .history(None, Some(page2[0].id.clone()), 10)
        .await
        .unwrap();
    assert!(!more3);
    assert_eq!(page3.len(), 5);
}

#[tokio::test]
async fn sessions_are_separate_and_archivable() {
    let (_t, s) = store();
    let other = s.create_session("Refactor".into()).await.unwrap();
    s.post_message(
        Some(other.id.clone()),
        Author::User,
        "/task rename things".into(),
    )
    .await
    .unwrap();
    s.post_message(None, Author::User, "hello".into())
        .await
        .unwrap();
    assert_eq!(
        s.list_tasks(Some(other.id.clone()), None)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.list_tasks(Some(SessionId::default_session()), None)
            .await
            .unwrap()
            .len(),
        0
    );
    let (msgs, _) = s.history(Some(other.id.clone()), None, 50).await.unwrap();
    assert_eq!(msgs.len(), 2, "the request and the system broadcast");
    assert_eq!(msgs[1].author, Author::System);

    s.set_archived(other.id.clone(), true).await.unwrap();
    assert_eq!(s.list_sessions(false).await.unwrap().len(), 1);
    assert_eq!(s.list_sessions(true).await.unwrap().len(), 2);
    let err = s
        .post_message(Some(other.id.clone()), Author::User, "x".into())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)));
    assert!(
        s.set_archived(SessionId::default_session(), true)
            .await
            .is_err()
    );
    let renamed = s
        .rename_session(other.id.clone(), "  New name ".into())
        .await
        .unwrap();
    assert_eq!(renamed.title, "New name");
    assert!(matches!(
        s.get_session(SessionId::new("nope")).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        s.post_message(None, Author::User, "/task   ".into())
            .await
            .is_err()
    );
    assert!(
        s.post_message(None, Author::User, "   ".into())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn key_value_state_and_commands() {
    let (_t, s) = store();
    s.state_set(StateScope::Global, "theme".into(), "dark".into())
        .await
        .unwrap();
    s.state_set(StateScope::Workspace, "theme".into(), "light".into())
        .await
        .unwrap();
    assert_eq!(
        s.state_get(StateScope::Global, "theme".into())
            .await
            .unwrap(),
        Some("dark".into())
    );
    assert_eq!(
        s.state_keys(StateScope::Workspace).await.unwrap(),
        ["theme"]
    );
    assert!(
        s.state_delete(StateScope::Global, "theme".into())
            .await
            .unwrap()
    );
    assert!(
        !s.state_delete(StateScope::Global, "theme".into())
            .await
            .unwrap()
    );
    assert_eq!(
        s.state_get(StateScope::Global, "theme".into())
            .await
            .unwrap(),
        None
    );
    assert!(
        s.state_set(StateScope::Global, String::new(), 1.into())
            .await
            .is_err()
    );
    let big = serde_json::Value::String("x".repeat(2 * 1024 * 1024));
    assert!(
        s.state_set(StateScope::Global, "big".into(), big)
            .await
            .is_err()
    );

    let cmd = UserCommand {
        id: "review.pr".into(),
        title: "Review".into(),
        action: CommandAction::Prompt {
            template: "review {{input}}".into(),
        },
    };
    s.register_command(cmd.clone()).await.unwrap();
    assert_eq!(s.list_commands().await.unwrap(), [cmd]);
    assert!(s.unregister_command("review.pr".into()).await.unwrap());
    assert!(s.list_commands().await.unwrap().is_empty());
    let bad = UserCommand {
        id: "bad id".into(),
        title: "x".into(),
        action: CommandAction::Prompt {
            template: String::new(),
        },
    };
    assert!(s.register_command(bad).await.is_err());
}

#[tokio::test]
async fn idle_handles_close_and_reopen_transparently() {
    let (_t, s) = store();
    s.post_message(None, Author::User, "one".into())
        .await
        .unwrap();
    assert!(s.is_open());
    assert!(!s.close_if_idle(Duration::from_secs(60)));
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(s.close_if_idle(Duration::from_millis(10)));
    assert!(!s.is_open());
    let (msgs, _) = s.history(None, None, 10).await.unwrap();
    assert_eq!(msgs.len(), 1);
    assert!(s.is_open());
}

#[tokio::test]
async fn the_session_list_cache_follows_every_change() {
    let (_t, s) = store();
    assert_eq!(s.list_sessions(false).await.unwrap().len(), 1);
    let b = s.create_session("B".into()).await.unwrap();
    let list = s.list_sessions(false).await.unwrap();
    assert_eq!(list[0].id, b.id, "newest first");
    // Posting to the default session moves it to the top (timestamps are in ms).
    tokio::time::sleep(Duration::from_millis(5)).await;
    s.post_message(None, Author::User, "hi".into())
        .await
        .unwrap();
    assert_eq!(
        s.list_sessions(false).await.unwrap()[0].id,
        SessionId::default_session()
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    s.rename_session(b.id.clone(), "B2".into()).await.unwrap();
    let list = s.list_sessions(true).await.unwrap();
    assert_eq!(list[0].title, "B2");
    s.set_archived(b.id.clone(), true).await.unwrap();
    assert_eq!(s.list_sessions(false).await.unwrap().len(), 1);
    assert_eq!(s.list_sessions(true).await.unwrap().len(), 2);
}

/// SQLite's automatic checkpoint runs inside the commit that crosses 1,000 log frames,
/// with two `fsync`s, delaying whichever request or agent step made it. The store runs
/// checkpoints in the background instead; the log must still be copied into the database
/// and reused rather than grow with everything written.
#[tokio::test]
async fn the_write_ahead_log_is_checkpointed_in_the_background_and_reused() {
    let (t, s) = store();
    let big = "x".repeat(60_000);
    let rounds = 400; // about 24 MB written, about 6,000 log frames
    for i in 0..rounds {
        s.state_set(
            StateScope::Global,
            format!("k{}", i % 50),
            serde_json::json!(big),
        )
        .await
        .unwrap();
        if i % 20 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let written = rounds as u64 * 60_000;
    let db = t.path().join("u/state.db");
    let wal = t.path().join("u/state.db-wal");
    let mut copied = false;
    for _ in 0..200 {
        if std::fs::metadata(&db).unwrap().len() >= 50 * 60_000 {
            copied = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(copied, "nothing was checkpointed into the database file");
    let wal_len = std::fs::metadata(&wal).unwrap().len();
    assert!(
        wal_len < written / 3,
        "the log grew to {wal_len} bytes for {written} written: it is not being reused"
    );
    // Everything is there.
    let v = s.state_get(StateScope::Global, "k49".into()).await.unwrap();
    assert_eq!(v.and_then(|v| v.as_str().map(str::len)), Some(60_000));
}
