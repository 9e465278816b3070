//! The IDE needs no network beyond this server: its page names only assets the server itself
//! serves, each with the subresource integrity a browser checks. (tests/api/browser.rs runs it
//! in a real browser.)
use base64::Engine;
use ocindex_tests::{Content, TestApp};
use sha2::{Digest, Sha384};

/// The value of `attribute="…"` in `tag`.
fn attribute<'a>(tag: &'a str, attribute: &str) -> Option<&'a str> {
    let marker = format!(" {attribute}=\"");
    let start = tag.find(marker.as_str())? + marker.len();
    tag[start..].split('"').next()
}

/// Each `<script>` and `<link>` of the page that loads something: (where from, integrity).
fn loads(html: &str) -> Vec<(&str, Option<&str>)> {
    html.split('<')
        .filter(|tag| tag.starts_with("script ") || tag.starts_with("link "))
        .filter_map(|tag| {
            let tag = tag.split('>').next().unwrap_or_default();
            let source = attribute(tag, "src").or_else(|| attribute(tag, "href"))?;
            Some((source, attribute(tag, "integrity")))
        })
        .collect()
}

#[tokio::test]
async fn the_ide_page_loads_only_what_this_server_serves() {
    let app = TestApp::spawn(Content::Empty).await.unwrap();
    let page = app
        .request(reqwest::Method::GET, "/graphql")
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();

    // GraphiQL's stylesheet and script, React and ReactDOM; the icon is inline (`data:,`)
    let assets: Vec<_> =
        loads(&html).into_iter().filter(|(s, _)| !s.starts_with("data:")).collect();
    assert_eq!(assets.len(), 4, "{html}");
    for (path, integrity) in assets {
        let integrity = integrity.unwrap_or_else(|| panic!("{path} has no integrity"));
        assert!(path.starts_with("/ide/"), "{path} is not served by this server");
        let asset = app.get(path).await;
        assert_eq!(asset.status(), 200, "{path}");
        let headers = asset.headers().clone();
        let content_type = headers["content-type"].to_str().unwrap();
        let expected_type = if path.ends_with(".css") { "text/css" } else { "text/javascript" };
        assert!(content_type.starts_with(expected_type), "{path}: {content_type}");
        // the version is in the name: a browser may keep the file for good
        assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable", "{path}");
        let bytes = asset.bytes().await.unwrap();
        let digest = base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&bytes));
        assert_eq!(integrity, format!("sha384-{digest}"), "{path}");
        // production builds, minified
        assert!(path.contains(".min."), "{path}");
    }
    assert_eq!(app.get("/ide/graphiql-0.0.0.min.js").await.status(), 404);
}
