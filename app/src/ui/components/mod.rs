//! Small building blocks shared by pages.

pub mod action;
pub mod client_only;
pub mod clipboard;
pub mod dialog;
pub mod form;
pub mod list_tab;
pub mod public_visibility;
pub mod reload;
pub mod tabs;
pub mod toast;
