//! `server.admin_bind`: with a second listener, the admin surface (admin API, console, OpenAPI,
//! `/metrics`) answers only there, and the public listener serves Zoom, the OAuth redirect and
//! the bots; both answer the probes.

use reqwest::{Method, StatusCode};

use crate::both_backends;
use crate::helpers::app::BOT_SECRET;
use crate::helpers::world::sim_options;
use crate::helpers::{ADMIN_TOKEN, World};

/// Admin paths, each answered on the admin listener (or a single one) and 404 on the public one.
const ADMIN_PATHS: &[&str] = &[
    "/api/v2/zoom-oauth-apps/",
    "/api/v2/zoom-oauth-apps",
    "/api/v2/zoom-oauth-credentials/",
    "/api/v2/zoom-meetings-to-credentials/",
    "/api/v2/openapi.json",
    "/metrics",
    "/console/",
    "/console/login",
];

async fn status(client: &reqwest::Client, base: &str, path: &str) -> StatusCode {
    client.get(format!("{base}{path}")).bearer_auth(ADMIN_TOKEN).send().await.unwrap().status()
}

both_backends! {
    async fn the_admin_surface_answers_only_on_the_admin_listener(backend) {
        let world = World::start_with(backend, sim_options(), |config| config.server.admin_bind = "127.0.0.1:0".into()).await;
        let public = world.daemon.address.clone();
        let admin = world.daemon.admin_address.clone().expect("an admin listener");
        assert_ne!(public, admin);
        // No redirects followed: the console's answer is its own (a redirect to sign in).
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

        for path in ADMIN_PATHS {
            assert_eq!(status(&client, &public, path).await, StatusCode::NOT_FOUND, "public {path}");
            let on_admin = status(&client, &admin, path).await;
            assert!(on_admin.is_success() || on_admin.is_redirection(), "admin {path}: {on_admin}");
        }
        for base in [&public, &admin] {
            assert_eq!(status(&client, base, "/healthz").await, StatusCode::OK, "{base}");
            assert_eq!(status(&client, base, "/readyz").await, StatusCode::OK, "{base}");
        }

        // The whole flow across the two: the app registered and the user connected through the
        // admin listener, Zoom's webhooks and the bot's token on the public one.
        let hosted = world.hosted_meeting().await;
        let token = world.bot("join-token", &format!("meeting_id={}", hosted.meeting.id)).await;
        assert_eq!(token.status(), StatusCode::OK);
        let bot_on_admin = client
            .get(format!("{admin}/zoom/join-token?secret={BOT_SECRET}&meeting_id={}", hosted.meeting.id))
            .send()
            .await
            .unwrap();
        assert_eq!(bot_on_admin.status(), StatusCode::NOT_FOUND, "bots are served on the public listener only");
        let webhook_on_admin = client
            .post(format!("{admin}/api/v2/zoom-oauth-apps/{}/webhook", hosted.app.id))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(webhook_on_admin.status(), StatusCode::NOT_FOUND);
    }

    async fn one_listener_serves_everything(backend) {
        let world = World::start(backend).await;
        assert!(world.daemon.admin_address.is_none());
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        for path in ADMIN_PATHS {
            let answer = status(&client, &world.daemon.address, path).await;
            assert!(answer.is_success() || answer.is_redirection(), "{path}: {answer}");
        }
        let apps = world.daemon.admin(Method::GET, "/api/v2/zoom-oauth-apps/").send().await.unwrap();
        assert_eq!(apps.status(), StatusCode::OK);
    }
}
