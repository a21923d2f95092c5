//! Its own test binary: the handle limit is process-wide.

use arranger_domain::Author;
use arranger_store::{LocalBus, UserStore};
use std::sync::Arc;

#[tokio::test]
async fn open_handles_stay_under_the_limit_by_closing_the_oldest_idle_ones() {
    arranger_store::set_open_handle_limit(5);
    let t = tempfile::tempdir().unwrap();
    let stores: Vec<UserStore> = (0..12)
        .map(|i| {
            UserStore::new(
                t.path().join(format!("u{i}/state.db")),
                Arc::new(LocalBus::new(8)),
            )
        })
        .collect();
    for (i, s) in stores.iter().enumerate() {
        s.post_message(None, Author::User, format!("hello {i}"))
            .await
            .unwrap();
    }
    let open = stores.iter().filter(|s| s.is_open()).count();
    assert!(open <= 5, "{open} handles open");
    assert!(stores[11].is_open(), "the newest stays open");
    // A closed store reopens transparently, with its data.
    let (msgs, _) = stores[0].history(None, None, 10).await.unwrap();
    assert_eq!(msgs[0].text, "hello 0");
    arranger_store::set_open_handle_limit(2000);
}
