//! The implicit user context (BRIEF A3): the current user travels with the async task,
//! like Node's AsyncLocalStorage. A host call made outside [`with_user`] fails loudly.

use arranger_domain::UserId;
use std::future::Future;

tokio::task_local! {
    static CURRENT_USER: UserId;
}

/// Runs `f` with `user` as the current user. Tasks spawned inside do **not** inherit it:
/// wrap them in `with_user` again (the compiler cannot check this; [`current_user`] does).
pub async fn with_user<F: Future>(user: UserId, f: F) -> F::Output {
    CURRENT_USER.scope(user, f).await
}

/// The current user, or an error when the caller runs outside [`with_user`].
pub fn current_user() -> Result<UserId, crate::HostError> {
    CURRENT_USER
        .try_with(|u| u.clone())
        .map_err(|_| crate::HostError::NoUserContext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_user_is_scoped_to_the_task() {
        assert!(current_user().is_err());
        let u = with_user(UserId::new("alice"), async { current_user() }).await;
        assert_eq!(u.unwrap(), UserId::new("alice"));
        // A spawned task does not inherit the user.
        let spawned = with_user(UserId::new("alice"), async {
            tokio::spawn(async { current_user().is_err() })
                .await
                .unwrap()
        })
        .await;
        assert!(spawned);
    }
}
