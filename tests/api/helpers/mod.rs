pub mod app;
pub mod browser;
pub mod db;
pub mod flaky;
pub mod logs;
pub mod process;
pub mod receiver;
pub mod tcp_proxy;
pub mod world;

pub use app::{ADMIN_TOKEN, TestApp, json};
pub use db::{Backend, TestDb, contains_secret};
pub use world::World;

/// Declares each test twice, once per backend: `name::sqlite` and `name::postgres`.
///
/// ```ignore
/// both_backends! {
///     async fn creates_an_app(backend) { let app = TestApp::spawn(backend).await; ... }
/// }
/// ```
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($backend:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($backend: $crate::helpers::Backend) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::helpers::Backend::Postgres).await
            }
        }
    )*};
}
