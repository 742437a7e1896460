//! The join-token path's floor: a minimal actix-web + reqwest process that answers a bot's
//! `GET /zoom/join-token?meeting_id=N` by asking zoom-sim's mint with one fixed access token
//! and returning the token as text, as zoomsync does. No database, no resolution, no cache, no
//! budget: what any forwarder on this machine costs, measured in the same run as zoomsync.
//!
//! usage: forwarder <zoom API base URL, e.g. http://127.0.0.1:PORT/v2> (the access token in
//! FORWARDER_ACCESS_TOKEN). Prints `forwarder listening on http://127.0.0.1:PORT` first.

use std::collections::HashMap;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

struct Target {
    api: String,
    bearer: String,
    http: reqwest::Client,
}

async fn join_token(request: HttpRequest, target: web::Data<Target>) -> HttpResponse {
    let query = web::Query::<HashMap<String, String>>::from_query(request.query_string()).map(|q| q.into_inner());
    let Some(meeting) = query.ok().and_then(|q| q.get("meeting_id").and_then(|m| m.parse::<u64>().ok())) else {
        return HttpResponse::BadRequest().body("meeting_id= is required");
    };
    let url = format!("{}/meetings/{meeting}/jointoken/local_recording?bypass_waiting_room=true", target.api);
    let answer = match target.http.get(url).bearer_auth(&target.bearer).send().await {
        Ok(answer) => answer,
        Err(e) => return HttpResponse::ServiceUnavailable().body(e.to_string()),
    };
    if !answer.status().is_success() {
        return HttpResponse::BadGateway().body(format!("zoom answered {}", answer.status()));
    }
    #[derive(serde::Deserialize)]
    struct Minted {
        token: String,
    }
    match answer.json::<Minted>().await {
        Ok(minted) => HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(minted.token),
        Err(e) => HttpResponse::BadGateway().body(e.to_string()),
    }
}

fn main() -> std::io::Result<()> {
    let api = std::env::args().nth(1).ok_or_else(|| std::io::Error::other("usage: forwarder <zoom API base URL>"))?;
    let bearer =
        std::env::var("FORWARDER_ACCESS_TOKEN").map_err(|_| std::io::Error::other("FORWARDER_ACCESS_TOKEN"))?;
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    actix_web::rt::System::new().block_on(async move {
        // One client, as zoomsync has: its pool keeps connections to zoom-sim alive.
        let target = web::Data::new(Target { api, bearer, http: reqwest::Client::new() });
        let server = HttpServer::new(move || {
            App::new().app_data(target.clone()).route("/zoom/join-token", web::get().to(join_token))
        })
        .workers(workers)
        .bind(("127.0.0.1", 0))?;
        let port = server.addrs().first().map(|a| a.port()).unwrap_or_default();
        println!("forwarder listening on http://127.0.0.1:{port}");
        server.run().await
    })
}
