//! Black-box tests of how the real `secryn` binary serves the built site: signed-in pages name
//! the content-hashed files of hash.txt (signed-out ones only the stylesheet), those answer as
//! immutable, pages as no-store, and a server keeps the build it started with when the
//! `target/site` link moves.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

mod common;

use common::{Server, client, post_setup, secryn, session_cookie, temp_dir};
use std::fs;
use std::path::Path;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A site folder as scripts/build.sh makes it: hashed files with .br copies, plain-name
/// aliases and hash.txt. `tag` (a hex digit) makes each folder's hashes differ.
fn fake_site(dir: &Path, tag: char) -> [String; 3] {
    let hashes = [1u8, 2, 3].map(|i| format!("{i:015x}{tag}"));
    fs::create_dir_all(dir.join("pkg")).unwrap();
    let mut listing = String::new();
    for (ext, hash) in ["wasm", "js", "css"].iter().zip(&hashes) {
        let body = format!("/* {ext} {hash} */");
        fs::write(dir.join(format!("pkg/secryn.{hash}.{ext}")), &body).unwrap();
        fs::write(dir.join(format!("pkg/secryn.{hash}.{ext}.br")), format!("br {body}")).unwrap();
        fs::write(dir.join(format!("pkg/secryn.{ext}")), &body).unwrap();
        listing.push_str(&format!("{ext}: {hash}\n"));
    }
    fs::write(dir.join("hash.txt"), listing).unwrap();
    hashes
}

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers().get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
}

async fn get(url: &str, accept_encoding: &str) -> reqwest::Response {
    client().get(url).header("accept-encoding", accept_encoding).send().await.unwrap()
}

/// Sets the instance up and returns the Admin's session cookie: the signed-out pages are sent
/// without the bundle, so the bundle is seen on a signed-in page.
async fn set_up(server: &mut Server) -> String {
    let code = server.setup_code();
    session_cookie(&post_setup(&server.base, &code).await).expect("setup signs the Admin in")
}

/// The signed-in home page.
async fn home(base: &str, cookie: &str) -> reqwest::Response {
    client().get(format!("{base}/")).header("cookie", cookie).send().await.unwrap()
}

#[tokio::test]
async fn pages_name_hashed_assets_which_are_immutable_and_survive_a_swap() {
    let dir = temp_dir();
    let (first, second, link) = (dir.path().join("sites/a"), dir.path().join("sites/b"), dir.path().join("site"));
    let [wasm, js, css] = fake_site(&first, 'a');
    std::os::unix::fs::symlink(&first, &link).unwrap();
    let data = dir.path().join("data");
    let mut cmd = secryn(&data);
    cmd.env("SECRYN_SITE_ROOT", &link);
    let mut server = Server::start(cmd);
    let base = server.base.clone();

    // A signed-out page (before setup, /setup is the one page) names only the stylesheet.
    let html = get(&format!("{base}/setup"), "identity").await.text().await.unwrap();
    assert!(html.contains(&format!("/pkg/secryn.{css}.css")), "{html}");
    assert!(!html.contains(&wasm) && !html.contains(&js), "no bundle on a signed-out page: {html}");
    assert!(html.contains("src=\"/forms.js\""), "{html}");

    // A signed-in page names the hashed files and is never stored.
    let cookie = set_up(&mut server).await;
    let page = home(&base, &cookie).await;
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "cache-control"), "no-store");
    let html = page.text().await.unwrap();
    for name in [format!("/pkg/secryn.{wasm}.wasm"), format!("/pkg/secryn.{js}.js"), format!("/pkg/secryn.{css}.css")] {
        assert!(html.contains(&name), "the page names {name}: {html}");
    }
    assert!(!html.contains("/pkg/secryn.css\""), "no plain stylesheet name: {html}");

    // Hashed files: a year, immutable, brotli when accepted.
    let asset = get(&format!("{base}/pkg/secryn.{wasm}.wasm"), "br").await;
    assert_eq!(asset.status(), 200);
    assert_eq!(header(&asset, "cache-control"), IMMUTABLE);
    assert_eq!(header(&asset, "content-encoding"), "br");
    let plain = get(&format!("{base}/pkg/secryn.{css}.css"), "identity").await;
    assert_eq!(header(&plain, "cache-control"), IMMUTABLE);
    assert_eq!(plain.text().await.unwrap(), format!("/* css {css} */"));
    // Plain names are revalidated; a missing file is never cached.
    assert_eq!(header(&get(&format!("{base}/pkg/secryn.wasm"), "identity").await, "cache-control"), "no-cache");
    let missing = get(&format!("{base}/pkg/secryn.0000000000000000.wasm"), "identity").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "cache-control"), "no-store");

    // A rebuild moves the link; this server keeps serving the build it started with.
    let [new_wasm, ..] = fake_site(&second, 'b');
    assert_ne!(new_wasm, wasm);
    let swapped = dir.path().join("site.new");
    std::os::unix::fs::symlink(&second, &swapped).unwrap();
    fs::rename(&swapped, &link).unwrap();
    let html = home(&base, &cookie).await.text().await.unwrap();
    assert!(html.contains(&format!("/pkg/secryn.{wasm}.wasm")), "still the first build: {html}");
    assert_eq!(get(&format!("{base}/pkg/secryn.{wasm}.wasm"), "identity").await.status(), 200);
    drop(server);

    // A server started now serves the new build.
    let mut cmd = secryn(&data);
    cmd.env("SECRYN_SITE_ROOT", &link);
    let server = Server::start(cmd);
    let html = home(&server.base, &cookie).await.text().await.unwrap();
    assert!(html.contains(&format!("/pkg/secryn.{new_wasm}.wasm")), "the new build: {html}");
}

#[tokio::test]
async fn api_docs_use_the_hashed_stylesheet_and_link_back() {
    let dir = temp_dir();
    let [_, _, css] = fake_site(&dir.path().join("site"), 'c');
    let mut cmd = secryn(&dir.path().join("data"));
    cmd.env("SECRYN_SITE_ROOT", dir.path().join("site"));
    let server = Server::start(cmd);
    let res = get(&format!("{}/api/docs", server.base), "identity").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("href=\"/pkg/secryn.{css}.css\"")), "{html}");
    assert!(html.contains("href=\"/\"") && html.contains("Back to Secryn"), "{html}");
    assert!(!html.contains('`'), "descriptions render code spans, not backticks");
}

#[tokio::test]
async fn a_site_without_hash_file_keeps_plain_names() {
    let dir = temp_dir();
    let site = dir.path().join("site");
    fake_site(&site, 'd');
    fs::remove_file(site.join("hash.txt")).unwrap();
    let mut cmd = secryn(&dir.path().join("data"));
    cmd.env("SECRYN_SITE_ROOT", &site);
    let mut server = Server::start(cmd);
    let cookie = set_up(&mut server).await;
    let html = home(&server.base, &cookie).await.text().await.unwrap();
    assert!(html.contains("/pkg/secryn.wasm") && html.contains("/pkg/secryn.css"), "{html}");
}
