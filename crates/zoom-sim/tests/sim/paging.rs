//! `next_page_token` paging for `/users` and `/users/{userId}/meetings`.

use serde_json::Value;
use zoom_sim::control::types::{AppKind, NewMeeting, Role};

use crate::helpers::*;

/// Walks every page of `path` (which has no query yet), returning the pages' bodies.
async fn all_pages(sim: &TestSim, token: &str, path: &str, page_size: u32) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut next = String::new();
    loop {
        let url = format!("{path}?page_size={page_size}&next_page_token={next}");
        let (status, body) = sim.get(token, &url).await;
        assert_eq!(status, 200, "{body}");
        next = body["next_page_token"].as_str().unwrap().to_owned();
        pages.push(body);
        if next.is_empty() {
            return pages;
        }
        assert!(pages.len() < 100, "paging does not end");
    }
}

fn ids(pages: &[Value], key: &str) -> Vec<String> {
    pages.iter().flat_map(|p| p[key].as_array().unwrap().iter().map(|x| x["id"].to_string())).collect()
}

#[tokio::test]
async fn users_page_across_three_pages_in_creation_order() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let admin = sim.user(&account.id, Role::Owner).await;
    let mut created = vec![admin.id.clone()];
    for _ in 0..7 {
        created.push(sim.user(&account.id, Role::Member).await.id);
    }
    let other = sim.account().await;
    sim.user(&other.id, Role::Owner).await;
    let app = sim.app(AppKind::AccountLevel).await;
    let tokens = sim.authorize(&app, &admin).await;

    let pages = all_pages(&sim, &tokens.access, "/users", 3).await;
    assert_eq!(pages.len(), 3);
    let sizes: Vec<_> = pages.iter().map(|p| p["users"].as_array().unwrap().len()).collect();
    assert_eq!(sizes, [3, 3, 2]);
    let numbers: Vec<_> = pages.iter().map(|p| p["page_number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [1, 2, 3]);
    for page in &pages {
        assert_eq!(page["total_records"], 8);
        assert_eq!(page["page_count"], 3);
        assert_eq!(page["page_size"], 3);
    }
    let expected: Vec<_> = created.iter().map(|id| format!("\"{id}\"")).collect();
    assert_eq!(ids(&pages, "users"), expected);
}

#[tokio::test]
async fn meetings_page_across_three_pages() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    let mut created = Vec::new();
    for _ in 0..7 {
        let m = sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
        created.push(m.id.to_string());
    }
    let app = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &host).await;
    let pages = all_pages(&sim, &tokens.access, "/users/me/meetings", 3).await;
    assert_eq!(pages.len(), 3);
    assert_eq!(ids(&pages, "meetings"), created);
    assert_eq!(pages[0]["total_records"], 7);

    // An account-level grant pages the same host by id.
    let admin_app = sim.app(AppKind::AccountLevel).await;
    let admin = sim.authorize(&admin_app, &host).await;
    let pages = all_pages(&sim, &admin.access, &format!("/users/{}/meetings", host.id), 2).await;
    assert_eq!(pages.len(), 4);
    assert_eq!(ids(&pages, "meetings"), created);
}

#[tokio::test]
async fn page_tokens_expire_after_fifteen_minutes() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let admin = sim.user(&account.id, Role::Owner).await;
    for _ in 0..3 {
        sim.user(&account.id, Role::Member).await;
    }
    let app = sim.app(AppKind::AccountLevel).await;
    let tokens = sim.authorize(&app, &admin).await;
    let (_, first) = sim.get(&tokens.access, "/users?page_size=2").await;
    let next = first["next_page_token"].as_str().unwrap().to_owned();
    assert!(!next.is_empty());
    sim.ctl.advance_clock(14.0 * 60.0).await.unwrap();
    assert_eq!(sim.get(&tokens.access, &format!("/users?page_size=2&next_page_token={next}")).await.0, 200);
    sim.ctl.advance_clock(61.0).await.unwrap();
    let expired = sim.get(&tokens.access, &format!("/users?page_size=2&next_page_token={next}")).await;
    assert_api_error(&expired, 400, 300, "The next page token is invalid or expired.");
    let unknown = sim.get(&tokens.access, "/users?next_page_token=garbage").await;
    assert_api_error(&unknown, 400, 300, "The next page token is invalid or expired.");
    // A token is bound to its listing.
    let (_, users) = sim.get(&tokens.access, "/users?page_size=2").await;
    let token = users["next_page_token"].as_str().unwrap();
    let (status, _) = sim.get(&tokens.access, &format!("/users/me/meetings?next_page_token={token}")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn page_size_defaults_to_30_and_clamps_at_300() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let admin = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::AccountLevel).await;
    let tokens = sim.authorize(&app, &admin).await;
    assert_eq!(sim.get(&tokens.access, "/users").await.1["page_size"], 30);
    assert_eq!(sim.get(&tokens.access, "/users?page_size=5000").await.1["page_size"], 300);
    assert_eq!(sim.get(&tokens.access, "/users?page_size=abc").await.0, 400);
    let last = sim.get(&tokens.access, "/users").await.1;
    assert_eq!(last["next_page_token"], "", "an empty string on the last page");
}
