//! Small building blocks shared by pages.

pub mod dialog;
pub mod form;
pub mod toast;
