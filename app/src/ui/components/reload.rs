//! A tab's list, loaded by the page's id and read again on demand. Pages make it outside every
//! `Suspense` (see "Pages" in `docs/decisions.md`), so the resource lines up between the
//! server's render and the browser's hydration.

use crate::domain::AppError;
use crate::wire::{self, Wire};
use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;

/// The list and the counter that makes it load again.
pub struct Reloading<T: Send + Sync + 'static> {
    pub list: Resource<Result<T, AppError>, Wire>,
    changed: RwSignal<u32>,
}

impl<T: Send + Sync + 'static> Clone for Reloading<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Reloading<T> {}

impl<T> Reloading<T>
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    /// Loads `load(id)` now and again after each [`Reloading::again`].
    pub fn new<Fut>(
        id: impl Fn() -> String + Send + Sync + 'static,
        load: impl Fn(String) -> Fut + Send + Sync + 'static,
    ) -> Self
    where
        Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    {
        let changed = RwSignal::new(0u32);
        let list = wire::blocking_resource(move || (id(), changed.get()), move |(id, _)| load(id));
        Reloading { list, changed }
    }

    /// Reads the list again (after a change the page made).
    pub fn again(&self) {
        self.changed.update(|n| *n += 1);
    }
}
