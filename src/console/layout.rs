//! The page shell every console page shares: head, navigation, styles and the little script
//! (copy buttons, live refresh), and the same look for the pages a Zoom user sees at the end of
//! the OAuth flow. Embedded in the binary; no build step.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::config::Settings;
use crate::urls;

const STYLE: &str = r#"
:root { --fg:#1d2330; --muted:#5b6475; --line:#d9dde5; --bg:#f6f7f9; --ok:#137333; --bad:#b3261e; --wait:#8a6d00; --accent:#0b57d0; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
header { background:#fff; border-bottom:1px solid var(--line); padding:.7rem 1.5rem; display:flex; gap:1.5rem; align-items:center; }
header .brand { font-weight:700; }
header nav a { margin-right:1rem; color:var(--accent); text-decoration:none; }
header form { margin-left:auto; }
main { max-width: 980px; margin: 1.5rem auto; padding: 0 1.5rem; }
section, .card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:1rem 1.25rem; margin-bottom:1.25rem; }
h1 { font-size:1.4rem; margin:.2rem 0 1rem; } h2 { font-size:1.1rem; margin:.2rem 0 .8rem; }
table { width:100%; border-collapse:collapse; } th, td { text-align:left; padding:.45rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:.85rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size:.88rem; }
.copyrow { display:flex; gap:.5rem; align-items:center; margin:.3rem 0 .8rem; }
.copyrow code { background:var(--bg); border:1px solid var(--line); border-radius:4px; padding:.3rem .5rem; flex:1; overflow-wrap:anywhere; }
button, .button { font:inherit; border:1px solid var(--line); background:#fff; border-radius:6px; padding:.35rem .8rem; cursor:pointer; color:var(--fg); text-decoration:none; display:inline-block; }
button.primary { background:var(--accent); color:#fff; border-color:var(--accent); }
button.danger { color:var(--bad); }
label { display:block; font-weight:600; margin:.6rem 0 .2rem; } input, select { font:inherit; padding:.35rem .5rem; width:100%; max-width:28rem; border:1px solid var(--line); border-radius:6px; }
.badge { display:inline-block; border-radius:999px; padding:.05rem .6rem; font-size:.8rem; font-weight:600; }
.ok { color:var(--ok); background:#e6f4ea; } .bad { color:var(--bad); background:#fce8e6; } .wait { color:var(--wait); background:#fef7e0; }
.muted { color:var(--muted); } .flash { border-left:4px solid var(--accent); background:#fff; padding:.6rem 1rem; margin-bottom:1rem; }
.actions { display:flex; gap:.5rem; flex-wrap:wrap; } .actions form { margin:0; }
ul.tight { margin:.2rem 0; padding-left:1.2rem; }
.banner { border:1px solid var(--bad); border-radius:8px; padding:.7rem 1rem; margin-bottom:1.25rem; }
.offscreen { position:fixed; top:0; left:-9999px; opacity:0; }
.flash.bad { border-left-color:var(--bad); } td.when { white-space:nowrap; }
"#;

/// Copy buttons, and polling of `[data-poll]` badges (the webhook validation state).
///
/// `navigator.clipboard` exists only in secure contexts (https, or http on localhost): a console
/// reached over plain http on any other host name copies the old way, from a selected
/// off-screen textarea. When neither works the value is left selected for Ctrl+C.
const SCRIPT: &str = r#"
const fallbackCopy = (text) => {
  const area = document.createElement('textarea');
  area.value = text; area.readOnly = true; area.className = 'offscreen';
  document.body.appendChild(area); area.select();
  let copied = false;
  try { copied = document.execCommand('copy'); } catch (_) {}
  area.remove();
  return copied;
};
const copyText = (text) => {
  if (window.isSecureContext && navigator.clipboard) {
    return navigator.clipboard.writeText(text).then(() => true, () => fallbackCopy(text));
  }
  return Promise.resolve(fallbackCopy(text));
};
document.addEventListener('click', (e) => {
  const b = e.target.closest('[data-copy]'); if (!b) return;
  const source = document.getElementById(b.dataset.copy);
  copyText(source.textContent).then((copied) => {
    if (!copied) window.getSelection().selectAllChildren(source);
    b.textContent = copied ? 'Copied' : 'Press Ctrl+C';
    b.focus();
    setTimeout(() => { b.textContent = 'Copy'; }, copied ? 1200 : 4000);
  });
});
document.querySelectorAll('[data-poll]').forEach((el) => {
  const tick = async () => {
    try {
      const r = await fetch(el.dataset.poll, { credentials: 'same-origin' });
      if (r.ok) { const s = await r.json(); el.textContent = s.text; el.className = 'badge ' + s.class; }
    } catch (_) {}
  };
  setInterval(tick, 1500);
});
document.querySelectorAll('form[data-confirm]').forEach((f) => f.addEventListener('submit', (e) => {
  if (!confirm(f.dataset.confirm)) e.preventDefault();
}));
"#;

/// The console's Content-Security-Policy: nothing but its own inline style and script (by
/// hash), its own origin for the status polls and forms, and no framing (clickjacking).
pub fn content_security_policy() -> &'static str {
    static POLICY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    POLICY.get_or_init(|| {
        use base64::Engine as _;
        use sha2::Digest as _;
        let hash = |text: &str| base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()));
        format!(
            "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            hash(SCRIPT),
            hash(STYLE)
        )
    })
}

/// A whole console page, with the warning banner while `server.public_url` is not https.
/// `csrf` (signed in) adds the navigation and the sign-out form.
pub fn page(settings: &Settings, title: &str, csrf: Option<&str>, body: Markup) -> Markup {
    let banner = (!urls::is_https(&settings.public_url)).then(|| insecure_banner(&settings.public_url));
    shell(title, csrf, banner, body, true)
}

/// A page for a Zoom user rather than the admin (the OAuth flow's answers): the console's look,
/// without its navigation, its script or the admin's warnings.
pub fn public_page(title: &str, body: Markup) -> Markup {
    shell(title, None, None, body, false)
}

fn shell(title: &str, csrf: Option<&str>, banner: Option<Markup>, body: Markup, script: bool) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "zoomsync: " (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    span.brand { "zoomsync" }
                    @if let Some(csrf) = csrf {
                        nav {
                            a href="/console/apps" { "Apps" }
                            a href="/console/meetings" { "Meetings" }
                            a href="/console/webhooks" { "Events" }
                        }
                        form method="post" action="/console/logout" {
                            input type="hidden" name="csrf" value=(csrf);
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main {
                    @if let Some(banner) = banner { (banner) }
                    (body)
                }
                @if script { script { (PreEscaped(SCRIPT)) } }
            }
        }
    }
}

/// Zoom takes only https URLs for event notifications and OAuth redirects, so every URL this
/// console hands out is useless to Zoom until `server.public_url` is https: say so on every page.
fn insecure_banner(public_url: &str) -> Markup {
    html! {
        div.banner.bad id="insecure-public-url" {
            strong { "server.public_url is not https." }
            " It is " code { (public_url) } ", but Zoom accepts only https URLs for the event "
            "notification endpoint and the OAuth redirect, so Zoom's Marketplace will refuse the URLs "
            "below (and the session cookie is not marked Secure). Serve zoomsync behind TLS and set "
            code { "server.public_url" } " to its https address (docs/operations.md, TLS)."
        }
    }
}

/// A moment as every console page shows it: the full date and time, in UTC
/// (`2026-12-02 04:10:33 UTC`), so log lines from different days can be told apart.
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A value with a copy button.
pub fn copyable(id: &str, value: &str) -> Markup {
    html! {
        div.copyrow {
            code id=(id) { (value) }
            button type="button" data-copy=(id) { "Copy" }
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

pub fn badge(class: &str, text: &str) -> Markup {
    html! { span class=(format!("badge {class}")) { (text) } }
}
